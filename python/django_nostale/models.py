from django.db import models


class ScopeVersion(models.Model):
    """One scope's token, for NOSTALE["STORE"] = "database". Written with raw SQL (stores/database.py)
    so the bump is one atomic statement on the database's clock."""

    scope = models.CharField(max_length=255, primary_key=True)
    version = models.BigIntegerField()

    class Meta:
        db_table = "django_nostale_scopeversion"

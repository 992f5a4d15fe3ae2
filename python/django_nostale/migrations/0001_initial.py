from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="ScopeVersion",
            fields=[
                ("scope", models.CharField(max_length=255, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField()),
            ],
            options={"db_table": "django_nostale_scopeversion"},
        ),
    ]

from django.db import models


class Event(models.Model):
    owner = models.CharField(max_length=100, db_index=True)
    title = models.CharField(max_length=200)

from django.apps import AppConfig


class NostaleConfig(AppConfig):
    name = "django_nostale"
    verbose_name = "nostale"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)

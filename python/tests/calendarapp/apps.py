from django.apps import AppConfig


class CalendarappConfig(AppConfig):
    name = "tests.calendarapp"
    default_auto_field = "django.db.models.BigAutoField"

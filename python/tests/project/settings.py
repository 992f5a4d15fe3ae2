import os
from pathlib import Path

from tests import redis_server

if not os.environ.get("NOSTALE_TEST_REDIS_URL"):
    os.environ["NOSTALE_TEST_REDIS_URL"] = redis_server.start()
REDIS_URL = os.environ["NOSTALE_TEST_REDIS_URL"]

SECRET_KEY = "test-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.project.urls"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "django_nostale",
    "tests.calendarapp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("NOSTALE_TEST_DB", str(Path(__file__).resolve().parent / "test.sqlite3")),
        # Two gunicorn processes share the file: wait for the write lock instead of failing.
        "OPTIONS": {"timeout": 20},
        "ATOMIC_REQUESTS": True,
        "TEST": {"NAME": os.environ.get("NOSTALE_TEST_DB_TEST")},
    }
}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "nostale": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"SOCKET_TIMEOUT": 1, "SOCKET_CONNECT_TIMEOUT": 1},
    },
}
NOSTALE = {
    "STORE": os.environ.get("NOSTALE_TEST_STORE", "redis"),
    "BUILD": os.environ.get("NOSTALE_TEST_BUILD", "build-1"),
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tests.calendarapp.auth.HeaderUserAuthentication"],
    "UNAUTHENTICATED_USER": None,
}
LOGGING = {
    "version": 1,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django_nostale": {"handlers": ["stderr"], "level": "ERROR"}},
}

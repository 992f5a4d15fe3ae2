"""A page-only Django project: `collectstatic` of nostale's no-bundler build (dist/browser/) with
ManifestStaticFilesStorage, and a template that maps it with `{% static %}` in an import map.
Driven by test/browser/django-static.test.ts, which passes the folders in the environment:

NOSTALE_BROWSER_DIST  dist/browser/, collected under the prefix `nostale`
NOSTALE_PAGE_ASSETS   the page's other static files (FullCalendar's global bundle, a React stub)
NOSTALE_STATIC_ROOT   where collectstatic writes (and the test server serves from)
NOSTALE_JS_IMPORTS=1  also rewrite ES module imports (support_js_module_import_aggregation)
"""

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent

SECRET_KEY = "test-only"
# Off, as in production: with DEBUG on, {% static %} prints the unhashed names.
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.staticsite.urls"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.staticfiles"]
MIDDLEWARE = []
DATABASES = {}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [HERE / "templates"]}]

STATIC_URL = "/static/"
STATIC_ROOT = os.environ["NOSTALE_STATIC_ROOT"]
STATICFILES_DIRS = [("nostale", os.environ["NOSTALE_BROWSER_DIST"]), os.environ["NOSTALE_PAGE_ASSETS"]]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "tests.staticsite.storage.ModuleManifestStaticFilesStorage"
            if os.environ.get("NOSTALE_JS_IMPORTS") == "1"
            else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        )
    },
}

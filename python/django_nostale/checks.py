"""System checks: refuse configurations that lose updates or let tokens go missing.

Static checks run with every manage.py command; the ones that talk to Redis are tagged ``deploy``
(``manage.py check --deploy``) and run in ``manage.py nostale_check``."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from . import conf

PER_PROCESS = {"django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"}
REDIS = {"django.core.cache.backends.redis.RedisCache"}


def _names_a_callable(value):
    """None, a callable, or the dotted path of one (NOSTALE["NAMESPACE"])."""
    if value is None or callable(value):
        return True
    try:
        return callable(import_string(value))
    except (ImportError, TypeError, AttributeError):
        return False


def _setting(name):
    return getattr(settings, "NOSTALE", {}).get(name, conf.DEFAULTS[name])


@register()
def check_settings(app_configs=None, **kwargs):
    problems = []
    if not _setting("BUILD"):
        problems.append(
            Error(
                'settings.NOSTALE["BUILD"] is not set.',
                hint="Set it to the commit or release id: ETags must change when a deploy changes response shapes.",
                id="django_nostale.E001",
            )
        )
    store = _setting("STORE")
    if store == "redis":
        problems += _check_cache_backend(_setting("REDIS_ALIAS"))
    elif store != "database":
        problems.append(Error(f'NOSTALE["STORE"] is {store!r}.', hint='Use "redis" or "database".', id="django_nostale.E002"))
    namespace = _setting("NAMESPACE")
    if not _names_a_callable(namespace):
        problems.append(
            Error(
                f'NOSTALE["NAMESPACE"] is {namespace!r}, neither a callable nor the dotted path of one.',
                hint='Name a function taking the request and answering its user id ("" when anonymous), or None.',
                id="django_nostale.E008",
            )
        )
    if "django.middleware.http.ConditionalGetMiddleware" in getattr(settings, "MIDDLEWARE", []):
        problems.append(
            Warning(
                "ConditionalGetMiddleware replaces 304s with its own, dropping the version header.",
                hint="Remove it: @versioned answers 304s itself, with the headers the client needs.",
                id="django_nostale.W001",
            )
        )
    return problems


def _check_cache_backend(alias):
    caches = getattr(settings, "CACHES", {})
    if alias not in caches:
        return [
            Error(
                f'NOSTALE["REDIS_ALIAS"] is "{alias}", which is not in CACHES.',
                hint="Add a django-redis or RedisCache alias of its own for version tokens.",
                id="django_nostale.E003",
            )
        ]
    backend = caches[alias].get("BACKEND", "")
    if backend in PER_PROCESS:
        return [
            Error(
                f'The "{alias}" cache is {backend.rsplit(".", 1)[-1]}: every worker process has its own counters.',
                hint="A write through one worker would be invisible to readers of the others. Use Redis.",
                id="django_nostale.E004",
            )
        ]
    if not (backend.startswith("django_redis.") or backend in REDIS):
        return [
            Error(
                f'The "{alias}" cache ({backend}) cannot bump atomically.',
                hint="Database, file and memcached caches increment with a read then a write, losing concurrent bumps. Use Redis.",
                id="django_nostale.E005",
            )
        ]
    problems = []
    if caches[alias].get("OPTIONS", {}).get("IGNORE_EXCEPTIONS"):
        problems.append(
            Warning(
                f'The "{alias}" cache sets IGNORE_EXCEPTIONS.',
                hint="django-nostale uses the raw client and handles failures itself; the option only hides them elsewhere.",
                id="django_nostale.W002",
            )
        )
    if alias == "default":
        problems.append(
            Warning(
                'Version tokens share the "default" cache.',
                hint="Tokens survive cache.clear(), but every client then revalidates everything. Give them an alias of their own.",
                id="django_nostale.W003",
            )
        )
    return problems


def live_problems():
    """Problems only a running Redis can show: unreachable, or an eviction policy that drops tokens."""
    if _setting("STORE") != "redis" or _check_cache_backend(_setting("REDIS_ALIAS")):
        return []
    from .stores.redis import raw_client

    try:
        policy = raw_client(_setting("REDIS_ALIAS")).config_get("maxmemory-policy").get("maxmemory-policy", "")
    except Exception as error:
        return [Error(f"Redis for version tokens is unreachable or refuses CONFIG GET: {error}", id="django_nostale.E006")]
    if str(policy).startswith("allkeys-"):
        return [
            Error(
                f"Redis maxmemory-policy is {policy}: it may evict version tokens.",
                hint="Use noeviction or a volatile-* policy (tokens have no TTL), or a dedicated instance.",
                id="django_nostale.E007",
            )
        ]
    return []


@register(Tags.caches, deploy=True)
def check_live(app_configs=None, **kwargs):
    return live_problems()

"""``settings.NOSTALE``, with defaults. Read on every use so tests can override settings."""

from django.conf import settings

from .exceptions import ConfigurationError

DEFAULTS = {
    # "redis" (the REDIS_ALIAS cache's raw client) or "database" (a row per scope).
    "STORE": "redis",
    # A cache alias of its own: never "default", whose cache.clear() after a deploy would FLUSHDB it.
    "REDIS_ALIAS": "nostale",
    "KEY_PREFIX": "nostale:version:",
    # Redis channel every bump is published on ("<token> <key>"), for nostale/server push
    # endpoints (redisVersionFeed) in any process; None publishes nothing.
    "PUSH_CHANNEL": "nostale:versions",
    # Identifies the deployed code; part of every ETag. Required: see checks.py.
    "BUILD": None,
    "VERSION_HEADER": "X-Cache-Version",
    "VERSIONS_HEADER": "X-Cache-Versions",
    # Who the request's user is, in the client's terms (its `namespace`: typically the user id,
    # "" when anonymous): a callable taking the request, or its dotted path; None (or a callable
    # answering None) sends no NAMESPACE_HEADER. Called before the view runs.
    "NAMESPACE": None,
    "NAMESPACE_HEADER": "X-Cache-Namespace",
    # Seconds a client may serve its copy while the server fails (RFC 5861); 0 omits it.
    "STALE_IF_ERROR": 86400,
    # Which database alias the "database" store writes to.
    "DATABASE": "default",
}


def get(name):
    value = getattr(settings, "NOSTALE", {}).get(name, DEFAULTS[name])
    if name == "BUILD" and not value:
        raise ConfigurationError(
            'settings.NOSTALE["BUILD"] is required (e.g. the commit id): ETags must change when a deploy changes responses'
        )
    return value

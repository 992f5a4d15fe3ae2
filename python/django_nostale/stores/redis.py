"""Tokens in Redis, from the same Lua script nostale/server runs (token.lua), on Redis's own clock."""

from pathlib import Path

from django.core.cache import caches

from ..exceptions import ConfigurationError, VersionStoreError

SCRIPT = (Path(__file__).resolve().parent.parent / "token.lua").read_text()


def raw_client(alias):
    """The redis-py client behind a cache alias: never the cache API, which swallows errors
    (django-redis's IGNORE_EXCEPTIONS) and whose incr is EXISTS then INCR."""
    from django.conf import settings

    if alias not in settings.CACHES:
        raise ConfigurationError(f'NOSTALE["REDIS_ALIAS"] is "{alias}", which is not in settings.CACHES')
    backend = settings.CACHES[alias]["BACKEND"]
    if backend.startswith("django_redis."):
        from django_redis import get_redis_connection

        return get_redis_connection(alias)
    if backend == "django.core.cache.backends.redis.RedisCache":
        return caches[alias]._cache.get_client(write=True)
    raise ConfigurationError(f'The "{alias}" cache ({backend}) is not Redis; version tokens need an atomic script on one shared server')


class RedisStore:
    """Atomic, shared by every process, and never backwards (see token.lua)."""

    transactional = False

    def __init__(self, client, prefix, channel=None):
        self.client = client
        self.prefix = prefix
        self.channel = channel
        self.script = client.register_script(SCRIPT)

    def read(self, scope):
        return self._run(scope, "read")

    def bump(self, scope):
        return self._run(scope, "bump")

    def _run(self, scope, mode):
        try:
            args = [mode, self.channel] if mode == "bump" and self.channel else [mode]
            reply = self.script(keys=[self.prefix + scope], args=args)
        except Exception as error:  # any failure of the store degrades the request, never 500s it
            raise VersionStoreError(f'Redis {mode} of scope "{scope}" failed: {error}', scope) from error
        token = reply.decode() if isinstance(reply, bytes) else str(reply)
        if not token.isdigit():
            raise VersionStoreError(f'Redis answered {reply!r} for scope "{scope}"', scope)
        return token

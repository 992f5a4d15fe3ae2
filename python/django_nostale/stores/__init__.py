"""The configured version store: ``NOSTALE["STORE"]`` is "redis" or "database"."""

from .. import conf
from ..exceptions import ConfigurationError


def get_store():
    kind = conf.get("STORE")
    if kind == "redis":
        from .redis import RedisStore, raw_client

        return RedisStore(raw_client(conf.get("REDIS_ALIAS")), conf.get("KEY_PREFIX"), conf.get("PUSH_CHANNEL"))
    if kind == "database":
        from .database import DatabaseStore

        return DatabaseStore(conf.get("DATABASE"))
    raise ConfigurationError(f'NOSTALE["STORE"] must be "redis" or "database", not {kind!r}')

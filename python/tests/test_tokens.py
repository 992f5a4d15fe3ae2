"""Both stores: tokens only ever go up, whatever happens to Redis or the clock."""

import time

import pytest
from django.db import transaction

from django_nostale.exceptions import ConfigurationError, VersionStoreError
from django_nostale.stores import get_store
from django_nostale.stores.database import DatabaseStore

KEY = "nostale:version:calendar:tokens"


@pytest.fixture
def store(nostale_settings):
    nostale_settings["STORE"] = "redis"
    return get_store()


def test_redis_seeds_from_its_own_clock_and_reads_do_not_move_it(store, redis_admin):
    redis_admin.delete(KEY)
    seconds, micros = redis_admin.time()
    first = store.read("calendar:tokens")
    assert int(first) >= seconds * 1_000_000 + micros
    assert store.read("calendar:tokens") == first
    assert int(store.bump("calendar:tokens")) > int(first)


def test_redis_never_goes_backwards_after_flushdb(store, redis_admin):
    before = int(store.bump("calendar:tokens"))
    redis_admin.flushdb()
    assert int(store.read("calendar:tokens")) > before
    assert int(store.bump("calendar:tokens")) > before


def test_redis_never_goes_backwards_after_an_eviction(store, redis_admin):
    before = int(store.bump("calendar:tokens"))
    redis_admin.delete(KEY)
    assert int(store.bump("calendar:tokens")) > before


def test_redis_never_goes_backwards_below_a_token_from_a_clock_ahead(store, redis_admin):
    ahead = (time.time_ns() // 1000) + 365 * 86_400_000_000
    redis_admin.set(KEY, str(ahead))
    assert store.bump("calendar:tokens") == str(ahead + 1)
    assert store.bump("calendar:tokens") == str(ahead + 2)
    redis_admin.delete(KEY)


def test_redis_survives_a_script_flush(store, redis_admin):
    before = int(store.bump("calendar:tokens"))
    redis_admin.script_flush()
    assert int(store.bump("calendar:tokens")) > before



def test_redis_bumps_are_published_for_push_endpoints(store, redis_admin):
    pubsub = redis_admin.pubsub()
    pubsub.subscribe("nostale:versions")
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    token = store.bump("calendar:tokens")
    message = pubsub.get_message(timeout=2)
    pubsub.close()
    # The format nostale/server's redisVersionFeed parses: "<token> <key>".
    assert message["data"].decode() == f"{token} {KEY}"


def test_redis_store_failure_is_a_typed_error(settings, nostale_settings):
    settings.CACHES = {**settings.CACHES, "nostale": {**settings.CACHES["nostale"], "LOCATION": "redis://127.0.0.1:1/0"}}
    with pytest.raises(VersionStoreError) as raised:
        get_store().bump("calendar:down")
    assert raised.value.scope == "calendar:down"


def test_unknown_store_is_a_configuration_error(nostale_settings):
    nostale_settings["STORE"] = "memcached"
    with pytest.raises(ConfigurationError):
        get_store()


@pytest.mark.django_db(transaction=True)
def test_database_store_bumps_upwards_even_below_a_clock_ahead():
    store = DatabaseStore("default")
    first = int(store.read("calendar:db"))
    assert first > (time.time_ns() // 1000) - 60_000_000
    assert int(store.bump("calendar:db")) > first
    ahead = first + 365 * 86_400_000_000
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE django_nostale_scopeversion SET version = %s WHERE scope = %s", [ahead, "calendar:db"])
    assert store.bump("calendar:db") == str(ahead + 1)


@pytest.mark.django_db(transaction=True)
def test_database_store_bump_rolls_back_with_its_write():
    store = DatabaseStore("default")
    before = store.read("calendar:db-rollback")
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            assert int(store.bump("calendar:db-rollback")) > int(before)
            raise RuntimeError("the write failed")
    assert store.read("calendar:db-rollback") == before

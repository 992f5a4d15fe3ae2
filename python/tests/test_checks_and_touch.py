import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from django_nostale import VersionStoreError, touch
from django_nostale.checks import check_settings, live_problems
from django_nostale.stores import get_store


def ids(problems):
    return {problem.id for problem in problems}


def test_refuses_locmem_and_non_atomic_caches(settings):
    settings.CACHES = {**settings.CACHES, "nostale": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert "django_nostale.E004" in ids(check_settings())
    settings.CACHES = {**settings.CACHES, "nostale": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "t"}}
    assert "django_nostale.E005" in ids(check_settings())
    settings.CACHES = {**settings.CACHES, "nostale": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": "/tmp/x"}}
    assert "django_nostale.E005" in ids(check_settings())


def test_requires_a_build_and_a_known_alias(settings, nostale_settings):
    del nostale_settings["BUILD"]
    nostale_settings["REDIS_ALIAS"] = "missing"
    assert {"django_nostale.E001", "django_nostale.E003"} <= ids(check_settings())


def test_refuses_a_namespace_that_names_no_callable(nostale_settings):
    for wrong in ("tests.calendarapp.auth.nowhere", "not a path", 42, "tests.calendarapp.auth.HeaderUser.username"):
        nostale_settings["NAMESPACE"] = wrong
        assert "django_nostale.E008" in ids(check_settings()), wrong
    for right in (None, "tests.calendarapp.auth.namespace", lambda request: ""):
        nostale_settings["NAMESPACE"] = right
        assert "django_nostale.E008" not in ids(check_settings()), right


def test_warns_about_conditional_get_middleware(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.http.ConditionalGetMiddleware"]
    assert "django_nostale.W001" in ids(check_settings())


def test_refuses_an_allkeys_eviction_policy(redis_admin):
    assert live_problems() == []
    redis_admin.config_set("maxmemory-policy", "allkeys-lru")
    try:
        assert "django_nostale.E007" in ids(live_problems())
        with pytest.raises(CommandError):
            call_command("nostale_check")
    finally:
        redis_admin.config_set("maxmemory-policy", "noeviction")


def test_nostale_check_reads_the_store(capsys):
    call_command("nostale_check")
    assert "OK: store \"redis\" answered token" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_touch_inside_a_transaction_waits_for_the_commit():
    store = get_store()
    before = store.read("calendar:job")
    with transaction.atomic():
        assert touch("calendar:job") is None
        assert store.read("calendar:job") == before
    assert int(store.read("calendar:job")) > int(before)


@pytest.mark.django_db(transaction=True)
def test_touch_of_a_rolled_back_transaction_bumps_nothing():
    store = get_store()
    before = store.read("calendar:job")
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            touch("calendar:job")
            raise RuntimeError("the job failed")
    assert store.read("calendar:job") == before


def test_touch_outside_a_transaction_bumps_now_and_raises_when_down(settings):
    store = get_store()
    before = store.read("calendar:job")
    [token] = touch("calendar:job")
    assert int(token) > int(before)
    settings.CACHES = {**settings.CACHES, "nostale": {**settings.CACHES["nostale"], "LOCATION": "redis://127.0.0.1:1/0"}}
    with pytest.raises(VersionStoreError):
        touch("calendar:job")


def test_a_scope_template_without_its_url_parameter_is_a_scope_error(rf):
    from django_nostale import ScopeError, versioned

    @versioned("calendar:{user}")
    def view(request, pk):
        raise AssertionError("the view must not run")

    with pytest.raises(ScopeError) as raised:
        view(rf.get("/api/events/3"), pk=3)
    assert (raised.value.template, raised.value.parameter) == ("calendar:{user}", "user")


def test_a_callable_scope_gets_the_request_and_kwargs():
    from django_nostale.scopes import resolve

    assert resolve(lambda request, user, other: [f"calendar:{user}", f"calendar:{other}"], None, {"user": "a", "other": "b"}) == ["calendar:a", "calendar:b"]

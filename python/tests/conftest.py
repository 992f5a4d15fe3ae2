import pytest
from django_redis import get_redis_connection


@pytest.fixture(autouse=True)
def no_debts_between_tests():
    from django_nostale import debts

    yield
    debts.forget_all()


@pytest.fixture
def redis_admin():
    """The test Redis, to flush, delete and seed keys the way operations and accidents do."""
    return get_redis_connection("nostale")


@pytest.fixture
def nostale_settings(settings):
    """settings.NOSTALE as a dict the test may change (pytest-django restores it)."""
    settings.NOSTALE = dict(settings.NOSTALE)
    return settings.NOSTALE

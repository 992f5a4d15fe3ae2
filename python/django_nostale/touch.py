"""Bumps from outside a request: signals, admin actions, Celery tasks, management commands."""

from django.db import transaction

from . import conf
from .protocol import logger
from .stores import get_store


def touch(*scopes, using=None):
    """Moves ``scopes`` on once the current transaction commits (now, outside one).

    With the database store the bump joins the current transaction and returns the tokens. With
    Redis inside a transaction it is deferred to ``on_commit`` and returns None (a failure then is
    logged: the commit already happened); outside a transaction it bumps now, returns the tokens,
    and raises ``VersionStoreError`` if Redis fails, so a job can retry.

    Example, in ``signals.py``::

        @receiver(post_save, sender=Event)
        def event_saved(sender, instance, **kwargs):
            touch(f"calendar:{instance.owner_id}")
    """
    store = get_store()
    using = using or conf.get("DATABASE")
    if store.transactional or not transaction.get_connection(using).in_atomic_block:
        return [store.bump(scope) for scope in scopes]

    def bump_all():
        try:
            for scope in scopes:
                store.bump(scope)
        except Exception:
            logger.exception("touch(%s) after commit failed; clients of these scopes may serve their copies until the next bump", ", ".join(scopes))

    transaction.on_commit(bump_all, using=using)
    return None

"""Bumps from outside a request: signals, admin actions, Celery tasks, management commands."""

from django.db import transaction

from . import conf, debts
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
        try:
            return [store.bump(scope) for scope in scopes]
        except Exception:
            # The caller hears of it, and this process still owes the bumps if the caller gives up.
            debts.owe(scopes)
            raise

    def bump_all():
        try:
            for scope in scopes:
                store.bump(scope)
        except Exception:
            debts.owe(scopes)
            logger.exception("touch(%s) after commit failed; retrying in the background", ", ".join(scopes))

    transaction.on_commit(bump_all, using=using)
    return None

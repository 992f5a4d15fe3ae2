"""Bumps owed by this process: the write committed but its bump failed (the store was down).

Until such a scope is bumped, its old version still validates the old ETags, and a 304 would
bring back what the write removed, even after the client invalidated locally (it revalidates with
the tag it holds). So an owed scope is bumped before this process serves its version again, and a
daemon thread retries every second meanwhile.
"""

import threading

from django.db import connections

_owed = set()
_lock = threading.Lock()
_timer = None


def owe(scopes):
    with _lock:
        _owed.update(scopes)
    _schedule()


def is_owed(scope):
    return scope in _owed


def paid(scope):
    with _lock:
        _owed.discard(scope)


def forget_all():
    """Drops every debt: for test suites that simulate outages, so one test's debt is not the next one's bump."""
    with _lock:
        _owed.clear()


def _schedule():
    global _timer
    with _lock:
        if _timer is not None or not _owed:
            return
        _timer = threading.Timer(1.0, _retry)
        _timer.daemon = True
        _timer.start()


def _retry():
    global _timer
    from .stores import get_store

    with _lock:
        _timer = None
        scopes = list(_owed)
    try:
        store = get_store()
        for scope in scopes:
            if not is_owed(scope):  # paid by a request meanwhile
                continue
            try:
                store.bump(scope)
                paid(scope)
            except Exception:
                pass
    finally:
        # This thread's database connection (database store) must not outlive it.
        connections.close_all()
    _schedule()

"""View decorators. On a DRF ``@api_view`` put them *below* it, next to the function, so they run
after DRF has authenticated the request (DRF authenticates inside the view, after all middleware);
class-based DRF views use ``drf.VersionedMixin`` instead."""

import functools

from . import protocol
from .scopes import resolve


def versioned(scope):
    """A feed: the version is read before the view runs, a current copy gets a 304 without running
    it, and a 2xx carries ETag, the version and ``private, no-cache, stale-if-error``.

    ``scope`` is a template filled from the URL kwargs (``"calendar:{user}"``) or a callable
    ``(request, **kwargs) -> str``. Every decorator here also sends ``X-Cache-Namespace`` when
    ``NOSTALE["NAMESPACE"]`` is set (see ``protocol.namespace_of``)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            namespace = protocol.namespace_of(request)
            plan = protocol.plan_read(resolve(scope, request, kwargs)[0], request)
            if plan.not_modified:
                return protocol.put_namespace(protocol.not_modified(plan), namespace)
            return protocol.put_namespace(protocol.finish_read(view(request, *args, **kwargs), plan), namespace)

        return wrapper

    return decorator


def mutation(scope):
    """A write: a 2xx bumps every scope after the write committed and carries the new token(s);
    ``scope`` may be a list, or a callable returning one, for writes that move several scopes."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            scopes = resolve(scope, request, kwargs)
            namespace = protocol.namespace_of(request)
            return protocol.put_namespace(protocol.finish_mutation(view(request, *args, **kwargs), scopes), namespace)

        return wrapper

    return decorator


def version_view(scope):
    """The version endpoint: ``{"version": "…"}``, ``no-store``; 503 while the store is down."""

    def view(request, *args, **kwargs):
        namespace = protocol.namespace_of(request)
        return protocol.put_namespace(protocol.version_response(resolve(scope, request, kwargs)[0]), namespace)

    return view

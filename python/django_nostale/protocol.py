"""The framework-side half shared by the decorators and the DRF mixin: which headers go on which
response, and what happens when the store fails (the request degrades, it never 500s)."""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.http import HttpResponseNotModified, JsonResponse
from django.utils.module_loading import import_string

from . import conf, debts
from .etag import feed_etag, matches
from .exceptions import VersionStoreError
from .headers import expose, format_namespace, format_version_list
from .stores import get_store

logger = logging.getLogger("django_nostale")


@dataclass
class ReadPlan:
    """How to answer a feed read, decided before the view touches the data."""

    scope: str
    version: str = None  # None: the store failed, serve the data uncacheable
    etag: str = None
    not_modified: bool = False
    headers: dict = field(default_factory=dict)


def current(store, scope):
    """The version readers may see: never one that an owed bump has yet to move past."""
    if debts.is_owed(scope):
        token = store.bump(scope)
        debts.paid(scope)
        return token
    return store.read(scope)


def _feed_cache_control():
    seconds = conf.get("STALE_IF_ERROR")
    return "private, no-cache" + (f", stale-if-error={seconds}" if seconds else "")


def plan_read(scope, request):
    """Reads the version first: a write landing between this and the data only makes the answer
    look older than it is, and the client then fetches again."""
    try:
        version = current(get_store(), scope)
    except VersionStoreError:
        logger.exception("Reading the version of %s failed; serving %s uncacheable", scope, request.path)
        return ReadPlan(scope, headers={"Cache-Control": "no-store"})
    etag = feed_etag(
        scope,
        version,
        conf.get("BUILD"),
        request.get_full_path(),
        request.headers.get("Accept"),
        request.headers.get("Accept-Language"),
    )
    headers = {"ETag": etag, conf.get("VERSION_HEADER"): version, "Cache-Control": _feed_cache_control()}
    return ReadPlan(scope, version, etag, matches(request.headers.get("If-None-Match"), etag), headers)


def namespace_of(request):
    """The request's user as ``NOSTALE["NAMESPACE"]`` names it (None: say nothing). Asked before the
    view runs: a login view answers as the session the request came with, the one the client sent
    it in."""
    name = conf.get("NAMESPACE")
    if name is None:
        return None
    namespace = (import_string(name) if isinstance(name, str) else name)(request)
    return None if namespace is None else str(namespace)


def put_namespace(response, namespace):
    """``X-Cache-Namespace`` on a response, exposed to CORS; nothing when ``namespace`` is None.

    Informational: it adds no ``Vary: Cookie``. Feeds are ``private`` already, and the client files
    each answer under the namespace its request was sent in, which this header lets it check."""
    if namespace is not None:
        header = conf.get("NAMESPACE_HEADER")
        response[header] = format_namespace(namespace)
        response["Access-Control-Expose-Headers"] = expose(
            response.get("Access-Control-Expose-Headers"), conf.get("VERSION_HEADER"), conf.get("VERSIONS_HEADER"), header
        )
    return response


def _expose(response):
    response["Access-Control-Expose-Headers"] = expose(
        response.get("Access-Control-Expose-Headers"), conf.get("VERSION_HEADER"), conf.get("VERSIONS_HEADER")
    )
    return response


def not_modified(plan):
    """The 304, with the version header that ConditionalGetMiddleware and @condition drop."""
    response = HttpResponseNotModified()
    for name, value in plan.headers.items():
        response[name] = value
    return _expose(response)


def finish_read(response, plan):
    if plan.version is None:
        for name in ("ETag", conf.get("VERSION_HEADER")):
            if response.has_header(name):
                del response[name]
        response["Cache-Control"] = "no-store"
    elif 200 <= response.status_code < 300 or response.status_code == 304:
        for name, value in plan.headers.items():
            response[name] = value
    else:
        response[conf.get("VERSION_HEADER")] = plan.version
    return _expose(response)


def _put_tokens(response, tokens):
    for name in (conf.get("VERSION_HEADER"), conf.get("VERSIONS_HEADER")):
        if response.has_header(name):
            del response[name]
    if tokens:
        response[conf.get("VERSION_HEADER")] = next(iter(tokens.values()))
    if len(tokens) > 1:
        response[conf.get("VERSIONS_HEADER")] = format_version_list(tokens)


def _each(scopes, operation, what):
    try:
        return {scope: operation(scope) for scope in scopes}
    except VersionStoreError:
        logger.exception("%s of %s failed; answering without version headers, clients invalidate locally", what, ", ".join(scopes))
        return {}


def _bump_all(store, scopes):
    tokens = _each(scopes, store.bump, "Bumping the version")
    if tokens:
        for scope in scopes:
            debts.paid(scope)
    else:
        debts.owe(scopes)
    return tokens


def finish_mutation(response, scopes):
    """A 2xx bumps every scope once its write is durable; anything else reports the current tokens.

    The database store bumps now, inside the write's transaction. Redis bumps on commit: with
    ATOMIC_REQUESTS the view's transaction commits after the view returns but before the response
    leaves, so the on_commit callback still puts its token on this response.
    """
    response["Cache-Control"] = "no-store"
    _expose(response)
    store = get_store()
    if not 200 <= response.status_code < 300:
        _put_tokens(response, _each(scopes, lambda scope: current(store, scope), "Reading the version"))
        return response
    using = conf.get("DATABASE")
    if store.transactional or not transaction.get_connection(using).in_atomic_block:
        _put_tokens(response, _bump_all(store, scopes))
    else:
        # Until the commit, nothing is bumped and the header is absent: a rollback leaves both so.
        _put_tokens(response, {})
        transaction.on_commit(lambda: _put_tokens(response, _bump_all(store, scopes)), using=using)
    return response


def version_response(scope):
    try:
        version = current(get_store(), scope)
    except VersionStoreError:
        logger.exception("Reading the version of %s failed; the version endpoint answers 503", scope)
        response = JsonResponse({"error": "version-store-unavailable"}, status=503)
        response["Cache-Control"] = "no-store"
        return _expose(response)
    response = JsonResponse({"version": version})
    response["Cache-Control"] = "no-store"
    response[conf.get("VERSION_HEADER")] = version
    return _expose(response)

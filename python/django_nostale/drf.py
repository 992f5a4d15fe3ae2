"""Django REST framework: a mixin for class-based views, which runs after DRF's authentication,
permissions and throttling (a middleware or an outer decorator would run before them)."""

from . import protocol
from .scopes import resolve


class _NotModified(Exception):
    pass


class VersionedMixin:
    """Put before ``APIView`` (or a generic view) and set ``nostale_scope``: GET/HEAD are feeds,
    POST/PUT/PATCH/DELETE are mutations of that scope (a list, or a method returning one)."""

    nostale_scope = None

    def get_nostale_scopes(self, request):
        return resolve(self.nostale_scope, request, self.kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # After DRF's authentication, before the handler: the user the request came as.
        self._nostale_namespace = protocol.namespace_of(request)
        if request.method in ("GET", "HEAD"):
            self._nostale_plan = protocol.plan_read(self.get_nostale_scopes(request)[0], request)
            if self._nostale_plan.not_modified:
                raise _NotModified()

    def handle_exception(self, exc):
        if isinstance(exc, _NotModified):
            return protocol.put_namespace(protocol.not_modified(self._nostale_plan), self._nostale_namespace)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        plan = getattr(self, "_nostale_plan", None)
        # Not named yet: authentication or permissions refused the request first.
        if not hasattr(self, "_nostale_namespace"):
            self._nostale_namespace = protocol.namespace_of(request)
        if request.method in ("GET", "HEAD"):
            # No plan: authentication or permissions refused the request before the version was read.
            response = protocol.finish_read(response, plan) if plan is not None else response
        elif request.method in ("POST", "PUT", "PATCH", "DELETE"):
            response = protocol.finish_mutation(response, self.get_nostale_scopes(request))
        return protocol.put_namespace(response, self._nostale_namespace)

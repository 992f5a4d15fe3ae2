from rest_framework.authentication import BaseAuthentication


class HeaderUser:
    is_authenticated = True

    def __init__(self, name):
        self.username = name


class HeaderUserAuthentication(BaseAuthentication):
    """Token-style auth for the tests (`Authorization: User alice`): DRF runs it inside the view,
    after every middleware, which is why nostale's headers must be added after it too."""

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if header.startswith("User "):
            return HeaderUser(header[5:]), None
        return None


def namespace(request):
    """NOSTALE["NAMESPACE"] for the tests: the authenticated user (DRF's, inside a DRF view), else
    the `Authorization: User …` header, else "" (anonymous)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.username
    header = request.headers.get("Authorization", "")
    return header[5:] if header.startswith("User ") else ""

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

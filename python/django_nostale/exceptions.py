"""Typed errors of django-nostale: catch ``NostaleError`` for all of them."""


class NostaleError(Exception):
    """Base of every error django-nostale raises."""


class ConfigurationError(NostaleError):
    """``settings.NOSTALE`` is missing something or names something unusable."""


class ScopeError(NostaleError):
    """A scope template names a URL parameter the view was not given (``calendar:{user}``)."""

    def __init__(self, message, template, parameter=None):
        super().__init__(message)
        self.template = template
        self.parameter = parameter


class VersionStoreError(NostaleError):
    """The version store failed or answered something that is not a token."""

    def __init__(self, message, scope):
        super().__init__(message)
        self.scope = scope

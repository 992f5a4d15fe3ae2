"""django-nostale: the server half of nostale's protocol for Django.

    from django_nostale import versioned, mutation, version_view, touch
"""

from .decorators import mutation, version_view, versioned
from .exceptions import ConfigurationError, NostaleError, ScopeError, VersionStoreError
from .touch import touch

__all__ = [
    "versioned",
    "mutation",
    "version_view",
    "touch",
    "NostaleError",
    "ConfigurationError",
    "ScopeError",
    "VersionStoreError",
]

"""Scope templates filled from the URL's kwargs: ``"calendar:{user}"`` is the calendar's owner."""

import re

from .exceptions import ScopeError

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def fill(template, kwargs):
    def value(match):
        name = match.group(1)
        found = kwargs.get(name)
        if found is None or found == "":
            raise ScopeError(f'Scope "{template}" needs URL parameter "{name}"', template, name)
        return str(found)

    return _PLACEHOLDER.sub(value, template)


def resolve(spec, request, kwargs):
    """A template, a list of templates, or a callable ``(request, **kwargs) -> str | list``."""
    raw = spec(request, **kwargs) if callable(spec) else spec
    templates = [raw] if isinstance(raw, str) else list(raw)
    if not templates:
        raise ScopeError("A view needs at least one scope", str(raw))
    return [fill(template, kwargs) for template in templates]

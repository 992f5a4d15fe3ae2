"""The multi-scope list form, ``X-Cache-Versions: calendar:alice=12, tasks:alice=7``."""

from urllib.parse import quote, unquote

# Same unescaped set as nostale/server's formatVersionList; everything else is percent-encoded.
_SAFE = "-._~:@/!$&'*+;"


def format_version_list(tokens):
    return ", ".join(f"{quote(scope, safe=_SAFE)}={token}" for scope, token in tokens.items())


def format_namespace(namespace):
    """``X-Cache-Namespace``'s value: one token, percent-encoded (UTF-8) like a scope in a list."""
    return quote(namespace, safe=_SAFE)


def parse_version_list(header):
    tokens = {}
    for member in header.split(","):
        scope, sep, token = member.strip().rpartition("=")
        if sep and scope:
            tokens[unquote(scope)] = token
    return tokens


def expose(existing, version_header, versions_header, *more):
    """Access-Control-Expose-Headers with ours added to what the response already exposes."""
    names = [name.strip() for name in (existing or "").split(",") if name.strip()]
    lower = {name.lower() for name in names}
    if "*" in lower:
        return ", ".join(names)
    return ", ".join(names + [n for n in ("ETag", version_header, versions_header, *more) if n.lower() not in lower])

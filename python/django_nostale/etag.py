"""Feed ETags and If-None-Match, as nostale/server computes them (src/server/etag.ts)."""

import hashlib
import json


def feed_etag(scope, version, build, url, accept, accept_language):
    """Weak tag naming the version, plus a hash of what else the body depends on: a deploy, the
    query, the format and the language each give another tag."""
    parts = json.dumps([scope, version, build, url, accept or "", accept_language or ""], separators=(",", ":"), ensure_ascii=False)
    return f'W/"{version}-{hashlib.sha256(parts.encode()).hexdigest()[:24]}"'


def matches(if_none_match, etag):
    """Weak comparison (RFC 9110 §13.1.2): W/ ignored, lists and * accepted."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    return any(tag.strip() == "*" or tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))

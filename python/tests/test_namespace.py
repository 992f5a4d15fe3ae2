"""X-Cache-Namespace: with NOSTALE["NAMESPACE"] set, every response the decorators and the DRF mixin
handle names the request's user (percent-encoded, exposed to CORS); unset, nothing changes."""

import json
from urllib.parse import unquote

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

NAMESPACE = "tests.calendarapp.auth.namespace"


def exposed(response):
    return set(response["Access-Control-Expose-Headers"].split(", "))


def post(client, path, body, **extra):
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def test_unset_sends_nothing(client):
    response = client.get("/api/users/alice/events", HTTP_AUTHORIZATION="User alice")
    assert response.status_code == 200
    assert not response.has_header("X-Cache-Namespace")
    assert "X-Cache-Namespace" not in exposed(response)


def test_feed_304_writes_and_version_endpoint_name_the_user(client, nostale_settings):
    nostale_settings["NAMESPACE"] = NAMESPACE
    as_alice = {"HTTP_AUTHORIZATION": "User alice"}
    first = client.get("/api/users/alice/events", **as_alice)
    again = client.get("/api/users/alice/events", HTTP_IF_NONE_MATCH=first["ETag"], **as_alice)
    created = post(client, "/api/users/alice/events", {"title": "t"}, **as_alice)
    refused = post(client, "/api/users/alice/events", {}, **as_alice)
    version = client.get("/api/users/alice/version", **as_alice)
    responses = [first, again, created, refused, version]
    assert [r.status_code for r in responses] == [200, 304, 201, 400, 200]
    for response in responses:
        assert response["X-Cache-Namespace"] == "alice", response.status_code
        assert {"X-Cache-Namespace", "X-Cache-Version", "ETag"} <= exposed(response)


def test_informational_it_changes_no_vary_or_cache_control(client, nostale_settings):
    """No Vary: Cookie of its own (a NAMESPACE that reads request.user makes SessionMiddleware add
    one, as for any view that reads the session: harmless, feeds are private)."""

    def caching(response):
        return response.get("Vary"), response["Cache-Control"]

    without = [client.get("/api/users/alice/events"), post(client, "/api/users/alice/events", {"title": "t"})]
    nostale_settings["NAMESPACE"] = lambda request: "alice"
    named = [client.get("/api/users/alice/events"), post(client, "/api/users/alice/events", {"title": "t"})]
    assert [r.has_header("X-Cache-Namespace") for r in without + named] == [False, False, True, True]
    assert [caching(r) for r in named] == [caching(r) for r in without]


def test_the_session_user_whoever_owns_the_url_and_anonymous_is_empty(client, nostale_settings):
    nostale_settings["NAMESPACE"] = NAMESPACE
    assert client.get("/api/users/alice/events", HTTP_AUTHORIZATION="User bob")["X-Cache-Namespace"] == "bob"
    assert client.get("/api/users/alice/events")["X-Cache-Namespace"] == ""


def test_a_callable_odd_ids_percent_encoded_and_none_sends_nothing(client, nostale_settings):
    odd = "o'brien, ä=1"
    nostale_settings["NAMESPACE"] = lambda request: odd
    sent = client.get("/api/users/alice/events")["X-Cache-Namespace"]
    assert not any(c in sent for c in ", =") and sent.isascii()
    assert unquote(sent) == odd
    nostale_settings["NAMESPACE"] = lambda request: None
    assert not client.get("/api/users/alice/events").has_header("X-Cache-Namespace")
    nostale_settings["NAMESPACE_HEADER"] = "X-User"
    nostale_settings["NAMESPACE"] = lambda request: 42
    response = client.get("/api/users/alice/version")
    assert response["X-User"] == "42" and "X-User" in exposed(response)


def test_asked_before_the_view_runs(client, nostale_settings):
    """A login view switches the session; its answer is still that of the session it came with."""
    from tests.calendarapp import views

    seen = []
    nostale_settings["NAMESPACE"] = lambda request: seen.append(views.feed_calls["count"]) or "alice"
    before = views.feed_calls["count"]
    client.get("/api/users/alice/events")
    assert seen == [before] and views.feed_calls["count"] == before + 1


def test_drf_views_name_drfs_user(client, nostale_settings):
    nostale_settings["NAMESPACE"] = NAMESPACE
    first = client.get("/drf/users/carol/events", HTTP_AUTHORIZATION="User carol")
    again = client.get("/drf/users/carol/events", HTTP_AUTHORIZATION="User carol", HTTP_IF_NONE_MATCH=first["ETag"])
    created = post(client, "/drf/users/carol/events", {"title": "t"}, HTTP_AUTHORIZATION="User carol")
    refused = client.get("/drf/users/carol/events")
    summary = client.get("/drf/users/carol/summary", HTTP_AUTHORIZATION="User carol")
    assert [r.status_code for r in (first, again, created, summary)] == [200, 304, 201, 200]
    assert refused.status_code in (401, 403)
    assert [r["X-Cache-Namespace"] for r in (first, again, created, summary)] == ["carol"] * 4
    assert refused["X-Cache-Namespace"] == ""

"""The protocol through Django's test client, against real Redis and SQLite."""

import json

import pytest

from django_nostale.headers import parse_version_list
from tests.calendarapp import views

pytestmark = pytest.mark.django_db(transaction=True)

FEED_CACHE_CONTROL = "private, no-cache, stale-if-error=86400"


def version(client, user):
    return client.get(f"/api/users/{user}/version").json()["version"]


def create(client, user, title="standup", query=""):
    return client.post(f"/api/users/{user}/events{query}", json.dumps({"title": title}), content_type="application/json")


def test_feed_carries_etag_version_and_private_no_cache(client):
    response = client.get("/api/users/alice/events")
    assert response.status_code == 200
    assert response["ETag"].startswith('W/"')
    assert response["X-Cache-Version"] == version(client, "alice")
    assert response["Cache-Control"] == FEED_CACHE_CONTROL
    assert {"ETag", "X-Cache-Version", "X-Cache-Versions"} <= set(response["Access-Control-Expose-Headers"].split(", "))


def test_304_keeps_the_version_header_and_skips_the_view(client):
    first = client.get("/api/users/alice/events")
    calls = views.feed_calls["count"]
    again = client.get("/api/users/alice/events", HTTP_IF_NONE_MATCH=first["ETag"], HTTP_CACHE_CONTROL="no-cache")
    assert again.status_code == 304
    assert views.feed_calls["count"] == calls
    assert again["X-Cache-Version"] == first["X-Cache-Version"]
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == FEED_CACHE_CONTROL


def test_etag_changes_with_build_query_accept_and_language(client, nostale_settings):
    base = client.get("/api/users/alice/events", HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="en")
    tag = base["ETag"]
    variants = [
        client.get("/api/users/alice/events?start=2026-01-01", HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="en", HTTP_IF_NONE_MATCH=tag),
        client.get("/api/users/alice/events", HTTP_ACCEPT="text/csv", HTTP_ACCEPT_LANGUAGE="en", HTTP_IF_NONE_MATCH=tag),
        client.get("/api/users/alice/events", HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="de", HTTP_IF_NONE_MATCH=tag),
    ]
    nostale_settings["BUILD"] = "build-2"
    variants.append(client.get("/api/users/alice/events", HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="en", HTTP_IF_NONE_MATCH=tag))
    assert [r.status_code for r in variants] == [200, 200, 200, 200]
    assert all(r["ETag"] != tag for r in variants)


def test_version_endpoint_is_json_and_no_store(client):
    response = client.get("/api/users/alice/version")
    assert response["Cache-Control"] == "no-store"
    assert response.json()["version"].isdigit()
    assert response["X-Cache-Version"] == response.json()["version"]


def test_mutation_bumps_after_commit_and_answers_the_new_token(client):
    before = version(client, "alice")
    response = create(client, "alice", query="?peek=1")
    assert response.status_code == 201
    # Inside the view's transaction the version had not moved: readers could not pair it with old data.
    assert response.json()["version_before_commit"] == before
    assert int(response["X-Cache-Version"]) > int(before)
    assert response["Cache-Control"] == "no-store"
    assert version(client, "alice") == response["X-Cache-Version"]


def test_a_rolled_back_write_bumps_nothing(client):
    before = version(client, "alice")
    response = create(client, "alice", query="?rollback=1")
    assert response.status_code == 201
    assert not response.has_header("X-Cache-Version")
    assert version(client, "alice") == before


def test_failed_writes_do_not_bump_and_report_the_current_version(client):
    before = version(client, "alice")
    missing = client.delete("/api/users/alice/events/999999")
    assert missing.status_code == 404
    assert missing["X-Cache-Version"] == before
    assert client.post("/api/users/alice/events", "{}", content_type="application/json").status_code == 400
    assert version(client, "alice") == before


def test_multi_scope_write_lists_every_token(client):
    event = create(client, "alice").json()
    response = client.post(f"/api/users/alice/events/{event['id']}/copy-to/bob")
    tokens = parse_version_list(response["X-Cache-Versions"])
    assert list(tokens) == ["calendar:alice", "calendar:bob"]
    assert tokens["calendar:alice"] == version(client, "alice") == response["X-Cache-Version"]
    assert tokens["calendar:bob"] == version(client, "bob")


def test_drf_mixin_runs_after_authentication(client):
    anonymous = client.get("/drf/users/carol/events")
    assert anonymous.status_code in (401, 403)
    assert not anonymous.has_header("ETag")
    first = client.get("/drf/users/carol/events", HTTP_AUTHORIZATION="User carol")
    assert first.status_code == 200
    assert first["X-Cache-Version"] == version(client, "carol")
    calls = views.feed_calls["count"]
    again = client.get("/drf/users/carol/events", HTTP_AUTHORIZATION="User carol", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["X-Cache-Version"] == first["X-Cache-Version"]
    assert views.feed_calls["count"] == calls
    # A matching tag never lets an unauthenticated request learn that nothing changed.
    assert client.get("/drf/users/carol/events", HTTP_IF_NONE_MATCH=first["ETag"]).status_code in (401, 403)
    created = client.post("/drf/users/carol/events", {"title": "t"}, content_type="application/json", HTTP_AUTHORIZATION="User carol")
    assert created.status_code == 201
    assert int(created["X-Cache-Version"]) > int(first["X-Cache-Version"])


def test_decorator_under_api_view_sees_the_drf_user(client):
    response = client.get("/drf/users/carol/summary", HTTP_AUTHORIZATION="User carol")
    assert response.json() == {"user": "carol"}
    assert response["X-Cache-Version"] == version(client, "carol")


def test_session_delete_passes_csrf_with_the_token_header(django_user_model):
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    from tests.calendarapp.models import Event

    user = django_user_model.objects.create_user("dave", password="pw")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    event = Event.objects.create(owner="dave", title="x")
    assert browser.delete(f"/session/users/dave/events/{event.pk}").status_code == 403
    # What a page's {% csrf_token %} or get_token() would have set; the adapter sends it as X-CSRFToken.
    browser.cookies["csrftoken"] = token = _get_new_csrf_string()
    response = browser.delete(f"/session/users/dave/events/{event.pk}", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 204
    assert response["X-Cache-Version"].isdigit()


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {**settings.CACHES, "nostale": {**settings.CACHES["nostale"], "LOCATION": "redis://127.0.0.1:1/0"}}


def test_store_down_serves_reads_uncacheable(client, redis_down, caplog):
    response = client.get("/api/users/alice/events", HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert not response.has_header("ETag")
    assert not response.has_header("X-Cache-Version")
    assert "serving /api/users/alice/events uncacheable" in caplog.text


def test_store_down_keeps_a_committed_write_a_success(client, redis_down, caplog):
    from tests.calendarapp.models import Event

    response = create(client, "alice", title="while down")
    assert response.status_code == 201
    assert not response.has_header("X-Cache-Version")
    assert response["Cache-Control"] == "no-store"
    assert Event.objects.filter(owner="alice", title="while down").exists()
    assert "Bumping the version" in caplog.text


def test_store_down_version_endpoint_is_503(client, redis_down):
    response = client.get("/api/users/alice/version")
    assert response.status_code == 503
    assert response["Cache-Control"] == "no-store"


def test_a_write_whose_bump_failed_is_never_hidden_behind_a_304(client, settings):
    before = client.get("/api/users/erin/events")
    good = settings.CACHES
    # A partition: Redis (and its data) is fine, this process just cannot reach it.
    settings.CACHES = {**good, "nostale": {**good["nostale"], "LOCATION": "redis://127.0.0.1:1/0"}}
    created = create(client, "erin", title="during the partition")
    assert created.status_code == 201
    assert not created.has_header("X-Cache-Version")
    settings.CACHES = good
    after = client.get("/api/users/erin/events", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert int(after["X-Cache-Version"]) > int(before["X-Cache-Version"])
    assert any(e["title"] == "during the partition" for e in after.json())

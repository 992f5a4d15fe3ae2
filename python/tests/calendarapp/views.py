import json

from django.db import transaction
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.decorators import api_view
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_nostale import mutation, version_view, versioned
from django_nostale.drf import VersionedMixin
from django_nostale.stores import get_store

from .models import Event

feed_calls = {"count": 0}


def _event(event):
    return {"id": event.pk, "title": event.title}


@versioned("calendar:{user}")
def list_events(request, user):
    feed_calls["count"] += 1
    return JsonResponse([_event(e) for e in Event.objects.filter(owner=user).order_by("pk")], safe=False)


@mutation("calendar:{user}")
def create_event(request, user):
    try:
        title = json.loads(request.body or b"{}").get("title")
    except ValueError:
        title = None
    if not isinstance(title, str):
        return JsonResponse({"error": "title"}, status=400)
    event = Event.objects.create(owner=user, title=title)
    body = _event(event)
    if request.GET.get("peek"):
        # Still inside ATOMIC_REQUESTS's transaction: what a concurrent reader's version would be.
        body["version_before_commit"] = get_store().read(f"calendar:{user}")
    if request.GET.get("rollback"):
        transaction.set_rollback(True)
    return JsonResponse(body, status=201)


@csrf_exempt
def events(request, user):
    if request.method in ("GET", "HEAD"):
        return list_events(request, user=user)
    if request.method == "POST":
        return create_event(request, user=user)
    return HttpResponseNotAllowed(["GET", "HEAD", "POST"])


@csrf_exempt
@mutation("calendar:{user}")
def event_detail(request, user, pk):
    if request.method != "DELETE":
        return HttpResponseNotAllowed(["DELETE"])
    deleted, _ = Event.objects.filter(owner=user, pk=pk).delete()
    return HttpResponse(status=204) if deleted else JsonResponse({"error": "not-found"}, status=404)


@csrf_exempt
@mutation(["calendar:{user}", "calendar:{other}"])
def copy_event(request, user, pk, other):
    event = Event.objects.filter(owner=user, pk=pk).first()
    if event is None:
        return JsonResponse({"error": "not-found"}, status=404)
    return JsonResponse(_event(Event.objects.create(owner=other, title=event.title)), status=201)


@mutation("calendar:{user}")
def session_delete(request, user, pk):
    """Session-authenticated and CSRF-protected, as the FullCalendar adapter's DELETE would be."""
    Event.objects.filter(owner=user, pk=pk).delete()
    return HttpResponse(status=204)


calendar_version = version_view("calendar:{user}")


class DrfEvents(VersionedMixin, APIView):
    """Token-authenticated: DRF authenticates inside the view, so the mixin adds headers after it."""

    permission_classes = [IsAuthenticated]
    nostale_scope = "calendar:{user}"

    def get(self, request, user):
        feed_calls["count"] += 1
        return Response([_event(e) for e in Event.objects.filter(owner=user).order_by("pk")])

    def post(self, request, user):
        return Response(_event(Event.objects.create(owner=user, title=request.data["title"])), status=201)


@api_view(["GET"])
@versioned("calendar:{user}")
def drf_function_feed(request, user):
    feed_calls["count"] += 1
    return Response({"user": request.user.username if request.user else None})

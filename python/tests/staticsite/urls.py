from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import path, re_path
from django.utils import timezone
from django.views.static import serve


def page(request):
    return render(request, "staticsite/page.html")


def events(request, user):
    today = timezone.now().date().isoformat()
    return JsonResponse([{"id": "1", "title": f"{user}'s standup", "start": today}], safe=False)


# The collected files are served by Django itself here (in production: the web server or
# WhiteNoise), from STATIC_ROOT, as collectstatic left them.
urlpatterns = [
    path("", page),
    path("api/users/<str:user>/events", events),
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": settings.STATIC_ROOT}),
]

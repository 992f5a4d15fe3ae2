from django.urls import path

from tests.calendarapp import views

# The routes the nostale client docs use: /api/users/{user}/events* and /api/users/{user}/version.
urlpatterns = [
    path("api/users/<str:user>/events", views.events),
    path("api/users/<str:user>/events/<int:pk>", views.event_detail),
    path("api/users/<str:user>/events/<int:pk>/copy-to/<str:other>", views.copy_event),
    path("api/users/<str:user>/version", views.calendar_version),
    path("session/users/<str:user>/events/<int:pk>", views.session_delete),
    path("drf/users/<str:user>/events", views.DrfEvents.as_view()),
    path("drf/users/<str:user>/summary", views.drf_function_feed),
]

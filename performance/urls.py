"""Portal URLs of performance, under /portal/scorecard/: the partner's own scorecard."""

from django.urls import path

from .views import portal

app_name = "performance"

urlpatterns = [
    path("", portal.scorecard, name="scorecard"),
]

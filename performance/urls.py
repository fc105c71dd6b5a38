"""Portal pages of the performance stage, under /portal/scorecard/: the partner's own scorecard
and its quarterly business reviews."""

from django.urls import path

from .views import portal, qbr

app_name = "performance"

urlpatterns = [
    path("", portal.scorecard, name="scorecard"),
    path("qbr/", qbr.qbr_list, name="qbr_list"),
    path("qbr/<int:pk>/pdf/", qbr.qbr_pdf, name="qbr_pdf"),
]

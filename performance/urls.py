"""Portal pages of the performance stage, under /portal/scorecard/."""

from django.urls import path

from .views import qbr

app_name = "performance"

urlpatterns = [
    path("qbr/", qbr.qbr_list, name="qbr_list"),
    path("qbr/<int:pk>/pdf/", qbr.qbr_pdf, name="qbr_pdf"),
]

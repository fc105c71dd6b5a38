"""Portal pages of channel marketing: locator."""

from django.urls import path

from ..views import locator as views

app_name = "locator"
urlpatterns: list = [
    path("", views.profile_edit, name="profile"),
]

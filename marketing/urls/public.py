"""The public partner locator (no sign-in): /partners/ and a page per listed partner."""

from django.urls import path

from ..views import locator as views

app_name = "locator_public"
urlpatterns: list = [
    path("", views.locator_list, name="list"),
    path("<slug:slug>/", views.locator_detail, name="detail"),
    path("<slug:slug>/contact/", views.locator_contact, name="contact"),
    path("<slug:slug>/thanks/", views.locator_thanks, name="thanks"),
    path("<slug:slug>/logo", views.locator_logo, name="logo"),
]

"""Portal pages of channel marketing: leads."""

from django.urls import path

from ..views import leads as views

app_name = "leads"
urlpatterns = [
    path("", views.lead_list, name="list"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/accept/", views.lead_accept, name="accept"),
    path("<int:pk>/decline/", views.lead_decline, name="decline"),
]

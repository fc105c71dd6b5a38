from django.urls import path

from . import views

app_name = "deals"

urlpatterns = [
    path("", views.deal_list, name="list"),
    path("new/", views.deal_new, name="new"),
    path("<int:pk>/", views.deal_detail, name="detail"),
    path("<int:pk>/extension/", views.deal_extension_request, name="extension"),
    path("<int:pk>/edit/", views.deal_edit, name="edit"),
    path("<int:pk>/discard/", views.deal_discard, name="discard"),
]

"""Portal pages of channel marketing: funds."""

from django.urls import path

from ..views import funds as views

app_name = "funds"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/claim/", views.claim, name="claim"),
    path("proofs/<int:pk>/", views.proof, name="proof"),
]

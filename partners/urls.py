from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.portal_home, name="home"),
    path("onboarding/", views.onboarding, name="onboarding"),
    path("agreement/", views.agreement, name="agreement"),
    path("agreement/signatures/<int:pk>/pdf/", views.agreement_pdf, name="agreement_pdf"),
    path("agreement/signatures/<int:pk>/pdf/status/", views.agreement_pdf_status, name="agreement_pdf_status"),
    path("profile/", views.profile, name="profile"),
    path("team/", views.team, name="team"),
    path("team/<int:pk>/deactivate/", views.team_member_deactivate, name="team_member_deactivate"),
    path("payout-details/", views.payout_details, name="payout_details"),
]

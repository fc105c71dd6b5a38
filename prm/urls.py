from allauth.account.decorators import secure_admin_login
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from conflicts import api as conflicts_api
from deals import api as deals_api
from enablement import api as enablement_api
from enablement import urls as enablement_urls
from enablement import views as enablement_views
from incentives import api as incentives_api
from marketing.api import funds as funds_api  # marketing: funds
from marketing.api import leads as leads_api  # --- marketing: leads ---
from partners import api as partners_api
from partners import views as partners_views
from performance.api import scorecards as scorecards_api
from performance.api import tier_reviews as tier_reviews_api

from . import views
from .api import FileNegotiation

admin.site.site_header = "PRM administration"
admin.site.site_title = "PRM"
admin.site.index_title = "Partner program"
# Admin sign-in goes through allauth, so its rate limits cover staff too.
admin.site.login = secure_admin_login(admin.site.login)

router = SimpleRouter(use_regex_path=False)
router.register("partners", partners_api.PartnerViewSet, basename="partner")
router.register("applications", partners_api.ApplicationViewSet, basename="application")
router.register("deals", deals_api.DealViewSet, basename="deal")
router.register("commission-lines", incentives_api.CommissionLineViewSet, basename="commission-line")
router.register("payout-runs", incentives_api.PayoutRunViewSet, basename="payout-run")
router.register("statements", incentives_api.StatementViewSet, basename="statement")
router.register("content", enablement_api.ContentViewSet, basename="content")
router.register("courses", enablement_api.CourseViewSet, basename="course")
router.register("certifications", enablement_api.CertificationViewSet, basename="certification")
router.register("cases", conflicts_api.CaseViewSet, basename="case")
router.register("newsletters", enablement_api.NewsletterViewSet, basename="newsletter")  # communication
router.register("announcements", enablement_api.AnnouncementViewSet, basename="announcement")
router.register("tier-reviews", tier_reviews_api.TierReviewViewSet, basename="tier-review")  # performance
# --- marketing: leads ---
router.register("leads", leads_api.LeadViewSet, basename="lead")
# --- marketing: funds ---
router.register("fund-allocations", funds_api.FundAllocationViewSet, basename="fund-allocation")
router.register("fund-requests", funds_api.FundRequestViewSet, basename="fund-request")
router.register("fund-claims", funds_api.FundClaimViewSet, basename="fund-claim")

api_v1 = [
    # File downloads are named as files, without the router's trailing slash.
    path(
        "payout-runs/<int:pk>/statements.zip",
        incentives_api.PayoutRunViewSet.as_view(
            {"get": "statements_zip"}, detail=True, content_negotiation_class=FileNegotiation
        ),
        name="payout-run-statements-zip",
    ),
    path(
        "payout-runs/<int:pk>/export.csv",
        incentives_api.PayoutRunViewSet.as_view(
            {"get": "export_csv"}, detail=True, content_negotiation_class=FileNegotiation
        ),
        name="payout-run-export-csv",
    ),
    path("auth/token/", partners_api.TokenView.as_view(), name="api-token"),
    path("me/", partners_api.MeView.as_view(), name="api-me"),
    # Before the router's partners/<pk>/ routes, so this path is never taken for one of them.
    path("partners/<int:pk>/scorecard/", scorecards_api.PartnerScorecardView.as_view(), name="partner-scorecard"),
    *router.urls,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("apply/", partners_views.apply, name="apply"),
    path("apply/thanks/", partners_views.apply_thanks, name="apply_thanks"),
    path("accounts/invitation/<str:token>/", partners_views.invitation_accept, name="invitation_accept"),
    path("accounts/", include("allauth.urls")),
    path("portal/", include("partners.urls")),
    path("portal/deals/", include("deals.urls")),
    path("portal/statements/", include("incentives.urls")),
    path("portal/training/", include((enablement_urls.training, "training"))),
    path("portal/content/", include((enablement_urls.content, "content"))),
    path("portal/announcements/", include((enablement_urls.announcements, "announcements"))),
    path("portal/news/", include((enablement_urls.news, "news"))),  # newsletters (issue 10)
    path("certificates/<str:code>/", enablement_views.certificate_verify, name="certificate_verify"),
    # Surveys (partner feedback): the signed link of the invitation mail, and the portal pages.
    path("surveys/answer/<str:token>/", enablement_views.survey_answer_public, name="survey_answer_public"),
    path("portal/surveys/", include((enablement_urls.surveys, "surveys"))),
    path("portal/cases/", include("conflicts.urls")),
    path("portal/scorecard/", include("performance.urls")),  # performance: scorecard and QBRs
    # --- Channel marketing: funds, leads, the locator profile; the public locator ---
    path("portal/funds/", include("marketing.urls.funds")),
    path("portal/leads/", include("marketing.urls.leads")),
    path("portal/locator/", include("marketing.urls.locator")),
    path("partners/", include("marketing.urls.public")),
    # --- Communication: newsletters ---
    path(
        "newsletters/unsubscribe/<str:token>/",
        enablement_views.newsletter_unsubscribe,
        name="newsletter_unsubscribe",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI styles itself inline; allow that on this page alone.
    path(
        "api/docs/",
        csp_update({"style-src": ["'self'", "'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="swagger-ui",
    ),
]

handler403 = "prm.views.permission_denied"
handler404 = "prm.views.page_not_found"
handler500 = "prm.views.server_error"

"""No invalid state answers 500: every state-changing admin action, custom admin view, admin form
that calls a service, portal form and API action is driven with an object in a state that does not
allow it (mostly: done once, then submitted again, as a double click does), and the refusal is
shown: the API answers 400/409 with the documented body, pages show a message on the same page.

The tables below are checked against what the project registers (admin actions and views, portal
URLs, API POST endpoints), so a new action or URL without a row here fails the test.
"""

import html
import inspect
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Callable

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from deals.models import DealRegistration, ExtensionRequest
from incentives.models import CommissionPlan, CommissionRule, PayoutRun
from partners.models import Agreement, FitCriterion, OnboardingTask, PayoutDetails, User

from .admin_forms import admin_form_data
from .clients import api_client_for
from .factories import (
    AgreementFactory,
    ApplicationFactory,
    DealDataFactory,
    DealFactory,
    PartnerFactory,
    SignatureFactory,
    StaffUserFactory,
    course_with_quiz,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YESTERDAY = TODAY - timedelta(days=1)


@dataclass
class World:
    """The people every case acts as (the test trio and the staff roles)."""

    partner_admin: User
    rep: User
    manager: User
    finance: User
    finance2: User
    superuser: User

    def deal(self, status: str, **fields) -> DealRegistration:
        if status in ("approved", "won", "lost", "expired") and "protected_until" not in fields:
            fields["protected_until"] = TODAY + timedelta(days=30)
        if status in ("won", "lost"):
            fields.setdefault("closed_on", TODAY)
        if status == "won":
            fields.setdefault("final_amount", Decimal("9000.00"))
        return DealFactory(
            partner=self.partner_admin.partner, registered_by=self.partner_admin, status=status, **fields
        )

    def dispute(self):
        """A dispute the partner opened; resolved, it takes no messages and no second resolution."""
        from conflicts import services as case_services

        return case_services.case_open_dispute(
            partner=self.partner_admin.partner,
            user=self.partner_admin,
            kind="other",
            subject="Missing commission",
            body="The March deal earned nothing.",
        )

    def pending_extension(self) -> ExtensionRequest:
        return ExtensionRequest.objects.create(
            deal=self.deal("approved"), requested_by=self.partner_admin, reason="Board meets late"
        )

    def announcement(self, **fields):
        """A current announcement whose audience (every active partner) includes the partner users."""
        from enablement.models import Announcement

        fields.setdefault("title", "Q1 SPIF")
        return Announcement.objects.create(body_markdown="A bonus on every **won** deal.", **fields)

    def tier_review(self):
        """An open proposal to move the partner (Silver) up to Gold."""
        from partners.models import Tier
        from performance.models import TierReview

        partner = self.partner_admin.partner
        gold, _ = Tier.objects.get_or_create(name="Gold", defaults={"rank": 3})
        return TierReview.objects.create(
            partner=partner,
            current_tier=partner.tier,
            proposed_tier=gold,
            direction="upgrade",
            reasons=["won revenue 12 months 212,400.00 USD >= 200,000.00 USD", "certified users 3 >= 3"],
            evaluated_on=TODAY,
        )

    def run(self, status: str, **fields) -> PayoutRun:
        if status not in PayoutRun.OPEN_STATUSES:
            fields.setdefault("open_slot", None)
        if status in ("approved", "paid"):
            fields.setdefault("approved_by", self.finance2)
        return PayoutRun.objects.create(period_end=YESTERDAY, status=status, created_by=self.finance, **fields)


@pytest.fixture
def world(partner_admin, rep, manager, finance, finance2):
    return World(
        partner_admin,
        rep,
        manager,
        finance,
        finance2,
        StaffUserFactory(role="admin", is_superuser=True, email="root@example.com"),
    )


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def assert_said(response, text: str) -> None:
    assert response.status_code != 500
    assert text in page_text(response), f"{text!r} not on the page ({response.status_code})"


# --- Admin actions -------------------------------------------------------------------------------


@dataclass
class Action:
    """Run as ``user``: ``make`` builds the selected objects in a state that allows the action
    once; the second submit (the double click) must be refused with ``refusal`` on the page.
    Actions that may run again harmlessly have no refusal and say ``done`` both times."""

    user: str
    make: Callable[[World], list]
    data: dict | Callable[[World], dict] = field(default_factory=dict)
    refusal: str | None = None
    done: str | None = None


def _plan(world):
    plan = CommissionPlan.objects.create(
        name="Silver 2026", tier=world.partner_admin.partner.tier, currency="USD", starts_on=TODAY - timedelta(days=100)
    )
    CommissionRule.objects.create(plan=plan, kind="percentage", rate=Decimal("8"), order=0)
    return [plan]


def _onboarding_task(world):
    return [
        OnboardingTask.objects.create(
            partner=world.partner_admin.partner, key="kickoff", title="Kick-off call", required=False
        )
    ]


def _target(world):
    from performance.models import Target

    return Target.objects.create(
        partner=world.partner_admin.partner, period_start=TODAY, period_end=TODAY + timedelta(days=89), new_deals=3
    )


def _survey(world, status: str):
    """A survey of the partner's users: a draft, or sent (open) to them."""
    from enablement import services as enablement_services

    survey = enablement_services.survey_save(
        by=world.manager, data={"title": "Partner satisfaction"}, questions=[{"kind": "rating", "text": "Portal?"}]
    )
    if status != "draft":
        enablement_services.survey_send(survey=survey, by=world.manager)
    return survey


def _qbr(world, status: str):
    """The partner's QBR of the last complete quarter, its PDF ``status`` ("ready", "pending")."""
    from performance.models import QuarterlyReview, quarter_start

    quarter = quarter_start(quarter_start(TODAY) - timedelta(days=1))
    return QuarterlyReview.objects.create(
        partner=world.partner_admin.partner,
        quarter=quarter,
        pdf_status=status,
        pdf="qbr/2026/acme.pdf" if status == "ready" else "",
        requested_at=timezone.now(),
    )


def _qbr_pack(world, status: str = "rendering"):
    from performance.models import QbrPack, quarter_start

    quarter = quarter_start(quarter_start(TODAY) - timedelta(days=1))
    return QbrPack.objects.create(quarter=quarter, requested_by=world.manager, status=status, total=3, done=1)


ADMIN_ACTIONS: dict[str, Action] = {
    "deals.dealregistration:approve": Action(
        "manager", lambda w: [w.deal("submitted")], refusal="This deal is already approved."
    ),
    "deals.dealregistration:reject": Action(
        "manager",
        lambda w: [w.deal("submitted")],
        {"reason": "Not a real opportunity"},
        refusal="This deal is already rejected.",
    ),
    "deals.dealregistration:reverse_win": Action(
        "manager",
        lambda w: [w.deal("won")],
        {"reason": "Order cancelled"},
        refusal="Only a won deal can have its win reversed.",
    ),
    "deals.dealregistration:export_csv": Action("manager", lambda w: [w.deal("won")]),
    "deals.extensionrequest:grant": Action(
        "manager", lambda w: [w.pending_extension()], refusal="This request is already decided."
    ),
    "deals.extensionrequest:refuse": Action(
        "manager",
        lambda w: [w.pending_extension()],
        {"reason": "Protection is long enough"},
        refusal="This request is already decided.",
    ),
    "incentives.payoutrun:recalculate": Action(
        "finance", lambda w: [w.run("failed")], refusal="This payout run is already calculating."
    ),
    "incentives.payoutrun:restart": Action(
        "finance",
        lambda w: [w.run("calculating", heartbeat_at=timezone.now() - timedelta(hours=1))],
        refusal="is not stuck: its worker gave a sign of life",
    ),
    "incentives.payoutrun:approve": Action(
        "finance2", lambda w: [w.run("calculated")], refusal="This payout run is already approved."
    ),
    "incentives.payoutrun:mark_paid": Action(
        "finance",
        lambda w: [w.run("approved")],
        {"reference": "BANK-2026-001"},
        refusal="This payout run is already paid.",
    ),
    "incentives.commissionplan:new_version": Action(
        "manager", _plan, refusal="Silver 2026 is not the newest version of its plan: Silver 2026 v2 is."
    ),
    "partners.application:take_into_screening": Action(
        "manager", lambda w: [ApplicationFactory()], refusal="This application is already screening."
    ),
    "partners.application:approve": Action(
        "manager",
        lambda w: [ApplicationFactory(status="screening")],
        refusal="This application is already approved.",
    ),
    "partners.application:reject": Action(
        "manager",
        lambda w: [ApplicationFactory()],
        {"reason": "Not a fit"},
        refusal="This application is already rejected.",
    ),
    "partners.application:rescore": Action(
        "manager", lambda w: [ApplicationFactory()], done="1 application re-scored."
    ),
    "partners.fitcriterion:rescore_open_applications": Action(
        "superuser",
        lambda w: [FitCriterion.objects.create(name="Germany", kind="country", weight=10, values=["DE"])],
        done="Open applications are being re-scored",
    ),
    "partners.onboardingtask:mark_done": Action("manager", _onboarding_task, done="1 task marked done."),
    "partners.agreement:publish": Action(
        "superuser",
        lambda w: [Agreement.objects.create(version=1, title="Partner agreement", body_markdown="# Terms")],
        refusal="This version is already published; write a new version to change the text.",
    ),
    "partners.partner:remind_now": Action(
        "manager",
        lambda w: [w.partner_admin.partner],
        done="1 selected partner is not onboarding and was not reminded.",
    ),
    "partners.partner:activate": Action(
        "manager",
        lambda w: [PartnerFactory(status="onboarding")],
        {"reason": "Signed on paper"},
        refusal="This partner is already active.",
    ),
    "partners.partner:suspend": Action(
        "manager",
        lambda w: [PartnerFactory()],
        {"reason": "Unpaid fees"},
        refusal="This partner is already suspended.",
    ),
    "partners.partner:reactivate": Action(
        "manager",
        lambda w: [PartnerFactory(status="suspended")],
        {"reason": "Fees paid"},
        refusal="This partner is already active.",
    ),
    "partners.partner:terminate": Action(
        "manager",
        lambda w: [PartnerFactory()],
        {"reason": "Contract ended"},
        refusal="This partner is already terminated.",
    ),
    "partners.partner:change_tier": Action(
        "manager",
        lambda w: [PartnerFactory()],
        lambda w: {"tier": w.partner_admin.partner.tier_id, "reason": "Promotion"},
        done="1 partner changed tier.",
    ),
    "account.emailaddress:make_verified": Action("superuser", lambda w: list(w.rep.emailaddress_set.all())),
    "enablement.announcement:withdraw": Action(
        "manager", lambda w: [w.announcement()], refusal="“Q1 SPIF” has already ended."
    ),
    # Surveys (partner feedback)
    "enablement.survey:send_to_audience": Action(
        "manager", lambda w: [_survey(w, "draft")], {"post": "yes"}, refusal="This survey is already open."
    ),
    "enablement.survey:send_reminder": Action(
        "manager",
        lambda w: [_survey(w, "open")],
        {"post": "yes"},
        refusal="The reminder of this survey was already sent.",
    ),
    "enablement.survey:close_survey": Action(
        "manager", lambda w: [_survey(w, "open")], {"post": "yes"}, refusal="This survey is already closed."
    ),
    # Performance: targets (a download, as often as asked)
    "performance.target:export_csv": Action("manager", lambda w: [_target(w)]),
    # Performance (issue 12): a QBR's PDF rendered again; the double click finds it pending.
    "performance.quarterlyreview:render_again": Action(
        "manager", lambda w: [_qbr(w, "ready")], refusal="is being rendered already."
    ),
}
# --- Performance: tier reviews (decided once; a second decision is refused in words) ---
ADMIN_ACTIONS["performance.tierreview:apply_reviews"] = Action(
    "manager", lambda w: [w.tier_review()], refusal="This review is already applied."
)
ADMIN_ACTIONS["performance.tierreview:dismiss_reviews"] = Action(
    "manager", lambda w: [w.tier_review()], {"reason": "Next quarter"}, refusal="This review is already dismissed."
)
# --- marketing: leads (issue 13) ---
ADMIN_ACTIONS["marketing.lead:route_again"] = Action(
    "manager", lambda w: [_offered_lead(w)], done="1 lead routed again."
)
ADMIN_ACTIONS["marketing.lead:offer_to_partner"] = Action(
    "manager",
    lambda w: [_offered_lead(w)],
    lambda w: {"partner": _other_partner().pk},
    refusal="was already offered this lead",  # the choice is gone from the form, which says why
)
ADMIN_ACTIONS["marketing.lead:close_leads"] = Action(
    "manager", lambda w: [_offered_lead(w)], {"reason": "Duplicate"}, refusal="This lead is closed"
)


def _offered_lead(world):
    """marketing: leads — a lead offered to the world's partner (pending)."""
    from marketing.services.leads import lead_offer

    from .marketing.leads import make_lead

    lead = make_lead()
    lead_offer(lead=lead, partner=world.partner_admin.partner, rule=None, reasons="Chosen by hand")
    return lead


def _other_partner():
    return PartnerFactory(name="Umbrella Leads") if not _umbrella().exists() else _umbrella().get()


def _umbrella():
    from partners.models import Partner

    return Partner.objects.filter(name="Umbrella Leads")


# --- Marketing: funds (a request is decided once, a claim too) ---
def _fund_request(world, state: str = "submitted"):
    """A fund request of the world's partner (an allocation of this year) in ``state``:
    submitted, approved (the activity over, claimable) or claimed (its claim waiting)."""
    from marketing.models import FundAllocation

    from .marketing.funds import allocation, approved, claimed, ended, submitted

    if not FundAllocation.objects.filter(partner=world.partner_admin.partner).exists():
        allocation(world.partner_admin.partner)
    if state == "submitted":
        return submitted(world.partner_admin)
    if state == "approved":
        return ended(approved(world.partner_admin, world.manager))
    return claimed(world.partner_admin, world.manager).request


def _fund_claim(world):
    return _fund_request(world, "claimed").claims.get()


ADMIN_ACTIONS["marketing.fundrequest:approve"] = Action(
    "manager", lambda w: [_fund_request(w)], {"amount": ""}, refusal="This fund request is already approved."
)
ADMIN_ACTIONS["marketing.fundrequest:reject"] = Action(
    "manager", lambda w: [_fund_request(w)], {"reason": "Off-brand"}, refusal="This fund request is already rejected."
)
ADMIN_ACTIONS["marketing.fundclaim:approve"] = Action(
    "finance", lambda w: [_fund_claim(w)], refusal="This claim is already approved."
)
ADMIN_ACTIONS["marketing.fundclaim:reject"] = Action(
    "finance", lambda w: [_fund_claim(w)], {"reason": "Illegible invoice"}, refusal="This claim is already rejected."
)
# Django's delete: a stale page (the objects were deleted meanwhile) changes nothing and answers.
DELETE_ACTION = "delete_selected"


def _staff_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def discovered_admin_actions(superuser) -> set[str]:
    request = _staff_request(superuser)
    return {
        f"{model._meta.label_lower}:{name}"
        for model, model_admin in admin.site._registry.items()
        for name in model_admin.get_actions(request)
    }


def test_every_admin_action_has_a_case(world):
    discovered = {key for key in discovered_admin_actions(world.superuser) if not key.endswith(f":{DELETE_ACTION}")}
    assert discovered == set(ADMIN_ACTIONS), "add a row to ADMIN_ACTIONS for each new admin action"


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.parametrize("key", sorted(ADMIN_ACTIONS))
def test_an_admin_action_twice_is_refused_in_words_on_the_same_page(client, world, key):
    case = ADMIN_ACTIONS[key]
    objects = case.make(world)
    client.force_login(getattr(world, case.user))
    url = _changelist(type(objects[0]))
    data = case.data(world) if callable(case.data) else case.data
    post = {"action": key.split(":")[1], "_selected_action": [o.pk for o in objects], **data}
    first = client.post(url, post, follow=True)
    assert first.status_code == 200
    second = client.post(url, post, follow=True)
    assert second.status_code == 200
    if case.refusal:
        assert_said(second, case.refusal)
        assert case.refusal not in page_text(first)
    if case.done:
        assert_said(first, case.done)
        assert_said(second, case.done)


def _deletable_models() -> list[str]:
    """Models whose admin offers Django's delete action (to a superuser, who may do the most)."""
    request = _staff_request(User(email="root@example.com", is_staff=True, is_superuser=True, is_active=True))
    return sorted(
        m._meta.label_lower
        for m, model_admin in admin.site._registry.items()
        if DELETE_ACTION in model_admin.get_actions(request)
    )


@pytest.mark.parametrize("model", _deletable_models())
def test_deleting_what_is_gone_already_answers(client, world, model):
    model_class = next(m for m in admin.site._registry if m._meta.label_lower == model)
    client.force_login(world.superuser)
    response = client.post(
        _changelist(model_class), {"action": DELETE_ACTION, "_selected_action": [987654], "post": "yes"}, follow=True
    )
    assert response.status_code == 200


def test_a_tier_in_use_cannot_be_deleted_and_the_page_says_why(client, world):
    tier = world.partner_admin.partner.tier
    client.force_login(world.superuser)
    response = client.post(
        _changelist(type(tier)), {"action": DELETE_ACTION, "_selected_action": [tier.pk], "post": "yes"}, follow=True
    )
    assert_said(response, "would require deleting the following protected related objects")
    assert type(tier).objects.filter(pk=tier.pk).exists()


# --- Custom admin views --------------------------------------------------------------------------


@dataclass
class View:
    """``make`` gives the URL (of an object in a state that allows the request once) and the
    POST data; the second request must be refused with ``refusal``. Downloads are read-only
    (``data`` is None): they answer 200 or a clear 404."""

    user: str
    make: Callable[[World], tuple[str, dict | None]]
    refusal: str | None = None


def _import_case(world):
    rows = "partner,customer_name,customer_domain,customer_country,amount,currency,expected_close_date\n"
    rows += f"{world.partner_admin.partner.name},Fabrikam,fabrikam.com,US,100,USD,{YESTERDAY.isoformat()}\n"
    return reverse("admin:deals_dealregistration_import"), {"file": rows}


def _close_case(world):
    return reverse("admin:deals_dealregistration_close", args=[world.deal("approved").pk]), {
        "outcome": "won",
        "amount": "9000",
    }


def _signature_pdf(world):
    signature = SignatureFactory(partner=world.partner_admin.partner, signer=world.partner_admin)
    return reverse("admin:partners_agreementsignature_pdf", args=[signature.pk]), None


def _statement_pdf(world):
    from incentives.models import PayoutStatement

    run = world.run("approved")
    statement = PayoutStatement.objects.create(
        run=run,
        partner=world.partner_admin.partner,
        currency="USD",
        total=Decimal("0"),
        line_count=0,
        after_line_id=0,
        last_line_id=1,
    )
    return reverse("admin:incentives_payoutstatement_pdf", args=[statement.pk]), None


def _newsletter_url(world, view: str, status: str = "draft") -> str:
    """A newsletter of the world's partner (its users are the audience), in ``status``."""
    from enablement.models import Newsletter

    newsletter = Newsletter.objects.create(
        subject="Spring news",
        body_markdown="Hello **partners**.",
        created_by=world.manager,
        status=status,
        scheduled_for=timezone.now() + timedelta(days=1) if status == "scheduled" else None,
    )
    return reverse(f"admin:enablement_newsletter_{view}", args=[newsletter.pk])


ADMIN_VIEWS: dict[str, View] = {
    "deals_dealregistration_import": View(
        "manager", _import_case, refusal="Row 2: expected_close_date: The expected close date cannot be in the past."
    ),
    "deals_dealregistration_close": View("manager", _close_case, refusal="This deal is already won."),
    "incentives_payoutrun_zip": View(
        "finance", lambda w: (reverse("admin:incentives_payoutrun_zip", args=[w.run("calculating").pk]), None)
    ),
    "incentives_payoutrun_csv": View(
        "finance", lambda w: (reverse("admin:incentives_payoutrun_csv", args=[w.run("failed").pk]), None)
    ),
    "incentives_payoutrun_documents": View(
        "finance", lambda w: (reverse("admin:incentives_payoutrun_documents", args=[w.run("calculating").pk]), None)
    ),
    "partners_agreementsignature_pdf": View("manager", _signature_pdf),
    "conflicts_case_act": View(
        "manager",
        lambda w: (
            reverse("admin:conflicts_case_act", args=[w.dispute().pk, "resolve"]),
            {"resolve-outcome": "no_action", "resolve-note": "Nothing to change.", "resolve-deal": ""},
        ),
        refusal="is already resolved.",
    ),
    "incentives_payoutstatement_pdf": View("finance", _statement_pdf),
    # Surveys (partner feedback): the responses as CSV
    "enablement_survey_csv": View(
        "manager", lambda w: (reverse("admin:enablement_survey_csv", args=[_survey(w, "open").pk]), None)
    ),
    # --- Newsletters (issue 10) ---
    "enablement_newsletter_preview": View("manager", lambda w: (_newsletter_url(w, "preview"), None)),
    "enablement_newsletter_preview_html": View("manager", lambda w: (_newsletter_url(w, "preview_html"), None)),
    "enablement_newsletter_progress": View("manager", lambda w: (_newsletter_url(w, "progress", "sending"), None)),
    # A test may be sent again: each submit says so.
    "enablement_newsletter_test": View(
        "manager", lambda w: (_newsletter_url(w, "test"), {}), refusal="A test was sent to manager@example.com."
    ),
    "enablement_newsletter_send": View(
        "manager", lambda w: (_newsletter_url(w, "send"), {}), refusal="This newsletter is already being sent."
    ),
    # Performance: a row naming no partner is refused, each time, with its row and column
    "performance_target_import": View(
        "manager",
        lambda w: (
            reverse("admin:performance_target_import"),
            {"file": "partner,period_start,period_end,new_deals\nNobody Ltd,2026-01-01,2026-03-31,3\n"},
        ),
        refusal="Row 2, partner: no partner is named exactly 'Nobody Ltd'.",
    ),
    "enablement_newsletter_unschedule": View(
        "manager",
        lambda w: (_newsletter_url(w, "unschedule", "scheduled"), {}),
        refusal="Only a scheduled newsletter can be unscheduled.",
    ),
    # --- Performance (issue 12): QBR downloads and progress, the program evaluation ---
    "performance_quarterlyreview_pdf": View(
        "manager", lambda w: (reverse("admin:performance_quarterlyreview_pdf", args=[_qbr(w, "pending").pk]), None)
    ),
    "performance_quarterlyreview_status": View(
        "manager", lambda w: (reverse("admin:performance_quarterlyreview_status", args=[_qbr(w, "pending").pk]), None)
    ),
    "performance_qbrpack_zip": View(
        "manager", lambda w: (reverse("admin:performance_qbrpack_zip", args=[_qbr_pack(w).pk]), None)
    ),
    "performance_qbrpack_progress": View(
        "manager", lambda w: (reverse("admin:performance_qbrpack_progress", args=[_qbr_pack(w).pk]), None)
    ),
    "performance_programcost_evaluation": View(
        "manager", lambda w: (reverse("admin:performance_programcost_evaluation") + "?start=x&end=y", None)
    ),
    "performance_programcost_evaluation_csv": View(
        "finance", lambda w: (reverse("admin:performance_programcost_evaluation_csv"), None)
    ),
}
# marketing: leads — a row without a company is refused, each time, with its row and column
ADMIN_VIEWS["marketing_lead_import"] = View(
    "manager",
    lambda w: (
        reverse("admin:marketing_lead_import"),
        {"file": "company,contact_name,contact_email,country\n,Ann,ann@good.de,DE\n"},
    ),
    refusal="Row 2, column company: This field cannot be blank.",
)
# Running the tier evaluation again is harmless: each request says it runs.
ADMIN_VIEWS["performance_tierreview_review_now"] = View(
    "manager",
    lambda w: (reverse("admin:performance_tierreview_review_now"), {}),
    refusal="The tiers are being reviewed in the background",
)


def _allocate_for_period(world):
    """A tier rule for the partner's tier: allocating twice allocates once, and says so."""
    from marketing.models import FundTierRule

    FundTierRule.objects.create(tier=world.partner_admin.partner.tier, amount=Decimal("8000"), currency="USD")
    return reverse("admin:marketing_fundallocation_allocate"), {"on": TODAY.isoformat()}


# Marketing: funds (allocating by tier rule is idempotent; the ROI page reads only)
ADMIN_VIEWS["marketing_fundallocation_allocate"] = View(
    "manager", _allocate_for_period, refusal="Every partner of a ruled tier already has an allocation for this period."
)
ADMIN_VIEWS["marketing_fundallocation_roi"] = View(
    "manager", lambda w: (reverse("admin:marketing_fundallocation_roi"), None)
)
STANDARD_ADMIN_URLS = ("_changelist", "_add", "_history", "_delete", "_change", "_autocomplete")


def test_every_custom_admin_view_has_a_case():
    discovered = {
        pattern.name
        for model_admin in admin.site._registry.values()
        for pattern in model_admin.get_urls()
        if pattern.name and not pattern.name.endswith(STANDARD_ADMIN_URLS)
    }
    assert discovered == set(ADMIN_VIEWS), "add a row to ADMIN_VIEWS for each new admin view"


@pytest.mark.parametrize("name", sorted(ADMIN_VIEWS))
def test_a_custom_admin_view_twice_is_refused_in_words_on_the_same_page(client, world, name):
    case = ADMIN_VIEWS[name]
    url, data = case.make(world)
    client.force_login(getattr(world, case.user))
    if data is None:
        for _ in range(2):
            response = client.get(url, follow=True)
            # A download that is not ready (or not possible in the object's state) says so: on
            # the object's page after a redirect, or on a page of its own (409); never a 500.
            assert response.status_code in (200, 404, 409)
        return

    def submit():
        files = {k: SimpleUploadedFile("deals.csv", v.encode()) for k, v in data.items() if k == "file"}
        return client.post(url, {**data, **files}, follow=True)

    first, second = submit(), submit()
    assert first.status_code == 200
    assert_said(second, case.refusal)
    if name == "deals_dealregistration_close":
        assert second.redirect_chain == []  # the refusal is on the form it came from
        assert case.refusal not in page_text(first)


def test_closing_a_deal_that_is_not_approved_is_said_on_the_close_form(client, world):
    deal = world.deal("submitted")
    client.force_login(world.manager)
    response = client.post(reverse("admin:deals_dealregistration_close", args=[deal.pk]), {"outcome": "lost"})
    assert_said(response, "A deal that is submitted cannot become lost.")
    deal.refresh_from_db()
    assert deal.status == "submitted"


# --- Admin forms whose save calls a service ------------------------------------------------------


def _form_payout_run(client, world):
    world.run("calculated")
    return (
        reverse("admin:incentives_payoutrun_add"),
        {"period_end": YESTERDAY.isoformat()},
        "Another payout run is open",
    )


def _form_adjustment(client, world):
    data = {"partner": world.partner_admin.partner.pk, "amount": "0", "currency": "USD", "explanation": "Goodwill"}
    return (
        reverse("admin:incentives_commissionline_add"),
        data,
        "Amount: Give a non-zero amount with at most two decimals.",
    )


def _form_invitation(client, world):
    data = {
        "partner": world.partner_admin.partner.pk,
        "email": world.rep.email,
        "full_name": "Carol",
        "role": "partner_rep",
    }
    return reverse("admin:partners_invitation_add"), data, "This person already has an account."


def _form_partner(client, world):

    partner = world.partner_admin.partner
    PartnerFactory(name="Globex Solutions")
    url = reverse("admin:partners_partner_change", args=[partner.pk])
    # Another case than the existing name's: the form's unique check passes, the service refuses.
    return (
        url,
        admin_form_data(client.get(url), name="GLOBEX SOLUTIONS"),
        "A partner named GLOBEX SOLUTIONS already exists.",
    )


def _form_payout_details(client, world):
    details = PayoutDetails.objects.create(
        partner=world.partner_admin.partner,
        method="iban",
        currency="EUR",
        account_holder="Acme",
        iban="DE89370400440532013000",
    )
    url = reverse("admin:partners_payoutdetails_change", args=[details.pk])
    return (
        url,
        admin_form_data(client.get(url), iban="DE00 1234"),
        "Enter a valid IBAN; this one's check digits do not match.",
    )


def _form_partner_user(client, world):
    url = reverse("admin:partners_user_change", args=[world.partner_admin.pk])
    refusal = "This is the organization's last partner admin; make someone else partner admin first."
    return url, admin_form_data(client.get(url), role="partner_rep"), refusal


# --- Enablement and conflicts: their admin forms that save through a service ---


def _form_content_asset(client, world):
    data = {"title": "Brochure", "category": "sales", "kind": "file", "language": "en", "published": "on"}
    return reverse("admin:enablement_contentasset_add"), data, "Upload the file partners download."


def _form_announcement(client, world):
    data = {
        "title": "Q1 SPIF",
        "body_markdown": "A bonus on every **won** deal.",
        "link_text": "Read the SPIF rules",
        "publish_at_0": TODAY.isoformat(),
        "publish_at_1": "09:00:00",
        "recipients": "all",
    }
    refusal = "Give the link these words lead to, or leave the link text empty."
    return reverse("admin:enablement_announcement_add"), data, refusal


def _form_survey(client, world):
    """A draft's page left open while the survey was sent (from another tab): saving it is refused."""
    from enablement import services as enablement_services

    survey = _survey(world, "draft")
    url = reverse("admin:enablement_survey_change", args=[survey.pk])
    data = admin_form_data(client.get(url), title="Partner satisfaction 2026")
    enablement_services.survey_send(survey=survey, by=world.manager)
    return url, data, "This survey has been sent: its questions no longer change."


def _form_newsletter(client, world):
    """A draft's page left open while the newsletter was sent (from another tab): saving it is refused."""
    from enablement import services as enablement_services

    newsletter = _api_newsletter(world)
    url = reverse("admin:enablement_newsletter_change", args=[newsletter.pk])
    data = admin_form_data(client.get(url), subject="Spring news, corrected")
    enablement_services.newsletter_send(newsletter=newsletter, by=world.manager)
    return url, data, "This newsletter was sent: it can no longer change."


def _form_case(client, world):
    """A case changes only through the forms of its page (they post to its act URL): assigning a
    resolved case is refused on that page."""
    from conflicts import services as case_services

    case = world.dispute()
    case_services.case_resolve(case=case, by=world.manager, outcome="no_action", note="Nothing to change.")
    url = reverse("admin:conflicts_case_act", args=[case.pk, "assign"])
    data = {"assign-owner": world.manager.pk, "assign-priority": "high"}
    return url, data, "This case is resolved: it has no one to work it any more."


def _form_target(client, world):
    """A target overlapping one the partner has: refused on the form, with what was typed."""
    _target(world)
    data = {
        "partner": world.partner_admin.partner.pk,
        "period_start": (TODAY + timedelta(days=30)).isoformat(),
        "period_end": (TODAY + timedelta(days=119)).isoformat(),
        "new_deals": "5",
    }
    return reverse("admin:performance_target_add"), data, "which overlaps this period"


# --- Performance (issue 12): QBRs, QBR packs and program costs ---


def _form_qbr(client, world):
    quarter = quarter_start_of_last()
    data = {"partner": world.partner_admin.partner.pk, "quarter": quarter.isoformat(), "goals": "Win\u202eTender"}
    return reverse("admin:performance_quarterlyreview_add"), data, "Remove the invisible character U+202E"


def _form_qbr_pack(client, world):
    """A pack of the quarter is rendering already: asking again is refused on the same page."""
    pack = _qbr_pack(world)
    return reverse("admin:performance_qbrpack_add"), {"quarter": pack.quarter.isoformat()}, "are being rendered already"


def _form_program_cost(client, world):
    data = {
        "quarter": quarter_start_of_last().isoformat(),
        "category": "events",
        "description": "Refund of the summit",
        "amount": "-5",
        "currency": "USD",
    }
    return reverse("admin:performance_programcost_add"), data, "Ensure this value is greater than or equal to 0."


# --- Channel marketing: the partner locator (issue 13) ---


def _listed_profile(world):
    from marketing.models import LocatorProfile

    partner = world.partner_admin.partner
    return LocatorProfile.objects.update_or_create(
        partner=partner, defaults={"slug": "acme-locator", "listed": True, "summary": f"{partner.name} helps."}
    )[0]


def _form_locator_profile(client, world):
    """A manager cannot list the profile of a partner that is not active: said on the form."""
    from partners.models import Partner

    profile = _listed_profile(world)
    profile.listed = False
    profile.save()
    Partner.objects.filter(pk=profile.partner_id).update(status=Partner.Status.SUSPENDED)
    url = reverse("admin:marketing_locatorprofile_change", args=[profile.pk])
    return url, {"listed": "on", "summary": "x", "description": ""}, "Only active partners are shown"


def _locator_contact(world):
    profile = _listed_profile(world)
    return reverse("locator_public:contact", args=[profile.slug]), {"company": "Initrode"}


def quarter_start_of_last():
    from performance.models import quarter_start

    return quarter_start(quarter_start(TODAY) - timedelta(days=1))


def _form_lead(client, world):
    """marketing: leads — a lead at a free-mail address without a domain cannot become a deal."""
    from .marketing.leads import lead_data

    data = {**lead_data(company="Solo Trader"), "domain": "", "contact_email": "solo@gmail.com"}
    return reverse("admin:marketing_lead_add"), data, "the contact's e-mail is at a free-mail provider"


# model -> (user, builds (url, data, refusal)); the form is posted twice, each answer says why.
ADMIN_FORMS: dict[str, tuple[str, Callable]] = {
    "incentives.payoutrun": ("finance", _form_payout_run),
    "incentives.commissionline": ("finance", _form_adjustment),
    "partners.invitation": ("superuser", _form_invitation),
    "partners.partner": ("superuser", _form_partner),
    "partners.payoutdetails": ("superuser", _form_payout_details),
    "partners.user": ("superuser", _form_partner_user),
    # Enablement (content, communication) and conflicts
    "enablement.contentasset": ("manager", _form_content_asset),
    "enablement.announcement": ("manager", _form_announcement),
    "enablement.survey": ("manager", _form_survey),
    "enablement.newsletter": ("manager", _form_newsletter),
    "conflicts.case": ("manager", _form_case),
    "performance.target": ("manager", _form_target),
    # Performance (issue 12)
    "performance.quarterlyreview": ("manager", _form_qbr),
    "performance.qbrpack": ("manager", _form_qbr_pack),
    "performance.programcost": ("finance", _form_program_cost),
    # Channel marketing (issue 13): locator profiles
    "marketing.locatorprofile": ("manager", _form_locator_profile),
    "marketing.lead": ("manager", _form_lead),  # marketing: leads
}


def _form_fund_allocation(client, world):
    """An allocation by hand that overlaps the partner's allocation of this year."""
    from .marketing.funds import allocation

    partner = world.partner_admin.partner
    allocation(partner)
    data = {
        "partner": partner.pk,
        "period_start": TODAY.replace(month=6, day=1).isoformat(),
        "period_end": TODAY.replace(month=12, day=31).isoformat(),
        "currency": "USD",
        "allocated": "5000",
        "note": "",
    }
    return reverse("admin:marketing_fundallocation_add"), data, "already has a USD allocation for an overlapping period"


ADMIN_FORMS["marketing.fundallocation"] = ("manager", _form_fund_allocation)  # marketing: funds


def _form_fund_request_decide(client, world):
    """The request page's Approve form, on a request decided already (the double click)."""
    request = _fund_request(world, "approved")
    return (
        reverse("admin:marketing_fundrequest_change", args=[request.pk]),
        {"_decide": "approve", "amount": ""},
        "This fund request is already approved.",
    )


def _form_fund_claim_decide(client, world):
    """The claim page's Approve form, on a claim finance approved already (the double click)."""
    from marketing.services.funds import fund_claim_approve

    claim = fund_claim_approve(claim=_fund_claim(world), by=world.finance)
    return (
        reverse("admin:marketing_fundclaim_change", args=[claim.pk]),
        {"_decide": "approve"},
        "This claim is already approved.",
    )


ADMIN_FORMS["marketing.fundrequest"] = ("manager", _form_fund_request_decide)  # marketing: funds
ADMIN_FORMS["marketing.fundclaim"] = ("finance2", _form_fund_claim_decide)  # marketing: funds
SAVE_HOOKS = (
    "save_model",
    "add_view",
    "change_view",
    "delete_model",
    "save_formset",
    "save_related",
    "changeform_view",
)
OUR_APPS = ("partners", "deals", "incentives", "prm", "enablement", "conflicts", "performance", "marketing")


def test_every_admin_form_that_saves_through_a_service_has_a_case():
    discovered = set()
    for model, model_admin in admin.site._registry.items():
        for hook in SAVE_HOOKS:
            owner = next(k for k in type(model_admin).__mro__ if hook in vars(k))
            if inspect.getmodule(owner).__name__.split(".")[0] in OUR_APPS:
                discovered.add(model._meta.label_lower)
    assert discovered == set(ADMIN_FORMS), "add a row to ADMIN_FORMS for each admin form that saves through a service"


@pytest.mark.parametrize("model", sorted(ADMIN_FORMS))
def test_an_admin_form_the_rules_refuse_says_why_on_the_same_page(client, world, model):
    user, make = ADMIN_FORMS[model]
    client.force_login(getattr(world, user))
    url, data, refusal = make(client, world)
    for _ in range(2):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert_said(response, refusal)
        assert response.request["PATH_INFO"] == url  # the same page, with what was typed or a message


# --- Portal forms --------------------------------------------------------------------------------


@dataclass
class Form:
    """``make`` gives the URL and POST data of a submit the state refuses (posted twice); the
    answer (followed) says ``refusal``. ``None`` marks a page that changes nothing."""

    user: str | None
    make: Callable[[World], tuple[str, dict]]
    refusal: str


def _deal_form(**changes):
    return DealDataFactory(**{"products": "Cloud Suite", **changes})


def _signed_agreement(world):
    agreement = AgreementFactory()
    SignatureFactory(partner=world.partner_admin.partner, signer=world.partner_admin, agreement=agreement)
    return reverse("portal:agreement"), {"signer_name": "Alice Admin", "consent": "on"}


# --- Enablement and conflicts: portal pages ---


def _resolved_dispute(world):
    from conflicts import services as case_services

    case = world.dispute()
    case_services.case_resolve(case=case, by=world.manager, outcome="no_action", note="Nothing to change.")
    return case


def _evidence_answered(world):
    """An evidence request the partner answered already: a second answer (a double click) is refused."""
    from conflicts import services as case_services

    case = world.dispute()
    asked = case_services.evidence_request(
        case=case, partner=world.partner_admin.partner, by=world.manager, due_on=TODAY + timedelta(days=7)
    )
    data = {
        "first_contact_on": YESTERDAY.isoformat(),
        "activities": "Two demos.",
        "customer_contact": "Dana, CIO",
    }
    case_services.evidence_answer(request=asked, by=world.partner_admin, **{**data, "first_contact_on": YESTERDAY})
    url = reverse("conflicts:evidence", args=[case.pk, asked.pk])
    return url, {f"evidence-{asked.pk}-{k}": v for k, v in data.items()}


def _quiz_used_up(world):
    """A course whose quiz the rep attempted as often as a day allows."""
    from django.conf import settings

    from enablement import services as enablement_services

    from .factories import right_answers

    course = course_with_quiz()
    answers = right_answers(course)
    for _ in range(settings.PRM_QUIZ_ATTEMPTS_PER_DAY):
        enablement_services.quiz_attempt_submit(course=course, user=world.rep, answers=answers)
    return reverse("training:course", args=[course.pk]), {f"q{k}": v for k, v in answers.items()}


def _invitation(world, user):
    """The user's invitation to an open survey."""
    return _survey(world, "open").invitations.get(user=user)


def _survey_answered(world):
    from enablement import services as enablement_services

    invitation = _invitation(world, world.rep)
    answers = {str(q.pk): 4 for q in invitation.survey.questions.all()}
    enablement_services.survey_answer(invitation=invitation, data={"nps_score": 9, "answers": answers})
    return reverse("surveys:answer", args=[invitation.pk]), {"nps_score": "0"}


def _survey_link(world):
    from enablement import selectors as enablement_selectors

    token = enablement_selectors.survey_answer_token(invitation=_invitation(world, world.partner_admin))
    return reverse("survey_answer_public", args=[token]), {"comment": "No score given."}


def _unsubscribe_link(world):
    from enablement import services as enablement_services

    token = enablement_services.unsubscribe_token(user=world.rep, newsletter=_api_newsletter(world))
    return reverse("newsletter_unsubscribe", args=[token]), {"confirm": "1"}


PORTAL_FORMS: dict[str, Form | None] = {
    "favicon": None,
    "statements:pdf_status": None,
    "portal:agreement_pdf_status": None,
    "apply": Form(None, lambda w: (reverse("apply"), {"company_name": "Initech"}), "This field is required."),
    "invitation_accept": Form(
        None,
        lambda w: (reverse("invitation_accept", args=["used-or-unknown"]), {"password1": "x", "password2": "x"}),
        "This invitation link is not valid",
    ),
    "portal:agreement": Form("partner_admin", _signed_agreement, "Your organization has already signed this version."),
    "portal:profile": Form(
        "partner_admin", lambda w: (reverse("portal:profile"), {"name": ""}), "This field is required."
    ),
    "portal:team": Form(
        "partner_admin",
        lambda w: (reverse("portal:team"), {"email": w.rep.email, "role": "partner_rep", "full_name": "Carol"}),
        "This person already has an account.",
    ),
    "portal:team_member_deactivate": Form(
        "partner_admin",
        lambda w: (reverse("portal:team_member_deactivate", args=[w.partner_admin.pk]), {}),
        "You cannot deactivate yourself; ask another partner admin.",
    ),
    "portal:payout_details": Form(
        "partner_admin",
        lambda w: (
            reverse("portal:payout_details"),
            {"method": "iban", "currency": "EUR", "account_holder": "Acme", "iban": "DE00 1234"},
        ),
        "Enter a valid IBAN; this one's check digits do not match.",
    ),
    "deals:new": Form(
        "rep",
        lambda w: (reverse("deals:new"), _deal_form(amount="0", expected_close_date=YESTERDAY.isoformat())),
        "The expected close date cannot be in the past.",
    ),
    "deals:edit": Form(
        "rep",
        lambda w: (reverse("deals:edit", args=[w.deal("submitted").pk]), {**_deal_form(), "save": "submit"}),
        "Only a draft of your organization can be edited.",
    ),
    "deals:discard": Form(
        "rep", lambda w: (reverse("deals:discard", args=[w.deal("submitted").pk]), {}), "Only drafts can be discarded."
    ),
    "deals:extension": Form(
        "rep",
        lambda w: (reverse("deals:extension", args=[w.pending_extension().deal_id]), {"reason": "More time"}),
        "An extension request for this deal is already waiting for a decision.",
    ),
    # Pages that change nothing.
    "home": None,
    "healthz": None,
    "apply_thanks": None,
    "portal:home": None,
    "portal:onboarding": None,
    "portal:agreement_pdf": None,
    "deals:list": None,
    "deals:detail": None,
    "statements:list": None,
    "statements:pdf": None,
    # --- Enablement: training and content ---
    "training:course": Form("rep", _quiz_used_up, "You have used today's attempts at this quiz."),
    "training:home": None,
    "training:attempt": None,
    "training:certificate_pdf": None,
    "certificate_verify": None,
    "content:list": None,
    "content:download": None,
    # --- Enablement: communication (news, announcements, surveys, unsubscribe) ---
    "news:preferences": Form(
        "rep",
        lambda w: (reverse("news:preferences"), {"newsletters": "maybe"}),
        "Choose whether to unsubscribe or to subscribe again.",
    ),
    # Unsubscribing is harmless twice: each answer says so.
    "newsletter_unsubscribe": Form(None, _unsubscribe_link, "You are unsubscribed"),
    # Dismissing is harmless twice: each answer says so.
    "announcements:dismiss": Form(
        "rep",
        lambda w: (reverse("announcements:dismiss", args=[w.announcement().pk]), {}),
        "“Q1 SPIF” is dismissed. You can read it again under Announcements.",
    ),
    "surveys:answer": Form("rep", _survey_answered, "Thank you, you have already answered"),
    "survey_answer_public": Form(None, _survey_link, "Choose a score from 0 to 10."),
    "news:list": None,
    "news:detail": None,
    "announcements:list": None,
    "surveys:list": None,
    # --- Conflicts and disputes ---
    "conflicts:new": Form(
        "rep",
        lambda w: (
            reverse("conflicts:new"),
            {"kind": "commission_dispute", "subject": "Missing commission", "body": "March earned nothing."},
        ),
        "A commission dispute names the commission line it is about.",
    ),
    "conflicts:reply": Form(
        "partner_admin",
        lambda w: (reverse("conflicts:reply", args=[_resolved_dispute(w).pk]), {"body": "One more thing."}),
        "This case is resolved: reopen it to write again.",
    ),
    "conflicts:reopen": Form(
        "partner_admin",
        lambda w: (reverse("conflicts:reopen", args=[w.dispute().pk]), {"reason": "Still wrong."}),
        "Only a resolved case can be reopened.",
    ),
    "conflicts:evidence": Form("partner_admin", _evidence_answered, "This evidence request is already answered."),
    "conflicts:list": None,
    "conflicts:detail": None,
    "conflicts:attachment": None,
    # Performance: the partner's scorecard reads only (its period picker is a GET form).
    "performance:scorecard": None,
    # --- Performance (issue 12): the partner's QBRs (read only) ---
    "performance:qbr_list": None,
    "performance:qbr_pdf": None,
    # --- Channel marketing (issue 13): the public partner locator and the portal's locator profile ---
    "locator_public:contact": Form(None, _locator_contact, "This field is required."),
    "locator:profile": Form(
        "partner_admin",
        lambda w: (reverse("locator:profile"), {"listed": "on", "summary": ""}),
        "Write a short summary: it is what customers see in the list.",
    ),
    "locator_public:list": None,
    "locator_public:detail": None,
    "locator_public:thanks": None,
    "locator_public:logo": None,
    # --- marketing: leads (issue 13) ---
    "leads:list": None,
    "leads:detail": None,
    "leads:accept": Form("partner_admin", lambda w: _accepted_lead_form(w), "This lead was already answered"),
    "leads:decline": Form(
        "partner_admin",
        lambda w: (reverse("leads:decline", args=[_offered_lead(w).pk]), {"reason": ""}),
        "This field is required.",
    ),
}

# --- Marketing: funds ---
PORTAL_FORMS.update(
    {
        "funds:home": None,
        "funds:detail": None,
        "funds:proof": None,
        "funds:new": Form(
            "rep",
            lambda w: (
                reverse("funds:new"),
                {
                    "activity_type": "event",
                    "title": "Summit",
                    "starts_on": (YESTERDAY - timedelta(days=1)).isoformat(),
                    "ends_on": YESTERDAY.isoformat(),
                    "planned_cost": "100",
                    "expected_leads": "1",
                    "description": "A booth.",
                },
            ),
            "The activity has ended already: ask for funds before it ends.",
        ),
        "funds:withdraw": Form(
            "partner_admin",
            lambda w: (reverse("funds:withdraw", args=[_fund_request(w, "approved").pk]), {}),
            "A fund request that is approved cannot become withdrawn.",
        ),
        "funds:claim": Form(
            "partner_admin",
            lambda w: (
                reverse("funds:claim", args=[_fund_request(w, "claimed").pk]),
                {"amount": "100", "leads_generated": "1", "results": "Done."},
            ),
            "This fund request is already claimed.",
        ),
    }
)


def _lead_accept_data() -> dict:
    return {"amount": "5000.00", "currency": "USD", "expected_close_date": (TODAY + timedelta(days=30)).isoformat()}


def _accepted_lead_form(world):
    """marketing: leads — a lead the partner accepted already: accepting again is refused."""
    from marketing.services.leads import lead_accept

    lead = _offered_lead(world)
    lead_accept(lead=lead, by=world.partner_admin, data=_lead_accept_data())
    return reverse("leads:accept", args=[lead.pk]), _lead_accept_data()


def _our_url_names(patterns, namespace=None) -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "api"):
                continue
            names |= _our_url_names(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            module = getattr(pattern.callback, "__module__", "")
            if module.split(".")[0] in OUR_APPS:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_page_has_a_case():
    discovered = _our_url_names(get_resolver().url_patterns) - {"schema", "swagger-ui"}
    assert discovered == set(PORTAL_FORMS), "add a row to PORTAL_FORMS for each new page"


@pytest.mark.parametrize("name", sorted(k for k, v in PORTAL_FORMS.items() if v))
def test_a_portal_form_the_rules_refuse_says_why_on_the_same_page(client, world, name):
    case = PORTAL_FORMS[name]
    if case.user:
        client.force_login(getattr(world, case.user))
    url, data = case.make(world)
    for _ in range(2):  # and a double submit
        response = client.post(url, data, follow=True)
        assert response.status_code in (200, 404)  # 404: the invitation page says the link is not valid
        assert_said(response, case.refusal)


def test_the_deal_form_names_every_error_in_one_answer(client, world):
    client.force_login(world.rep)
    data = _deal_form(
        amount="lots", customer_domain="nodot", expected_close_date=YESTERDAY.isoformat(), products="x" * 101
    )
    response = client.post(reverse("deals:new"), data)
    assert set(response.context["form"].errors) == {"amount", "customer_domain", "expected_close_date", "products"}
    assert not DealRegistration.objects.exists()


# --- API actions ---------------------------------------------------------------------------------


@dataclass
class Call:
    """``make`` gives the URL and JSON body of a POST the state refuses the second time (or both
    times, for bad input); ``then`` is the refusal: 409 ``{"detail": ...}`` or 400 naming ``field``."""

    user: str | None
    make: Callable[[World], tuple[str, dict]]
    status: int
    detail: str | None = None
    field: str | None = None


def _api(name, *args):
    return reverse(f"api:{name}", args=args)


API_CALLS: dict[str, Call] = {
    "api:api-token": Call(
        None, lambda w: (_api("api-token"), {"email": w.rep.email, "password": "wrong"}), 400, field="non_field_errors"
    ),
    "api:application-list": Call(
        None, lambda w: (_api("application-list"), {"company_name": "Initech"}), 400, field="contact_email"
    ),
    "api:application-approve": Call(
        "manager",
        lambda w: (_api("application-approve", ApplicationFactory(status="screening").pk), {}),
        409,
        "This application is already approved.",
    ),
    "api:application-reject": Call(
        "manager",
        lambda w: (_api("application-reject", ApplicationFactory().pk), {"reason": "No fit"}),
        409,
        "This application is already rejected.",
    ),
    "api:deal-list": Call(
        "partner_admin",
        lambda w: (
            _api("deal-list"),
            _deal_form(amount="lots", expected_close_date=YESTERDAY.isoformat()) | {"products": ["Suite"]},
        ),
        400,
        field="expected_close_date",
    ),
    "api:deal-approve": Call(
        "manager",
        lambda w: (_api("deal-approve", w.deal("submitted").pk), {}),
        409,
        "This deal is already approved.",
    ),
    "api:deal-reject": Call(
        "manager",
        lambda w: (_api("deal-reject", w.deal("submitted").pk), {"reason": "Duplicate"}),
        409,
        "This deal is already rejected.",
    ),
    "api:deal-close": Call(
        "manager",
        lambda w: (_api("deal-close", w.deal("approved").pk), {"outcome": "won", "amount": "9000"}),
        409,
        "This deal is already won.",
    ),
    "api:deal-reverse-win": Call(
        "manager",
        lambda w: (_api("deal-reverse-win", w.deal("won").pk), {"reason": "Refund"}),
        409,
        "Only a won deal can have its win reversed.",
    ),
    "api:deal-request-extension": Call(
        "partner_admin",
        lambda w: (_api("deal-request-extension", w.deal("approved").pk), {"reason": "Board meets late"}),
        409,
        "An extension request for this deal is already waiting for a decision.",
    ),
    "api:deal-grant-extension": Call(
        "manager",
        lambda w: (_api("deal-grant-extension", w.pending_extension().deal_id), {}),
        409,
        "This deal has no pending extension request.",
    ),
    "api:deal-refuse-extension": Call(
        "manager",
        lambda w: (_api("deal-refuse-extension", w.pending_extension().deal_id), {"note": "Long enough"}),
        409,
        "This deal has no pending extension request.",
    ),
    "api:payout-run-list": Call(
        "finance",
        lambda w: (_api("payout-run-list"), {"period_end": YESTERDAY.isoformat()}),
        409,
        "Another payout run is open: approve it, or fix and recalculate it, first.",
    ),
    "api:payout-run-recalculate": Call(
        "finance",
        lambda w: (_api("payout-run-recalculate", w.run("failed").pk), {}),
        409,
        "This payout run is already calculating.",
    ),
    "api:payout-run-approve": Call(
        "finance2",
        lambda w: (_api("payout-run-approve", w.run("calculated").pk), {}),
        409,
        "This payout run is already approved.",
    ),
    "api:payout-run-mark-paid": Call(
        "finance",
        lambda w: (_api("payout-run-mark-paid", w.run("approved").pk), {"reference": "BANK-1"}),
        409,
        "This payout run is already paid.",
    ),
    "api:case-list": Call(
        "partner_admin",
        lambda w: (_api("case-list"), {"kind": "commission_dispute", "subject": "", "body": ""}),
        400,
        field="subject",
    ),
    "api:case-messages": Call(
        "partner_admin", lambda w: (_api("case-messages", w.dispute().pk), {"body": ""}), 400, field="body"
    ),
    "api:case-resolve": Call(
        "manager",
        lambda w: (_api("case-resolve", w.dispute().pk), {"outcome": "no_action", "note": "Nothing to change."}),
        409,
        "is already resolved.",
    ),
    "api:course-attempts": Call(
        "rep",
        lambda w: (_api("course-attempts", course_with_quiz().pk), {"answers": "all of them"}),
        400,
        field="answers",
    ),
    "api:payout-run-restart": Call(
        "finance",
        lambda w: (
            _api("payout-run-restart", w.run("calculating", heartbeat_at=timezone.now() - timedelta(hours=1)).pk),
            {},
        ),
        409,
        "is not stuck: its worker gave a sign of life",
    ),
    # --- Newsletters (issue 10): the engine's API ---
    "api:newsletter-list": Call(
        "manager", lambda w: (_api("newsletter-list"), {"subject": "", "body_markdown": "Hello"}), 400, field="subject"
    ),
    "api:newsletter-send": Call(
        "manager",
        lambda w: (_api("newsletter-send", _api_newsletter(w).pk), {}),
        409,
        "This newsletter is already being sent.",
    ),
    "api:announcement-dismiss": Call(  # dismissing is harmless twice; the API says so with a 409
        "partner_admin",
        lambda w: (_api("announcement-dismiss", w.announcement().pk), {}),
        409,
        "You have already dismissed “Q1 SPIF”.",
    ),
}

# --- Performance: tier reviews ---
API_CALLS["api:tier-review-apply"] = Call(
    "manager",
    lambda w: (_api("tier-review-apply", w.tier_review().pk), {}),
    409,
    "This review is already applied.",
)
API_CALLS["api:tier-review-dismiss"] = Call(
    "manager",
    lambda w: (_api("tier-review-dismiss", w.tier_review().pk), {"reason": "Next quarter"}),
    409,
    "This review is already dismissed.",
)
# --- Marketing: funds ---
API_CALLS["api:fund-request-list"] = Call(
    "partner_admin", lambda w: (_api("fund-request-list"), {"activity_type": "event", "title": ""}), 400, field="title"
)
API_CALLS["api:fund-request-approve"] = Call(
    "manager",
    lambda w: (_api("fund-request-approve", _fund_request(w).pk), {}),
    409,
    "This fund request is already approved.",
)
API_CALLS["api:fund-request-reject"] = Call(
    "manager",
    lambda w: (_api("fund-request-reject", _fund_request(w).pk), {"reason": "Off-brand"}),
    409,
    "This fund request is already rejected.",
)
API_CALLS["api:fund-request-withdraw"] = Call(
    "partner_admin",
    lambda w: (_api("fund-request-withdraw", _fund_request(w).pk), {}),
    409,
    "This fund request is already withdrawn.",
)
API_CALLS["api:fund-request-claim"] = Call(
    "partner_admin",
    lambda w: (
        _api("fund-request-claim", _fund_request(w, "approved").pk),
        {"amount": "100.00", "leads_generated": 1, "results": "Done."},
    ),
    400,
    field="proofs",
)
API_CALLS["api:fund-claim-approve"] = Call(
    "finance", lambda w: (_api("fund-claim-approve", _fund_claim(w).pk), {}), 409, "This claim is already approved."
)
API_CALLS["api:fund-claim-reject"] = Call(
    "finance",
    lambda w: (_api("fund-claim-reject", _fund_claim(w).pk), {"reason": "Illegible invoice"}),
    409,
    "This claim is already rejected.",
)

# --- marketing: leads (issue 13) ---
API_CALLS["api:lead-list"] = Call(
    "manager", lambda w: (_api("lead-list"), {"company": "Initech"}), 400, field="contact_email"
)
API_CALLS["api:lead-accept"] = Call(
    "partner_admin",
    lambda w: (_api("lead-accept", _offered_lead(w).pk), _lead_accept_data()),
    409,
    "This lead was already answered: accepted on",
)
API_CALLS["api:lead-decline"] = Call(
    "partner_admin", lambda w: (_api("lead-decline", _offered_lead(w).pk), {}), 400, field="reason"
)


def _api_newsletter(world):
    """A draft whose audience (every active partner's users) holds the world's partner users."""
    from enablement.services import newsletter_save

    return newsletter_save(by=world.manager, data={"subject": "Spring news", "body_markdown": "Hello."})


def discovered_api_posts() -> set[str]:
    api = next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "api")
    names = set()
    for pattern in api.url_patterns:
        callback = pattern.callback
        actions = getattr(callback, "actions", None)
        posts = "post" in actions if actions is not None else hasattr(getattr(callback, "cls", None), "post")
        if posts:
            names.add(f"api:{pattern.name}")
    return names


def test_every_api_post_has_a_case():
    assert discovered_api_posts() == set(API_CALLS), "add a row to API_CALLS for each new API action"


@pytest.mark.parametrize("name", sorted(API_CALLS))
def test_an_api_action_the_state_refuses_answers_the_documented_body(api, world, name):
    case = API_CALLS[name]
    client = api_client_for(getattr(world, case.user)) if case.user else api
    url, data = case.make(world)
    first = client.post(url, data, format="json")
    assert first.status_code < 500
    second = client.post(url, data, format="json")  # a double submit
    assert second.status_code == case.status, second.content
    body = second.json()
    if case.status == 409:
        assert set(body) == {"detail"} and case.detail in body["detail"]
        assert first.status_code < 300  # the first one was allowed: the state refused the second
    else:
        assert case.field in body and all(isinstance(m, list) for m in body.values())
        assert first.status_code == 400


def test_closed_deals_show_no_protection_in_the_portal(client, world):
    client.force_login(world.partner_admin)
    for status in ("won", "lost", "rejected", "expired"):
        deal = world.deal(status, protected_until=TODAY + timedelta(days=9))
        page = page_text(client.get(reverse("deals:detail", args=[deal.pk])))
        assert "Protected until" not in page and "Protection extension" not in page, status
    approved = world.deal("approved", protected_until=TODAY + timedelta(days=9))
    page = page_text(client.get(reverse("deals:detail", args=[approved.pk])))
    assert "Protected until" in page and "Protection extension" in page

"""The staff program dashboard: every figure against hand-computed data (the funnel, medians,
monthly counts and averages, revenue by tier and source with and without exchange rates, payouts,
certification coverage, SLA shares), the list behind each figure, who may see it, and a constant
number of queries whatever the data."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conflicts.models import Case
from enablement.models import Certification, QuizAttempt
from incentives.models import PayoutStatement
from partners.models import Application

from ..factories import (
    ApplicationFactory,
    DealFactory,
    ExchangeRateFactory,
    PartnerFactory,
    PartnerUserFactory,
    PayoutRunFactory,
    StaffUserFactory,
    TierFactory,
    course_with_quiz,
)

pytestmark = pytest.mark.django_db

START, END = date(2025, 1, 1), date(2025, 6, 30)  # six whole months, long past
URL = "/admin/performance/dashboard/"
PERIOD = {"start": "2025-01-01", "end": "2025-06-30"}


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))


def dashboard(client, user, **params):
    client.force_login(user)
    response = client.get(URL, {**PERIOD, **params})
    assert response.status_code == 200
    return response.context["dashboard"]


def section(board, key):
    return next(s for s in board.sections if s.key == key)


def chart(board, key):
    return next(c for c in board.charts if c.key == key)


def figure(board, section_key, label):
    return next(f for f in section(board, section_key).figures if f.label == label)


def listed(client, link) -> int:
    """How many rows the admin list behind a link shows (and that it is a list, not an error)."""
    response = client.get(link)
    assert response.status_code == 200, link
    assert "e=1" not in response.request["QUERY_STRING"]
    return response.context["cl"].result_count


# --- recruitment ----------------------------------------------------------------------------------


def applications():
    """Six applications received in the period: 2 still applied, 1 in screening, 2 approved (one
    partner activated, one still onboarding), 1 rejected; one before and one after the period."""
    live = PartnerFactory(status="active", activated_at=at(date(2025, 3, 1)), created_at=at(date(2025, 2, 1)))
    onboarding = PartnerFactory(status="onboarding")
    for day, status, partner in [
        (date(2025, 1, 5), "applied", None),
        (date(2025, 2, 5), "applied", None),
        (date(2025, 3, 5), "screening", None),
        (date(2025, 1, 20), "approved", live),
        (date(2025, 4, 20), "approved", onboarding),
        (date(2025, 6, 30), "rejected", None),
        (date(2024, 12, 31), "approved", None),
        (date(2025, 7, 1), "applied", None),
    ]:
        ApplicationFactory(created_at=at(day, 23 if day.day in (30, 31) else 9), status=status, partner=partner)


def test_the_funnel_counts_the_applications_received_in_the_period_as_they_stand_now(client, manager):
    applications()
    board = dashboard(client, manager)
    funnel = chart(board, "funnel")
    assert funnel.labels == ["Received", "Screened or decided", "Approved", "Rejected", "Activated as partner"]
    assert funnel.series[0].values == [6, 4, 2, 1, 1]
    assert figure(board, "recruitment", "Applications received").value == 6
    assert figure(board, "recruitment", "Approved, of those decided").value == Decimal("66.7")  # 2 of 3
    assert figure(board, "recruitment", "Conversion: received to active partner").value == Decimal("16.7")  # 1 of 6


def test_each_funnel_stage_links_to_the_applications_behind_it(client, manager):
    applications()
    funnel = chart(dashboard(client, manager), "funnel")
    assert [listed(client, link) for link in funnel.links] == [6, 4, 2, 1, 1]


def test_time_to_onboard_is_the_median_by_partner_type_of_the_partners_activated_in_the_period(client, manager):
    created = at(date(2025, 1, 1), 0)
    for kind, days in [("reseller", 10), ("reseller", 20), ("reseller", 3), ("referral", 5), ("referral", 8)]:
        PartnerFactory(partner_type=kind, created_at=created, activated_at=created + timedelta(days=days))
    PartnerFactory(partner_type="msp", created_at=at(date(2024, 1, 1)), activated_at=at(date(2024, 12, 31)))
    PartnerFactory(partner_type="msp", status="onboarding")  # not activated yet
    board = dashboard(client, manager)
    onboarding = chart(board, "onboarding")
    assert onboarding.labels == [
        "Referral (2 activated)",
        "Reseller (3 activated)",
        "Technology (0 activated)",
        "Managed service provider (0 activated)",
    ]
    assert onboarding.series[0].values == [Decimal("6.5"), Decimal("10.0"), None, None]
    assert figure(board, "recruitment", "Median days to onboard").value == Decimal("8.0")  # of 3, 5, 8, 10, 20
    assert [listed(client, link) for link in onboarding.links] == [2, 3, 0, 0]


# --- deals --------------------------------------------------------------------------------------


def test_registrations_per_month_and_the_average_approval_time_of_each_month(client, manager):
    partner = PartnerFactory()
    DealFactory(partner=partner, submitted_at=at(date(2025, 1, 15), 10), approved_at=at(date(2025, 1, 16), 10))
    DealFactory(partner=partner, submitted_at=at(date(2025, 1, 31), 23))
    DealFactory(partner=partner, submitted_at=at(date(2025, 2, 10), 8), approved_at=at(date(2025, 2, 12), 8))
    DealFactory(partner=partner, submitted_at=at(date(2025, 1, 20), 8), approved_at=at(date(2025, 2, 20), 20))
    DealFactory(partner=partner, submitted_at=at(date(2025, 6, 30), 23))
    DealFactory(partner=partner, draft=True)
    DealFactory(partner=partner, submitted_at=at(date(2024, 12, 31), 23), approved_at=at(date(2025, 1, 1), 1))
    board = dashboard(client, manager)
    registrations = chart(board, "registrations")
    assert registrations.labels == ["Jan 2025", "Feb 2025", "Mar 2025", "Apr 2025", "May 2025", "Jun 2025"]
    assert registrations.series[0].values == [3, 1, 0, 0, 0, 1]
    # January: the one approved after 24 h and the one submitted in December (2 h): 13 h on average.
    # February: 48 h and 31 days 12 h = 756 h: 402 h on average.
    approval = chart(board, "approval-time")
    assert approval.series[0].values == [Decimal("13.0"), Decimal("402.0"), None, None, None, None]
    assert figure(board, "deals", "Registrations submitted").value == 5
    assert figure(board, "deals", "Registrations approved").value == 4
    assert figure(board, "deals", "Average approval time").value == Decimal("207.5")  # (24 + 2 + 48 + 756) / 4
    assert [listed(client, link) for link in registrations.links] == [3, 1, 0, 0, 0, 1]
    assert [listed(client, link) for link in approval.links] == [2, 2, 0, 0, 0, 0]


def test_an_average_approval_time_of_1_05_hours_reads_1_1_rounded_half_up(client, manager):
    partner = PartnerFactory()
    submitted = at(date(2025, 3, 10), 9)
    DealFactory(partner=partner, submitted_at=submitted, approved_at=submitted + timedelta(hours=1))
    DealFactory(partner=partner, submitted_at=submitted, approved_at=submitted + timedelta(minutes=66))
    board = dashboard(client, manager)
    # (60 + 66) / 2 = 63 minutes = 1.05 h: 1.1, never the 1.0 of Python's half-even rounding.
    assert chart(board, "approval-time").series[0].values[2] == Decimal("1.1")
    assert figure(board, "deals", "Average approval time").value == Decimal("1.1")


def test_a_partner_sourced_share_of_12_25_percent_reads_12_3(client, manager):
    partner = PartnerFactory()
    DealFactory(partner=partner, won=True, amount="490.00", closed_on=date(2025, 4, 2))
    DealFactory(partner=partner, won=True, amount="3510.00", source="vendor", closed_on=date(2025, 4, 3))
    board = dashboard(client, manager)
    assert figure(board, "revenue", "Partner-sourced share of won revenue").value == Decimal("12.3")  # 490 of 4,000


# --- revenue ------------------------------------------------------------------------------------


def revenue_data():
    gold = TierFactory(name="Gold", rank=3)
    silver_partner = PartnerFactory()  # Silver (the factory's tier)
    gold_partner = PartnerFactory(tier=gold)
    no_tier = PartnerFactory(tier=None)
    ExchangeRateFactory(date=date(2025, 1, 1), from_currency="EUR", to_currency="USD", rate="1.10")
    DealFactory(
        partner=silver_partner, won=True, amount="10000.00", final_amount="12000.00", closed_on=date(2025, 1, 31)
    )
    DealFactory(partner=gold_partner, won=True, amount="1000.00", currency="EUR", closed_on=date(2025, 2, 1))
    DealFactory(partner=no_tier, won=True, amount="500.00", source="vendor", closed_on=date(2025, 2, 28))
    DealFactory(partner=silver_partner, won=True, amount="3000.00", currency="GBP", closed_on=date(2025, 3, 3))
    DealFactory(partner=silver_partner, won=True, amount="9999.00", closed_on=date(2025, 7, 1))  # after
    DealFactory(partner=gold_partner, lost=True, amount="7777.00", closed_on=date(2025, 2, 2))


def test_won_revenue_by_tier_and_month_in_the_program_currency(client, manager, settings):
    settings.PRM_PROGRAM_CURRENCY = "USD"
    revenue_data()
    board = dashboard(client, manager)
    by_tier = chart(board, "revenue-by-tier")
    assert by_tier.kind == "stacked"
    assert {s.label: s.values[:3] for s in by_tier.series} == {
        "Silver": [Decimal("12000.00"), Decimal("0.00"), Decimal("0.00")],  # the GBP deal has no rate
        "Gold": [Decimal("0.00"), Decimal("1100.00"), Decimal("0.00")],
        "No tier": [Decimal("0.00"), Decimal("500.00"), Decimal("0.00")],
    }
    assert figure(board, "revenue", "Won revenue").value == Decimal("13600.00")
    assert figure(board, "revenue", "Won revenue, Gold").value == Decimal("1100.00")
    assert section(board, "revenue").notes == [
        "Amounts in GBP are left out: finance has entered no exchange rate into USD for them."
    ]
    assert [listed(client, link) for link in by_tier.links[:4]] == [1, 2, 1, 0]
    assert listed(client, figure(board, "revenue", "Won revenue").link) == 4


def test_partner_sourced_share_of_won_revenue(client, manager):
    revenue_data()
    board = dashboard(client, manager)
    share = figure(board, "revenue", "Partner-sourced share of won revenue")
    assert share.value == Decimal("96.3")  # 13,100 of 13,600
    assert share.note == "13,100.00 USD partner-sourced, 500.00 USD vendor-sourced"
    assert listed(client, share.link) == 3  # the GBP deal is listed, though its amount is left out
    # January: all partner-sourced; February: 1,100 of 1,600; March: nothing that converts.
    assert chart(board, "partner-sourced").series[0].values[:4] == [Decimal("100.0"), Decimal("68.8"), None, None]


# --- payouts ------------------------------------------------------------------------------------


def paid_run(paid_on: date, status="paid", **totals):
    run = PayoutRunFactory(status=status, paid_at=at(paid_on) if status == "paid" else None)
    for currency, total in totals.items():
        PayoutStatement.objects.create(
            run=run,
            partner=PartnerFactory(),
            currency=currency,
            total=Decimal(total),
            line_count=1,
            after_line_id=0,
            last_line_id=1,
        )
    return run


def test_payouts_by_month_of_payment_converted_into_the_program_currency(client, finance):
    ExchangeRateFactory(date=date(2025, 1, 1), from_currency="EUR", to_currency="USD", rate="1.10")
    paid_run(date(2025, 3, 10), USD="100.00", EUR="50.00")
    paid_run(date(2025, 3, 20), USD="20.00")
    paid_run(date(2025, 7, 1), USD="999.00")  # after the period
    paid_run(date(2025, 3, 1), status="approved", USD="888.00")  # not paid
    board = dashboard(client, finance)
    payouts = chart(board, "payouts")
    assert payouts.series[0].values == [0, 0, Decimal("175.00"), 0, 0, 0]
    paid = figure(board, "payouts", "Paid out")
    assert (paid.value, paid.note) == (Decimal("175.00"), "50.00 EUR; 120.00 USD")
    assert listed(client, paid.link) == 2
    assert listed(client, payouts.links[2]) == 2


# --- certification coverage ---------------------------------------------------------------------


def certify(partner, *, expires_on=date(2026, 12, 31), course=None):
    user = PartnerUserFactory(partner=partner)
    attempt = QuizAttempt.objects.create(
        course=course, user=user, partner=partner, score=100, passed=True, question_count=1
    )
    return Certification.objects.create(
        user=user,
        partner=partner,
        course=course,
        attempt=attempt,
        issued_on=date(2024, 6, 1),
        expires_on=expires_on,
        holder_name="Holder",
        partner_name=partner.name,
        course_title=course.title,
    )


def test_certification_coverage_is_the_share_of_active_partners_with_a_certified_user_by_tier(client, manager):
    course = course_with_quiz()
    gold = TierFactory(name="Gold", rank=3)
    silver_covered, silver_not = PartnerFactory(), PartnerFactory()
    certify(silver_covered, course=course)
    certify(silver_covered, course=course)  # two certified users: still one partner
    gold_expired = PartnerFactory(tier=gold)
    certify(gold_expired, course=course, expires_on=date(2025, 6, 30))  # no longer counts on 30 June
    PartnerFactory(tier=None)
    certify(PartnerFactory(status="suspended"), course=course)  # not active
    board = dashboard(client, manager)
    coverage = chart(board, "certification")
    assert coverage.labels == ["All tiers", "Silver", "Gold", "No tier"]
    assert coverage.series[0].values == [Decimal("25.0"), Decimal("50.0"), Decimal("0.0"), Decimal("0.0")]
    headline = figure(board, "certification", "Active partners with a certified user")
    assert (headline.value, headline.note) == (Decimal("25.0"), "1 of 4 active partners on 30 Jun 2025")
    assert silver_not.pk
    assert [listed(client, link) for link in coverage.links] == [4, 2, 1, 1]


# --- cases --------------------------------------------------------------------------------------


def case(opened: datetime, *, first_due, resolution_due, answered=None, resolved=None):
    return Case.objects.create(
        kind="channel_conflict",
        subject="Two partners, one customer",
        opened_at=opened,
        first_response_due=first_due,
        resolution_due=resolution_due,
        first_response_at=answered,
        resolved_at=resolved,
        status="resolved" if resolved else "open",
    )


def test_case_sla_shares_by_month_leave_out_cases_whose_due_time_has_not_come(client, manager):
    jan, feb = at(date(2025, 1, 10)), at(date(2025, 2, 10))
    hour, day = timedelta(hours=1), timedelta(days=1)
    far = at(date(2099, 1, 1))
    case(jan, first_due=jan + day, resolution_due=jan + 5 * day, answered=jan + hour, resolved=jan + 2 * day)
    case(jan, first_due=jan + day, resolution_due=jan + 5 * day, answered=jan + 2 * day)  # late, unresolved
    case(jan, first_due=jan + day, resolution_due=jan + 5 * day)  # never answered
    case(feb, first_due=feb + day, resolution_due=far, answered=feb + hour)  # resolution not due yet
    case(at(date(2025, 7, 1)), first_due=far, resolution_due=far)  # after the period
    board = dashboard(client, manager)
    sla = chart(board, "case-sla")
    assert [s.label for s in sla.series] == ["First response within SLA", "Resolved within SLA"]
    assert sla.series[0].values[:3] == [Decimal("33.3"), Decimal("100.0"), None]
    assert sla.series[1].values[:3] == [Decimal("33.3"), None, None]
    assert figure(board, "cases", "Cases opened").value == 4
    assert figure(board, "cases", "First response within SLA").value == Decimal("50.0")
    assert figure(board, "cases", "First response within SLA").note == "2 on time, 2 late"
    assert figure(board, "cases", "Resolved within SLA").value == Decimal("33.3")
    assert [listed(client, link) for link in sla.links[:3]] == [3, 1, 0]


# --- the page -----------------------------------------------------------------------------------


def test_an_empty_program_shows_zeros_and_dashes_not_errors(client, manager):
    board = dashboard(client, manager)
    assert figure(board, "recruitment", "Applications received").value == 0
    assert figure(board, "recruitment", "Median days to onboard").value is None
    assert figure(board, "revenue", "Won revenue").value == Decimal("0.00")
    assert chart(board, "partner-sourced").series[0].values == [None] * 6


def test_every_link_on_the_page_opens_an_admin_list(client):
    applications()
    revenue_data()
    board = dashboard(client, StaffUserFactory(role="admin", is_superuser=True))
    links = {f.link for s in board.sections for f in s.figures} | {link for c in board.charts for link in c.links}
    assert None not in links and len(links) > 30
    for link in links:
        listed(client, link)
    page = client.get(URL, PERIOD).content.decode()
    for link in links:
        assert link.replace("&", "&amp;") in page


def test_the_page_draws_each_chart_with_its_table_and_the_vendored_chart_library(client, manager):
    revenue_data()
    client.force_login(manager)
    page = client.get(URL, PERIOD).content.decode()
    assert page.count("<canvas data-chart=") == 9
    assert page.count('<details class="chart-table"') == 9
    assert "/static/vendor/chartjs/chart.umd.js" in page and "/static/js/charts.js" in page
    assert "<script>" not in page and " style=" not in page  # the CSP allows neither


def test_the_default_period_is_the_trailing_twelve_months(client, manager):
    client.force_login(manager)
    board = client.get(URL).context["dashboard"]
    today = timezone.localdate()
    assert board.end == today
    assert len(chart(board, "registrations").labels) == 12
    assert board.start.day == 1 and chart(board, "registrations").labels[-1] == f"{today:%b %Y}"


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2025-06-01", "end": "2025-05-01"}, "end", "The period ends on or after its start."),
        ({"start": "2020-01-01", "end": "2025-05-01"}, "start", "Choose a period of at most 36 months."),
        ({"start": "1 Jan", "end": ""}, "start", "Enter a valid date."),
    ],
)
def test_a_wrong_period_is_said_on_its_field_and_nothing_is_computed(client, manager, params, field, message):
    client.force_login(manager)
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response.context["dashboard"] is None
    assert response.context["form"].errors[field] == [message]


def test_the_dashboard_takes_the_same_number_of_queries_whatever_the_data(client, manager):
    client.force_login(manager)
    client.get(URL, PERIOD)  # session and permissions cached as on any later page

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, PERIOD).status_code == 200
        return len(queries)

    empty = count()
    applications()
    revenue_data()
    for i in range(20):
        DealFactory(submitted_at=at(date(2025, 1 + i % 6, 3)), approved_at=at(date(2025, 1 + i % 6, 4)))
    paid_run(date(2025, 3, 10), USD="100.00", EUR="50.00")
    assert count() == empty


@pytest.mark.parametrize("role", ["manager", "finance", "admin"])
def test_the_program_staff_see_the_dashboard(client, role):
    user = StaffUserFactory(role=role, is_superuser=role == "admin")
    client.force_login(user)
    assert client.get(URL).status_code == 200


def test_partner_users_never_see_the_dashboard(client, partner_admin):
    applications()
    client.force_login(partner_admin)
    response = client.get(URL, PERIOD)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path in ("/admin/login/", "/accounts/login/")
    followed = client.get(URL, PERIOD, follow=True)
    assert "Recruitment funnel" not in followed.content.decode()
    assert "dashboard" not in (followed.context or {})


def test_figures_link_only_to_the_lists_the_viewer_may_open(client, manager, finance):
    paid_run(date(2025, 3, 10), USD="100.00")
    applications()
    as_manager = dashboard(client, manager)
    assert figure(as_manager, "payouts", "Paid out").link is None  # payout runs are finance's
    assert chart(as_manager, "payouts").links == [None] * 6
    assert figure(as_manager, "recruitment", "Applications received").link
    as_finance = dashboard(client, finance)
    assert figure(as_finance, "payouts", "Paid out").link
    assert chart(as_finance, "funnel").links == [None] * 5  # applications are the managers'
    assert figure(as_finance, "revenue", "Won revenue").link  # finance reads deals
    page = client.get(URL, PERIOD).content.decode()
    assert "/admin/partners/application/" not in page


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302


DASHBOARD_LINK = 'href="/admin/performance/dashboard/">Program dashboard</a>'
LEADERBOARD_LINK = 'href="/admin/performance/leaderboard/">Leaderboard</a>'
EVALUATION_LINK = 'href="/admin/performance/programcost/evaluation/">Program evaluation</a>'


@pytest.mark.parametrize("role", ["manager", "finance", "admin"])
def test_the_admin_index_links_the_program_staff_to_the_dashboard_and_the_leaderboard(client, role):
    client.force_login(StaffUserFactory(role=role, is_superuser=role == "admin"))
    page = client.get("/admin/").content.decode()
    assert DASHBOARD_LINK in page and LEADERBOARD_LINK in page and EVALUATION_LINK in page
    assert client.get("/admin/performance/dashboard/").status_code == 200
    assert client.get("/admin/performance/leaderboard/").status_code == 200


def test_a_staff_user_the_pages_refuse_sees_no_link_to_them(client):
    """Staff without a program role signs in to the admin but may not see the program's figures."""
    user = StaffUserFactory(role="")
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    page = response.content.decode()
    assert DASHBOARD_LINK not in page and LEADERBOARD_LINK not in page and EVALUATION_LINK not in page
    assert "Program performance" not in page
    assert client.get("/admin/performance/dashboard/").status_code == 403
    assert client.get("/admin/performance/leaderboard/").status_code == 403


def test_the_application_list_filters_approved_applicants_whose_partner_went_live(client, manager):
    applications()
    client.force_login(manager)
    response = client.get("/admin/partners/application/", {"partner_activated": "yes"})
    assert [a.status for a in response.context["cl"].result_list] == ["approved"]
    response = client.get("/admin/partners/application/", {"partner_activated": "no"})
    assert response.context["cl"].result_count == Application.objects.count() - 1

"""Targets: set one at a time (``target_set``) or from CSV (``targets_import_csv``), the admin's
pages, and what partners see of them (``targets_of``)."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from performance.models import Target
from performance.selectors.targets import targets_of
from performance.services.targets import CSV_MAX_ROWS, target_set, targets_import_csv
from prm.errors import RuleViolation

from ..factories import PartnerFactory, PartnerUserFactory, StaffUserFactory
from .builders import at, certification, deal

pytestmark = pytest.mark.django_db

Q1 = (date(2026, 1, 1), date(2026, 3, 31))
Q2 = (date(2026, 4, 1), date(2026, 6, 30))


@pytest.fixture(autouse=True)
def _usd(settings):
    settings.PRM_PROGRAM_CURRENCY = "USD"


def set_q1(partner, by, **figures):
    return target_set(partner=partner, period_start=Q1[0], period_end=Q1[1], by=by, **figures)


def refused(call) -> dict[str, list[str]]:
    with pytest.raises(RuleViolation) as error:
        call()
    return error.value.message_dict


# --- target_set ------------------------------------------------------------------------------


def test_a_manager_sets_a_target_with_history(partner, manager):
    target = set_q1(partner, manager, won_revenue="250000.00", new_deals=12, certified_users=3)
    target.refresh_from_db()
    assert (target.won_revenue, target.new_deals, target.certified_users) == (Decimal("250000.00"), 12, 3)
    assert target.set_by == manager
    history = list(target.history.all())
    assert [(h.history_type, h.history_user) for h in history] == [("+", manager)]


def test_the_program_admin_sets_targets_too(partner):
    admin = StaffUserFactory(role="admin", is_superuser=True, email="root@example.com")
    assert set_q1(partner, admin, new_deals=1).pk


@pytest.mark.parametrize("role", ["finance", "partner_admin", "partner_rep"])
def test_other_roles_may_not_set_targets(partner, finance, partner_admin, rep, role):
    by = {"finance": finance, "partner_admin": partner_admin, "partner_rep": rep}[role]
    with pytest.raises(PermissionDenied):
        set_q1(partner, by, new_deals=3)
    assert not Target.objects.exists()


def test_the_same_period_again_replaces_the_figures(partner, manager):
    first = set_q1(partner, manager, won_revenue=Decimal("100.00"), new_deals=4)
    second = set_q1(partner, manager, certified_users=5)
    assert second.pk == first.pk
    second.refresh_from_db()
    assert (second.won_revenue, second.new_deals, second.certified_users) == (None, None, 5)
    assert Target.objects.count() == 1
    assert [h.history_type for h in second.history.order_by("history_id")] == ["+", "~"]


def test_each_partner_has_its_own_targets(partner, rival, manager):
    set_q1(partner, manager, new_deals=4)
    set_q1(rival, manager, new_deals=9)
    assert sorted(Target.objects.values_list("new_deals", flat=True)) == [4, 9]


@pytest.mark.parametrize(
    ("figures", "field", "said"),
    [
        ({}, "__all__", "Set at least one figure: won revenue, deals won or certified users."),
        ({"won_revenue": "-1.00"}, "won_revenue", "Give an amount of at least 0."),
        ({"won_revenue": "10.005"}, "won_revenue", "Give the amount with at most two decimals."),
        ({"won_revenue": "ten"}, "won_revenue", "Give an amount such as 250000.00."),
        ({"won_revenue": "NaN"}, "won_revenue", "Give an amount such as 250000.00."),
        ({"won_revenue": "1e400"}, "won_revenue", "Give an amount of at most 999,999,999,999.99."),
        ({"won_revenue": 12.5}, "won_revenue", "Give an amount such as 250000.00."),  # a float: never money
        ({"new_deals": -1}, "new_deals", "Give a whole number from 0 to 1,000,000."),
        ({"certified_users": 10**9}, "certified_users", "Give a whole number from 0 to 1,000,000."),
        ({"new_deals": "3"}, "new_deals", "Give a whole number."),
    ],
)
def test_bad_figures_are_refused_naming_the_field_and_nothing_is_written(partner, manager, figures, field, said):
    errors = refused(lambda: set_q1(partner, manager, **figures))
    assert errors == {field: [said]}
    assert not Target.objects.exists()


def test_a_period_that_ends_before_it_starts_is_refused(partner, manager):
    errors = refused(lambda: target_set(partner=partner, period_start=Q1[1], period_end=Q1[0], by=manager, new_deals=1))
    assert errors == {"period_end": ["The period ends on or after its start, 31 Mar 2026."]}
    assert not Target.objects.exists()


def test_a_period_that_is_not_a_date_is_refused(partner, manager):
    errors = refused(
        lambda: target_set(partner=partner, period_start="2026-01-01", period_end=Q1[1], by=manager, new_deals=1)
    )
    assert errors == {"period_start": ["Give the day as YYYY-MM-DD."]}


def test_a_one_day_target_and_zero_figures_are_fine(partner, manager):
    target = target_set(partner=partner, period_start=Q1[0], period_end=Q1[0], by=manager, won_revenue="0", new_deals=0)
    assert (target.won_revenue, target.new_deals) == (Decimal("0"), 0)


def test_an_overlapping_period_is_refused_and_names_the_other_target(partner, manager):
    set_q1(partner, manager, new_deals=4)
    errors = refused(
        lambda: target_set(
            partner=partner, period_start=date(2026, 3, 31), period_end=date(2026, 4, 30), by=manager, new_deals=1
        )
    )
    assert list(errors) == ["period_start"]
    assert "has a target for 1 Jan 2026 – 31 Mar 2026, which overlaps this period" in errors["period_start"][0]
    assert Target.objects.count() == 1
    # The day after is another period.
    assert target_set(partner=partner, period_start=Q2[0], period_end=Q2[1], by=manager, new_deals=1).pk


def test_a_terminated_partner_gets_no_targets(manager):
    gone = PartnerFactory(name="Gone Ltd", status="terminated")
    assert refused(lambda: set_q1(gone, manager, new_deals=1)) == {
        "partner": ["Gone Ltd is terminated: it gets no targets."]
    }
    assert not Target.objects.exists()


# --- CSV import ----------------------------------------------------------------------------------


def upload(text: str, name: str = "targets.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def import_errors(text: str, by, **kwargs) -> list[str]:
    errors = refused(lambda: targets_import_csv(file=upload(text, **kwargs), by=by))
    assert list(errors) == ["file"]
    return errors["file"]


def test_a_csv_sets_targets_by_partner_number_or_name(partner, rival, manager):
    set_q1(partner, manager, won_revenue="1.00")  # replaced by the file's row for the same period
    text = (
        "partner_id,partner,period_start,period_end,won_revenue,new_deals,certified_users\n"
        f"{partner.pk},,2026-01-01,2026-03-31,250000.00,12,\n"
        f"{partner.pk},{partner.name},2026-04-01,2026-06-30,,14,3\n"
        f",{rival.name},2026-01-01,2026-06-30,99.5,,\n"
    )
    assert targets_import_csv(file=upload("\ufeff" + text), by=manager) == 3
    got = {
        (t.partner_id, t.period_start, t.period_end): (t.won_revenue, t.new_deals, t.certified_users)
        for t in Target.objects.all()
    }
    assert got == {
        (partner.pk, *Q1): (Decimal("250000.00"), 12, None),
        (partner.pk, *Q2): (None, 14, 3),
        (rival.pk, Q1[0], Q2[1]): (Decimal("99.50"), None, None),
    }
    replaced = Target.objects.get(partner=partner, period_start=Q1[0])
    assert [
        (h.history_type, h.history_user, h.history_change_reason) for h in replaced.history.order_by("history_id")
    ] == [
        ("+", manager, None),
        ("~", manager, "Imported from CSV"),
    ]


def test_a_csv_with_only_some_figure_columns_and_the_partner_name(partner, manager):
    text = f"partner,period_start,period_end,new_deals\n{partner.name},2026-01-01,2026-03-31,5\n"
    assert targets_import_csv(file=upload(text), by=manager) == 1


def test_bad_rows_are_listed_by_row_and_column_and_nothing_is_imported(partner, rival, manager):
    text = (
        "partner_id,partner,period_start,period_end,won_revenue,new_deals,certified_users\n"
        f"{partner.pk},,2026-01-01,2026-03-31,1000.00,,\n"  # row 2: fine
        "987654,,2026-01-01,2026-03-31,1,,\n"  # row 3: unknown number
        ",Nobody Ltd,2026-01-01,2026-03-31,1,,\n"  # row 4: unknown name
        f"{rival.pk},,2026-02-30,31/03/2026,1,,\n"  # row 5: no such day; not ISO
        f"{rival.pk},,2026-01-01,2026-03-31,-5.00,,\n"  # row 6: negative amount
        f"{rival.pk},,2026-04-01,2026-06-30,1 000,two,3.5\n"  # row 7: not numbers
        f"{partner.pk},,2026-01-01,2026-03-31,2000.00,,\n"  # row 8: the same as row 2
        f"{partner.pk},,2026-03-15,2026-04-15,,1,\n"  # row 9: overlaps row 2
        f"{rival.pk},,2026-07-01,2026-06-30,,1,\n"  # row 10: ends before it starts
        f"{rival.pk},,2026-10-01,2026-12-31,,,\n"  # row 11: no figure
        f"{rival.pk},Acme Cloud Partners,2027-01-01,2027-03-31,,1,\n"  # row 12: number and name disagree
    )
    errors = import_errors(text, manager)
    assert errors == [
        "Row 3, partner_id: no partner has the number '987654'.",
        "Row 4, partner: no partner is named exactly 'Nobody Ltd'.",
        "Row 5, period_start: '2026-02-30' is not a day; write it as YYYY-MM-DD.",
        "Row 5, period_end: '31/03/2026' is not a day; write it as YYYY-MM-DD.",
        "Row 6, won_revenue: give an amount of at least 0.",
        "Row 7, won_revenue: '1 000' is not an amount; write it as 250000.00 (no separators or currency).",
        "Row 7, new_deals: 'two' is not a whole number.",
        "Row 7, certified_users: '3.5' is not a whole number.",
        "Row 10, period_end: the period ends on or after its start, 1 Jul 2026.",
        "Row 11, won_revenue, new_deals, certified_users: set at least one figure: won revenue, deals won or "
        "certified users.",
        f"Row 12, partner: partner {rival.pk} is named 'Globex Solutions', not 'Acme Cloud Partners'.",
        "Row 8, period_start: the same partner and period as row 2; keep one of the two rows.",
        "Row 9, period_start: the period overlaps the one of row 2 for the same partner; targets of a partner do "
        "not overlap.",
    ]
    assert not Target.objects.exists()


def test_a_row_overlapping_a_stored_target_is_refused(partner, manager):
    set_q1(partner, manager, new_deals=1)
    errors = import_errors(
        f"partner_id,period_start,period_end,new_deals\n{partner.pk},2026-02-01,2026-04-30,2\n", manager
    )
    assert errors == [
        "Row 2, period_start: Acme Cloud Partners has a target for 1 Jan 2026 – 31 Mar 2026, which overlaps this "
        "period."
    ]
    assert Target.objects.get().new_deals == 1


def test_a_terminated_partner_in_the_file_is_refused(manager):
    gone = PartnerFactory(name="Gone Ltd", status="terminated")
    errors = import_errors("partner,period_start,period_end,new_deals\nGone Ltd,2026-01-01,2026-03-31,2\n", manager)
    assert errors == ["Row 2, partner: Gone Ltd is terminated: it gets no targets."]
    assert not gone.targets.exists()


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("partner_id,period_start,period_end,revenue", "Header: unknown column(s) 'revenue'"),
        ("partner_id,period_start,period_end", "Header: give at least one of the columns won_revenue"),
        ("customer,period_start,period_end,new_deals", "Header: name the partner in a column partner_id"),
        ("partner_id,period_start,new_deals", "Header: the column(s) period_end are missing."),
        ("partner_id,period_start,period_end,new_deals,new_deals", "Header: a column appears twice."),
        ("partner_id,period_start,period_end,new_deals,", "Header: a column has no name"),
    ],
)
def test_wrong_headers_are_refused(partner, manager, header, said):
    errors = import_errors(f"{header}\n{partner.pk},2026-01-01,2026-03-31,1\n", manager)
    assert any(said in error for error in errors), errors
    assert not Target.objects.exists()


def test_a_file_that_is_not_a_utf8_csv_is_refused(partner, manager):
    assert import_errors("x", manager, name="targets.xlsx")[0].startswith("Files of type “.xlsx” are not accepted")
    latin = SimpleUploadedFile("targets.csv", "partner,period_start\nCafé,\n".encode("latin-1"))
    assert refused(lambda: targets_import_csv(file=latin, by=manager))["file"]
    assert import_errors("partner_id,period_start,period_end,new_deals\n", manager) == [
        "The file has a header but no rows."
    ]
    many = f"{partner.pk},2026-01-01,2026-03-31,1\n" * 2
    assert import_errors(f"partner_id,period_start,period_end,new_deals\n{many}", manager)[0].startswith("Row 3")


def test_too_many_rows_or_bytes_are_refused_before_anything_is_read(partner, manager, settings):
    row = f"{partner.pk},2026-01-01,2026-01-01,1\n"
    errors = import_errors("partner_id,period_start,period_end,new_deals\n" + row * (CSV_MAX_ROWS + 1), manager)
    assert errors == [f"The file has more than {CSV_MAX_ROWS:,} rows; split it into several files."]
    big = "partner_id,period_start,period_end,new_deals\n" + "x" * (1024 * 1024)
    assert import_errors(big, manager)[0].startswith("The file is 1.0 MB; the limit is 1 MB.")
    assert not Target.objects.exists()


def test_a_row_with_more_cells_than_the_header_is_refused(partner, manager):
    errors = import_errors(
        f"partner_id,period_start,period_end,new_deals\n{partner.pk},2026-01-01,2026-03-31,1,9\n", manager
    )
    assert errors == ["Row 2: it has more cells than the header has columns."]


def test_only_managers_import(partner, finance):
    with pytest.raises(PermissionDenied):
        targets_import_csv(
            file=upload(f"partner_id,period_start,period_end,new_deals\n{partner.pk},2026-01-01,2026-03-31,1\n"),
            by=finance,
        )
    assert not Target.objects.exists()


def test_an_import_of_many_rows_takes_a_fixed_number_of_queries(manager):
    partners = [PartnerFactory() for _ in range(20)]

    def queries(count: int) -> int:
        year = 2027 + count  # periods no earlier import has
        lines = [f"{p.pk},{year}-{m:02d}-01,{year}-{m:02d}-28,{m}" for p in partners[:count] for m in (1, 2, 3)]
        file = upload("partner_id,period_start,period_end,new_deals\n" + "\n".join(lines) + "\n")
        with CaptureQueriesContext(connection) as captured:
            assert targets_import_csv(file=file, by=manager) == 3 * count
        return len(captured)

    assert queries(2) == queries(20)


def test_a_long_period_overlapping_rows_further_down_is_found(partner, manager):
    text = (
        "partner_id,period_start,period_end,new_deals\n"
        f"{partner.pk},2026-04-01,2026-05-31,1\n"  # row 2
        f"{partner.pk},2026-01-01,2026-12-31,1\n"  # row 3: the year holds rows 2 and 4
        f"{partner.pk},2026-07-01,2026-08-31,1\n"  # row 4
        f"{partner.pk},2026-04-01,2026-05-31,1\n"  # row 5: row 2 again
    )
    assert import_errors(text, manager) == [
        "Row 2, period_start: the period overlaps the one of row 3 for the same partner; targets of a partner do "
        "not overlap.",
        "Row 5, period_start: the same partner and period as row 2; keep one of the two rows.",
        "Row 4, period_start: the period overlaps the one of row 3 for the same partner; targets of a partner do "
        "not overlap.",
    ]


# --- Export --------------------------------------------------------------------------------------


def test_the_export_imports_again_and_names_that_look_like_formulas_stay_text(manager, client):
    evil = PartnerFactory(name="=HYPERLINK(1)")
    set_q1(evil, manager, won_revenue="12.50", new_deals=2)
    client.force_login(manager)
    response = client.post(
        reverse("admin:performance_target_changelist"),
        {"action": "export_csv", "_selected_action": list(Target.objects.values_list("pk", flat=True))},
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["partner_id", "partner", "period_start", "period_end", "won_revenue", "new_deals", "certified_users"],
        [str(evil.pk), "'=HYPERLINK(1)", "2026-01-01", "2026-03-31", "12.50", "2", ""],
    ]
    assert targets_import_csv(file=upload(response.content.decode()), by=manager) == 1


# --- Admin pages ---------------------------------------------------------------------------------


def test_a_manager_adds_a_target_in_the_admin_through_the_service(client, manager, partner):
    client.force_login(manager)
    assert client.get(reverse("admin:performance_target_add")).status_code == 200
    response = client.post(
        reverse("admin:performance_target_add"),
        {"partner": partner.pk, "period_start": "2026-01-01", "period_end": "2026-03-31", "won_revenue": "5000.00"},
    )
    assert response.status_code == 302
    target = Target.objects.get()
    assert (target.won_revenue, target.set_by) == (Decimal("5000.00"), manager)
    assert target.history.get().history_user == manager


def test_the_add_form_for_an_existing_period_replaces_its_figures(client, manager, partner):
    set_q1(partner, manager, new_deals=2)
    client.force_login(manager)
    response = client.post(
        reverse("admin:performance_target_add"),
        {"partner": partner.pk, "period_start": "2026-01-01", "period_end": "2026-03-31", "certified_users": "4"},
    )
    assert response.status_code == 302
    assert list(Target.objects.values_list("new_deals", "certified_users")) == [(None, 4)]


def test_the_admin_form_shows_the_rules_on_the_fields(client, manager, partner):
    client.force_login(manager)
    response = client.post(
        reverse("admin:performance_target_add"),
        {"partner": partner.pk, "period_start": "2026-03-31", "period_end": "2026-01-01", "won_revenue": "1.00"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "period_end": ["The period ends on or after its start, 31 Mar 2026."]
    }
    response = client.post(
        reverse("admin:performance_target_add"),
        {"partner": partner.pk, "period_start": "2026-01-01", "period_end": "2026-03-31", "won_revenue": "-1.005"},
    )
    assert list(response.context["adminform"].form.errors) == ["won_revenue"]
    response = client.post(
        reverse("admin:performance_target_add"),
        {"partner": partner.pk, "period_start": "2026-01-01", "period_end": "2026-03-31"},
    )
    assert response.context["adminform"].form.non_field_errors() == [
        "Set at least one figure: won revenue, deals won or certified users."
    ]
    assert not Target.objects.exists()


def test_the_change_page_changes_the_figures_only(client, manager, partner):
    target = set_q1(partner, manager, new_deals=2)
    client.force_login(manager)
    url = reverse("admin:performance_target_change", args=[target.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert set(page.context["adminform"].form.fields) == {"won_revenue", "new_deals", "certified_users"}
    response = client.post(url, {"new_deals": "7", "won_revenue": "", "certified_users": ""})
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.period_start, target.new_deals) == (Q1[0], 7)
    assert target.history.count() == 2


def test_the_changelist_links_to_the_import_and_the_import_page_works(client, manager, partner):
    set_q1(partner, manager, won_revenue="10.00")
    client.force_login(manager)
    listing = client.get(reverse("admin:performance_target_changelist"))
    assert listing.status_code == 200
    assert reverse("admin:performance_target_import") in listing.content.decode()
    assert "Import targets from CSV" in listing.content.decode()
    assert partner.name in listing.content.decode()
    url = reverse("admin:performance_target_import")
    assert client.get(url).status_code == 200
    text = f"partner_id,period_start,period_end,new_deals\n{partner.pk},2026-04-01,2026-06-30,3\n"
    response = client.post(url, {"file": upload(text)}, follow=True)
    assert "1 target set." in response.content.decode()
    assert Target.objects.count() == 2
    bad = client.post(url, {"file": upload("partner_id,period_start,period_end,new_deals\n1,x,y,1\n")})
    assert bad.status_code == 200
    assert "Nothing was imported" in bad.content.decode()
    assert "Row 2, period_start: &#x27;x&#x27; is not a day" in bad.content.decode()


def test_the_changelist_takes_a_fixed_number_of_queries(client, manager):
    client.force_login(manager)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("admin:performance_target_changelist")).status_code == 200
        return len(captured)

    PartnerFactory()
    set_q1(PartnerFactory(), manager, new_deals=1)
    few = count()
    for _ in range(15):
        set_q1(PartnerFactory(), manager, new_deals=1)
    assert count() == few


@pytest.mark.parametrize("who", ["finance", "partner_admin"])
def test_finance_and_partners_cannot_open_the_target_pages(client, finance, partner_admin, manager, partner, who):
    target = set_q1(partner, manager, new_deals=2)
    client.force_login({"finance": finance, "partner_admin": partner_admin}[who])
    for url in (
        reverse("admin:performance_target_changelist"),
        reverse("admin:performance_target_add"),
        reverse("admin:performance_target_change", args=[target.pk]),
        reverse("admin:performance_target_import"),
    ):
        response = client.get(url)
        # Finance is staff without the permission (403); a partner user is sent to the admin's sign-in.
        assert response.status_code in (302, 403), url
        if who == "finance":
            assert response.status_code == 403, url
    text = f"partner_id,period_start,period_end,new_deals\n{partner.pk},2026-04-01,2026-06-30,3\n"
    client.post(reverse("admin:performance_target_import"), {"file": upload(text)})
    assert Target.objects.count() == 1


# --- What partners see ---------------------------------------------------------------------------


def test_a_partner_sees_its_current_and_upcoming_targets_with_progress(partner, rival, manager):
    today = timezone.localdate()
    start = today - timedelta(days=10)
    current = target_set(
        partner=partner,
        period_start=start,
        period_end=today + timedelta(days=19),
        by=manager,
        won_revenue="20000.00",
        new_deals=4,
        certified_users=2,
    )
    upcoming = target_set(
        partner=partner,
        period_start=today + timedelta(days=20),
        period_end=today + timedelta(days=49),
        by=manager,
        new_deals=6,
    )
    target_set(
        partner=partner,
        period_start=start - timedelta(days=30),
        period_end=start - timedelta(days=1),
        by=manager,
        new_deals=1,
    )  # over: not shown
    target_set(partner=rival, period_start=start, period_end=today, by=manager, new_deals=1)
    deal(partner, "won", amount="5000.00", submitted=at(start), closed_on=today)
    certification(
        PartnerUserFactory(partner=partner, role="partner_rep"), issued_on=start, expires_on=today + timedelta(days=300)
    )

    shown = targets_of(partner=partner)

    assert [(p.target.pk, p.state) for p in shown] == [(current.pk, "current"), (upcoming.pk, "upcoming")]
    now = shown[0]
    assert now.days_left == 20
    assert now.scorecard.won_deals == 1
    assert [(f.key, f.label, f.target, f.actual, f.percent, f.currency) for f in now.figures] == [
        ("won_revenue", "Won revenue", Decimal("20000.00"), Decimal("5000.00"), Decimal("25.0"), "USD"),
        ("new_deals", "Deals won", 4, 1, Decimal("25.0"), None),
        ("certified_users", "Certified users", 2, 1, Decimal("50.0"), None),
    ]
    later = shown[1]
    assert (later.scorecard, later.days_left) == (None, 30)
    assert [(f.key, f.target, f.actual, f.percent) for f in later.figures] == [("new_deals", 6, None, None)]


def test_a_partner_without_targets_sees_none(partner):
    assert targets_of(partner=partner) == []


def test_on_a_given_day_the_target_of_that_day_is_current(partner, manager):
    set_q1(partner, manager, new_deals=3)
    target_set(partner=partner, period_start=Q2[0], period_end=Q2[1], by=manager, new_deals=4)
    assert [p.state for p in targets_of(partner=partner.pk, on=Q1[1])] == ["current", "upcoming"]
    assert [p.state for p in targets_of(partner=partner.pk, on=Q2[0])] == ["current"]
    assert targets_of(partner=partner.pk, on=Q1[1])[0].days_left == 1


def test_targets_of_takes_the_same_queries_however_many_upcoming_targets(partner, manager):
    today = timezone.localdate()
    target_set(partner=partner, period_start=today, period_end=today, by=manager, new_deals=1)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            targets_of(partner=partner)
        return len(captured)

    few = count()
    for n in range(1, 8):
        day = today + timedelta(days=n)
        target_set(partner=partner, period_start=day, period_end=day, by=manager, new_deals=1)
    assert count() == few
    assert len(targets_of(partner=partner)) == 5  # the current one and the next four

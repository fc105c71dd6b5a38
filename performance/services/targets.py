"""Targets: what a manager expects of a partner over a period (won revenue in the program
currency, deals won, certified users), set one at a time or imported from CSV.

Rules (DESIGN.md, Performance): managers (and the program admin) set targets; a target sets at
least one figure; its period ends on or after its start; won revenue is an amount of at least zero
with at most two decimals; counts are whole numbers of at least zero. A partner's targets never
overlap, so the scorecard of a longer period adds up the targets within it without counting a day
twice; setting a target for exactly the period of an existing one replaces that one's figures
(a figure left empty is then no longer a target). A terminated partner gets no targets. Every
change is kept in the audit history with who made it.
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from partners.models import Partner, User
from prm.csv import FORMULA_STARTS, csv_safe
from prm.errors import RuleViolation
from prm.locks import lock
from prm.roles import MANAGER_ROLES, require_role
from prm.scoping import scopes_disabled
from prm.text import short_date
from prm.uploads import validate_upload

from ..models import MONEY, Target

FIGURES = ("won_revenue", "new_deals", "certified_users")
# Whole numbers above this are typing mistakes, not targets.
MAX_COUNT = 1_000_000
MAX_REVENUE = Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"]) - Decimal("0.01")

# CSV import: one row per target; a partner is named by its number or by its exact name.
CSV_COLUMNS = ["partner_id", "partner", "period_start", "period_end", *FIGURES]
CSV_MAX_BYTES = 1024 * 1024
CSV_MAX_ROWS = 5000
ERRORS_SHOWN = 100
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WHOLE = re.compile(r"^\d+$")


def _period_text(start: date, end: date) -> str:
    return f"{short_date(start)} – {short_date(end)}"


def _figure_errors(*, period_start, period_end, won_revenue, new_deals, certified_users) -> dict[str, list[str]]:
    """What is wrong with a target's own values (nothing about other targets): field -> messages."""
    errors: dict[str, list[str]] = {}
    for field, day in (("period_start", period_start), ("period_end", period_end)):
        if not isinstance(day, date):
            errors[field] = ["Give the day as YYYY-MM-DD."]
    if not errors and period_end < period_start:
        errors["period_end"] = [f"The period ends on or after its start, {short_date(period_start)}."]
    if won_revenue is not None:
        if not isinstance(won_revenue, Decimal) or not won_revenue.is_finite():
            errors["won_revenue"] = ["Give an amount such as 250000.00."]
        elif won_revenue < 0:
            errors["won_revenue"] = ["Give an amount of at least 0."]
        elif won_revenue > MAX_REVENUE:  # before quantize(), which fails on huge numbers
            errors["won_revenue"] = [f"Give an amount of at most {MAX_REVENUE:,.2f}."]
        elif won_revenue != won_revenue.quantize(Decimal("0.01")):
            errors["won_revenue"] = ["Give the amount with at most two decimals."]
    for field, count in (("new_deals", new_deals), ("certified_users", certified_users)):
        if count is None:
            continue
        if isinstance(count, bool) or not isinstance(count, int):
            errors[field] = ["Give a whole number."]
        elif not 0 <= count <= MAX_COUNT:
            errors[field] = [f"Give a whole number from 0 to {MAX_COUNT:,}."]
    if won_revenue is None and new_deals is None and certified_users is None:
        errors[NON_FIELD_ERRORS] = ["Set at least one figure: won revenue, deals won or certified users."]
    return errors


def _as_decimal(value) -> Decimal | None:
    """Won revenue as given by a form (Decimal), a caller (str, int) or nothing."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            return Decimal("NaN")
    return Decimal("NaN")  # a float or anything else: refused as "not an amount"


def _overlapping(existing, *, period_start: date, period_end: date) -> Target | None:
    """The first of ``existing`` (one partner's targets) that overlaps the period without being
    for exactly that period (which it would replace)."""
    for target in existing:
        same = (target.period_start, target.period_end) == (period_start, period_end)
        if not same and target.period_start <= period_end and period_start <= target.period_end:
            return target
    return None


def target_check(
    *,
    partner: Partner | None,
    period_start: date,
    period_end: date,
    won_revenue: Decimal | str | None = None,
    new_deals: int | None = None,
    certified_users: int | None = None,
) -> Decimal | None:
    """The rules of ``target_set`` without writing anything (forms show its refusals on their
    fields before saving): raises ``RuleViolation`` naming each field, else returns won revenue
    as a Decimal. Without a partner, only the target's own values are checked."""
    won_revenue = _as_decimal(won_revenue)
    errors = _figure_errors(
        period_start=period_start,
        period_end=period_end,
        won_revenue=won_revenue,
        new_deals=new_deals,
        certified_users=certified_users,
    )
    if partner is not None and partner.status == Partner.Status.TERMINATED:
        errors["partner"] = [f"{partner.name} is terminated: it gets no targets."]
    if errors:
        raise RuleViolation(errors)
    if partner is None:
        return won_revenue
    with scopes_disabled():
        other = _overlapping(
            Target.objects.filter(partner=partner, period_start__lte=period_end, period_end__gte=period_start),
            period_start=period_start,
            period_end=period_end,
        )
    if other is not None:
        raise RuleViolation(
            {
                "period_start": [
                    f"{partner.name} has a target for {_period_text(other.period_start, other.period_end)}, "
                    "which overlaps this period. Targets of a partner do not overlap: change that target, "
                    "or set this one for other days."
                ]
            }
        )
    return won_revenue


@transaction.atomic
def target_set(
    *,
    partner: Partner,
    period_start: date,
    period_end: date,
    by: User,
    won_revenue: Decimal | str | None = None,
    new_deals: int | None = None,
    certified_users: int | None = None,
) -> Target:
    """A manager sets what ``partner`` is expected to achieve from ``period_start`` to
    ``period_end`` (both included). Setting a target for exactly the period of an existing one
    replaces its figures; an overlapping period is refused (see the module's rules)."""
    require_role(by, *MANAGER_ROLES, action="set targets")
    with scopes_disabled():
        locked = lock(Partner.objects.filter(pk=partner.pk))  # one writer of a partner's targets at a time
        if not locked:
            raise RuleViolation({"partner": ["This partner no longer exists."]})
        partner = locked[0]
        won_revenue = target_check(
            partner=partner,
            period_start=period_start,
            period_end=period_end,
            won_revenue=won_revenue,
            new_deals=new_deals,
            certified_users=certified_users,
        )
        target = Target.objects.filter(partner=partner, period_start=period_start, period_end=period_end).first()
        if target is None:
            target = Target(partner=partner, period_start=period_start, period_end=period_end)
        target.won_revenue, target.new_deals, target.certified_users = won_revenue, new_deals, certified_users
        target.set_by, target.set_at = by, timezone.now()
        target._history_user = by
        target.save()
    return target


# --- CSV import and export --------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    partner: Partner
    period_start: date
    period_end: date
    won_revenue: Decimal | None
    new_deals: int | None
    certified_users: int | None


def _cell(row: dict, column: str) -> str:
    return (row.get(column) or "").strip()


def _read_rows(file) -> tuple[list[str], list[tuple[int, dict]]]:
    """The header and the rows (with their line numbers) of an uploaded CSV, within the limits."""
    validate_upload(file, field="file", allowed=("csv",), max_bytes=CSV_MAX_BYTES)
    try:
        text = file.read().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RuleViolation({"file": ["The file is not UTF-8 text; save it as “CSV UTF-8”."]}) from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        header = [(name or "").strip() for name in (reader.fieldnames or [])]
        reader.fieldnames = header
        for row in reader:
            if len(rows) == CSV_MAX_ROWS:
                raise RuleViolation(
                    {"file": [f"The file has more than {CSV_MAX_ROWS:,} rows; split it into several files."]}
                )
            if any(_cell(row, column) for column in header if column) or row.get(None):
                rows.append((reader.line_num, row))
    except csv.Error as error:
        raise RuleViolation({"file": [f"Row {reader.line_num}: the file is not valid CSV ({error})."]}) from error
    return header, rows


def _header_errors(header: list[str]) -> list[str]:
    errors = []
    if "" in header:
        errors.append("Header: a column has no name; remove the empty column or name it.")
    unknown = [column for column in header if column and column not in CSV_COLUMNS]
    if unknown:
        errors.append(
            f"Header: unknown column(s) {', '.join(repr(c) for c in unknown)}; the columns are "
            f"{', '.join(CSV_COLUMNS)}."
        )
    if len(set(header)) != len(header):
        errors.append("Header: a column appears twice.")
    if "partner_id" not in header and "partner" not in header:
        errors.append("Header: name the partner in a column partner_id (its number) or partner (its exact name).")
    missing = [column for column in ("period_start", "period_end") if column not in header]
    if missing:
        errors.append(f"Header: the column(s) {', '.join(missing)} are missing.")
    if not any(figure in header for figure in FIGURES):
        errors.append(f"Header: give at least one of the columns {', '.join(FIGURES)}.")
    return errors


def _is_id(value: str) -> bool:
    return bool(WHOLE.match(value)) and len(value) < 12


def _unquoted(name: str) -> str:
    """A name as typed, or as our export wrote it (``csv_safe`` puts an apostrophe before a name
    a spreadsheet would read as a formula)."""
    if name.startswith("'") and name[1:].startswith(FORMULA_STARTS):
        return name[1:]
    return name


def _partners_named(rows) -> tuple[dict[int, Partner], dict[str, Partner]]:
    """The partners the rows name, by number and by exact name (two queries at most)."""
    ids = {int(_cell(row, "partner_id")) for _, row in rows if _is_id(_cell(row, "partner_id"))}
    names = {_unquoted(_cell(row, "partner")) for _, row in rows if _cell(row, "partner")}
    with scopes_disabled():
        by_id = {p.pk: p for p in Partner.objects.filter(pk__in=ids)} if ids else {}
        by_name = {p.name: p for p in Partner.objects.filter(name__in=names)} if names else {}
    return by_id, by_name


def _parse_row(number: int, row: dict, by_id, by_name) -> tuple[_Row | None, list[str]]:
    errors: list[str] = []

    def refuse(column: str, message: str) -> None:
        errors.append(f"Row {number}, {column}: {message}")

    if row.get(None):
        errors.append(f"Row {number}: it has more cells than the header has columns.")
    partner = None
    given_id, given_name = _cell(row, "partner_id"), _unquoted(_cell(row, "partner"))
    if given_id:
        partner = by_id.get(int(given_id)) if _is_id(given_id) else None
        if partner is None:
            refuse("partner_id", f"no partner has the number {given_id!r}.")
        elif given_name and given_name != partner.name:
            refuse("partner", f"partner {partner.pk} is named {partner.name!r}, not {given_name!r}.")
    elif given_name:
        partner = by_name.get(given_name)
        if partner is None:
            refuse("partner", f"no partner is named exactly {given_name!r}.")
    else:
        refuse("partner_id" if "partner_id" in row else "partner", "name the partner.")

    days = {}
    for column in ("period_start", "period_end"):
        value = _cell(row, column)
        try:
            days[column] = date.fromisoformat(value) if ISO_DAY.match(value) else None
        except ValueError:
            days[column] = None
        if days[column] is None:
            refuse(column, f"{value!r} is not a day; write it as YYYY-MM-DD." if value else "give the day.")

    won_revenue = None
    if _cell(row, "won_revenue"):
        value = _cell(row, "won_revenue")
        won_revenue = _as_decimal(value)
        if not won_revenue.is_finite():
            refuse("won_revenue", f"{value!r} is not an amount; write it as 250000.00 (no separators or currency).")
            won_revenue = None
    counts = {}
    for column in ("new_deals", "certified_users"):
        value = _cell(row, column)
        counts[column] = None
        if value:
            if WHOLE.match(value) and len(value) <= 9:
                counts[column] = int(value)
            else:
                refuse(column, f"{value!r} is not a whole number.")
    if errors:
        return None, errors

    for field, messages in _figure_errors(
        period_start=days["period_start"],
        period_end=days["period_end"],
        won_revenue=won_revenue,
        **counts,
    ).items():
        column = "won_revenue, new_deals, certified_users" if field == NON_FIELD_ERRORS else field
        for message in messages:
            refuse(column, message[0].lower() + message[1:])
    if partner.status == Partner.Status.TERMINATED:
        refuse("partner_id" if given_id else "partner", f"{partner.name} is terminated: it gets no targets.")
    if errors:
        return None, errors
    return _Row(number, partner, days["period_start"], days["period_end"], won_revenue, **counts), []


def _file_overlaps(rows: list[_Row]) -> list[str]:
    """Rows of one partner whose periods are the same or overlap, within the file."""
    errors = []
    by_partner: dict[int, list[_Row]] = {}
    for row in rows:
        by_partner.setdefault(row.partner.pk, []).append(row)
    for partner_rows in by_partner.values():
        partner_rows.sort(key=lambda r: (r.period_start, r.number))
        seen: dict[tuple[date, date], _Row] = {}
        reach: _Row | None = None  # of the rows so far, the one whose period ends last
        for row in partner_rows:
            period = (row.period_start, row.period_end)
            if period in seen:
                errors.append(
                    f"Row {row.number}, period_start: the same partner and period as row {seen[period].number}; "
                    "keep one of the two rows."
                )
            elif reach is not None and row.period_start <= reach.period_end:
                errors.append(
                    f"Row {row.number}, period_start: the period overlaps the one of row {reach.number} for the "
                    "same partner; targets of a partner do not overlap."
                )
            seen.setdefault(period, row)
            if reach is None or row.period_end > reach.period_end:
                reach = row
    return errors


@transaction.atomic
def targets_import_csv(*, file, by: User) -> int:
    """A manager imports targets from a CSV file (columns: ``partner_id`` or ``partner`` (exact
    name), ``period_start``, ``period_end`` as YYYY-MM-DD, and any of ``won_revenue``,
    ``new_deals``, ``certified_users``). Each row follows the rules of ``target_set``; a row for
    exactly the period of an existing target replaces its figures. All or nothing: when any row
    fails, nothing is written and the ``RuleViolation`` lists every error by row and column
    (under ``file``). Returns the number of targets set."""
    require_role(by, *MANAGER_ROLES, action="import targets")
    header, raw = _read_rows(file)
    errors = _header_errors(header)
    if errors:
        raise RuleViolation({"file": errors})
    if not raw:
        raise RuleViolation({"file": ["The file has a header but no rows."]})
    by_id, by_name = _partners_named(raw)
    rows: list[_Row] = []
    for number, values in raw:
        row, row_errors = _parse_row(number, values, by_id, by_name)
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    errors.extend(_file_overlaps(rows))
    if not errors:
        errors = _save_rows(rows, by=by)
    if errors:
        shown = errors[:ERRORS_SHOWN]
        if len(errors) > ERRORS_SHOWN:
            shown.append(f"… and {len(errors) - ERRORS_SHOWN:,} more errors.")
        raise RuleViolation({"file": shown})
    return len(rows)


def _save_rows(rows: list[_Row], *, by: User) -> list[str]:
    """Write the rows (their partners locked), or return why rows clash with stored targets."""
    with scopes_disabled():
        partner_ids = sorted({row.partner.pk for row in rows})
        lock(Partner.objects.filter(pk__in=partner_ids))
        first = min(row.period_start for row in rows)
        last = max(row.period_end for row in rows)
        stored: dict[int, list[Target]] = {}
        for target in Target.objects.filter(
            partner_id__in=partner_ids, period_start__lte=last, period_end__gte=first
        ).order_by("period_start"):
            stored.setdefault(target.partner_id, []).append(target)
        errors, new, replaced = [], [], []
        now = timezone.now()
        for row in rows:
            existing = stored.get(row.partner.pk, [])
            other = _overlapping(existing, period_start=row.period_start, period_end=row.period_end)
            if other is not None:
                errors.append(
                    f"Row {row.number}, period_start: {row.partner.name} has a target for "
                    f"{_period_text(other.period_start, other.period_end)}, which overlaps this period."
                )
                continue
            target = next(
                (t for t in existing if (t.period_start, t.period_end) == (row.period_start, row.period_end)), None
            )
            if target is None:
                target = Target(partner=row.partner, period_start=row.period_start, period_end=row.period_end)
                new.append(target)
            else:
                replaced.append(target)
            target.won_revenue, target.new_deals, target.certified_users = (
                row.won_revenue,
                row.new_deals,
                row.certified_users,
            )
            target.set_by, target.set_at = by, now
        if errors:
            return errors
        reason = "Imported from CSV"
        if new:
            bulk_create_with_history(new, Target, default_user=by, default_change_reason=reason, default_date=now)
        if replaced:
            bulk_update_with_history(
                replaced,
                Target,
                ["won_revenue", "new_deals", "certified_users", "set_by", "set_at"],
                default_user=by,
                default_change_reason=reason,
                default_date=now,
            )
    return []


def targets_export_rows(targets) -> list[list]:
    """One row per target with the import's columns (so an export, edited, imports again); the
    partner's name is typed text and goes through ``csv_safe``."""
    rows: list[list] = [CSV_COLUMNS]
    for t in targets:
        rows.append(
            [
                t.partner_id,
                csv_safe(t.partner.name),
                t.period_start.isoformat(),
                t.period_end.isoformat(),
                f"{t.won_revenue:.2f}" if t.won_revenue is not None else "",
                "" if t.new_deals is None else t.new_deals,
                "" if t.certified_users is None else t.certified_users,
            ]
        )
    return rows

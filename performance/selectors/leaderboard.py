"""The staff leaderboard: every partner with its scorecard figures for a period, filtered by tier,
partner type, country and status, sorted by any figure.

Computing every partner's scorecard is a dozen grouped queries over all deals and ledger lines:
about a second at 10,000 partners and 1,000,000 registrations, too slow for each page view (see
BENCHMARKS.md). So the table of a period is computed once and kept in Django's cache; it is
computed again once older than ``settings.PRM_LEADERBOARD_CACHE_SECONDS`` (by one request, while
the others still get the older table), the page says when it was computed, and a manager can
compute it again at once (``refresh=True``). Filters, sort orders and pages are cut from that one
table, so they cost no query.

Each server process also keeps the last tables it read, with the orders it sorted them in,
because reading 10,000 rows back from the cache costs more than a page view may. The shared cache
holds a stamp per table: a process uses its own copy only while the stamp is the one in the
cache, so a recomputation in one process is seen by all on their next request.
"""

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django_countries import countries

from partners.models import Partner, PartnerType
from prm.money import round_money
from prm.scoping import scopes_disabled

from .scorecards import Money, exchange_rates, program_total, scorecards


@dataclass(frozen=True)
class Column:
    """A column of the leaderboard. ``kind``: text, count, money (program-currency total), percent,
    days, hours or score (NPS, -100 to 100)."""

    key: str
    label: str
    kind: str
    help: str = ""

    @property
    def is_figure(self) -> bool:
        return self.kind != "text"


COLUMNS = [
    Column("name", "Partner", "text"),
    Column("tier", "Tier", "text"),
    Column("partner_type", "Type", "text"),
    Column("country", "Country", "text"),
    Column("won_revenue", "Won revenue", "money", "deals won and closed in the period"),
    Column("pipeline", "Pipeline", "money", "open registrations now"),
    Column("registrations", "Registrations", "count", "submitted in the period"),
    Column("won_deals", "Won deals", "count"),
    Column("win_rate", "Win rate", "percent", "won of the deals closed in the period"),
    Column("avg_deal_size", "Average deal", "money", "won revenue per won deal"),
    Column("avg_days_to_close", "Days to close", "days", "average, submission to close of won deals"),
    Column("avg_approval_hours", "Approval time", "hours", "average, submission to approval"),
    Column("certified_users", "Certified users", "count", "at the period's end"),
    Column("course_completions", "Course completions", "count"),
    Column("content_downloads", "Downloads", "count"),
    Column("open_cases", "Open cases", "count", "at the period's end"),
    Column("open_disputes", "Open disputes", "count", "at the period's end"),
    Column("nps", "NPS", "score"),
    Column("commission_earned", "Commission earned", "money", "ledger lines booked in the period"),
    Column("commission_paid", "Commission paid", "money", "by runs paid in the period"),
    Column("attainment_revenue", "Revenue target", "percent", "attainment of the won revenue target"),
    Column("attainment_deals", "New deals target", "percent", "attainment of the new deals target"),
    Column("attainment_certified", "Certified users target", "percent", "attainment of the certified users target"),
]
COLUMN = {column.key: column for column in COLUMNS}
MONEY = [c.key for c in COLUMNS if c.kind == "money"]
DEFAULT_SORT = "won_revenue"

# A row of the table is a plain tuple (fast to cache): the partner's attributes, then one value per
# column (text columns hold what they sort by), then the money per currency of the money columns.
ATTRIBUTES = (
    "id",
    "name",
    "tier_id",
    "tier_name",
    "tier_rank",
    "partner_type",
    "type_label",
    "country",
    "country_name",
    "status",
)
FIELD = {name: i for i, name in enumerate(ATTRIBUTES)}
FIELD.update({c.key: len(ATTRIBUTES) + i for i, c in enumerate(c for c in COLUMNS if c.is_figure)})
DETAILS = len(FIELD)  # {money column: [(currency, amount), ...]} where a partner has other currencies


@dataclass
class Table:
    """Every partner's figures for one period, as computed at ``computed_at``."""

    stamp: str
    start: date
    end: date
    currency: str
    computed_at: datetime
    seconds: float  # how long the computation took
    rows: list[tuple]
    tiers: list[tuple[int, str]]  # (id, name) of the tiers partners are in, by rank
    countries: list[tuple[str, str]]  # (code, name) of the partners' countries, by name
    # (filters, sort, descending) -> row indexes, in this process (never cached: set after caching)
    orders: dict = field(default_factory=dict, repr=False)


@dataclass
class Leaderboard:
    table: Table
    rows: list[tuple]  # the filtered rows in order (a page is a slice of them)
    sort: str
    descending: bool


def _sort_key(column: str, row: tuple):
    if column == "name":
        return row[FIELD["name"]].casefold()
    if column == "tier":
        return row[FIELD["tier_rank"]]
    if column == "partner_type":
        return row[FIELD["type_label"]].casefold()
    if column == "country":
        return row[FIELD["country_name"]]
    return row[FIELD[column]]


# --- computing a table ----------------------------------------------------------------------------


def _money(amounts: Money, rates: dict[str, Decimal], currency: str) -> tuple[Decimal | None, list | None]:
    """The program-currency total, and the amounts per currency when there is more than the
    program currency (None otherwise)."""
    total, _ = program_total(amounts, rates)
    other = any(code != currency for code in amounts)
    return total, (sorted((code, amount) for code, amount in amounts.items()) if other else None)


def compute_table(*, start: date, end: date) -> Table:
    """Every partner's scorecard for the period, as leaderboard rows. A fixed number of queries:
    the scorecards', the partners' names and attributes, and the exchange rates."""
    started = time.perf_counter()
    currency = settings.PRM_PROGRAM_CURRENCY
    cards = scorecards(start=start, end=end)
    with scopes_disabled():
        partners = list(
            Partner.objects.values_list(
                "id", "name", "tier_id", "tier__name", "tier__rank", "partner_type", "country", "status"
            ).order_by("name", "id")
        )
        rates = exchange_rates(end)
    types = dict(PartnerType.choices)
    rows, tiers, names = [], {}, {}
    for pk, name, tier_id, tier_name, tier_rank, partner_type, country, status in partners:
        card = cards.get(pk)
        if card is None:  # created while the scorecards were being computed
            continue
        details, money = {}, {}
        for key, amounts in (
            ("won_revenue", card.won_revenue),
            ("pipeline", card.pipeline),
            ("avg_deal_size", card.avg_deal_size),
            ("commission_earned", card.commission_earned),
            ("commission_paid", card.commission_paid),
        ):
            money[key], split = _money(amounts, rates, currency)
            if split:
                details[key] = split
        money["won_revenue"] = card.won_revenue_total
        # The average of all won deals, not the sum of each currency's average.
        total, deals = card.won_revenue_total, card.won_deals
        money["avg_deal_size"] = round_money(total / deals) if total is not None and deals else None
        if tier_id is not None:
            tiers[tier_id] = (tier_rank, tier_name)
        code = str(country)
        if code not in names:
            names[code] = countries.name(code) or code
        figures = {
            **money,
            "registrations": card.registrations,
            "won_deals": card.won_deals,
            "win_rate": card.win_rate,
            "avg_days_to_close": card.avg_days_to_close,
            "avg_approval_hours": card.avg_approval_hours,
            "certified_users": card.certified_users,
            "course_completions": card.course_completions,
            "content_downloads": card.content_downloads,
            "open_cases": card.open_cases,
            "open_disputes": card.open_disputes,
            "nps": card.nps,
            "attainment_revenue": card.attainment.get("won_revenue"),
            "attainment_deals": card.attainment.get("new_deals"),
            "attainment_certified": card.attainment.get("certified_users"),
        }
        rows.append(
            (
                pk,
                name,
                tier_id,
                tier_name or "",
                tier_rank,
                partner_type,
                types.get(partner_type, partner_type),
                code,
                names[code],
                status,
                *(figures[c.key] for c in COLUMNS if c.is_figure),
                details or None,
            )
        )
    return Table(
        stamp=uuid.uuid4().hex,
        start=start,
        end=end,
        currency=currency,
        computed_at=timezone.now(),
        seconds=time.perf_counter() - started,
        rows=rows,
        tiers=[(pk, name) for pk, (rank, name) in sorted(tiers.items(), key=lambda item: item[1][0])],
        countries=sorted(names.items(), key=lambda item: item[1]),
    )


# --- the cache --------------------------------------------------------------------------------------

_LOCAL: "OrderedDict[str, Table]" = OrderedDict()  # this process's tables, by cache key
LOCAL_TABLES = 4
LOCAL_ORDERS = 200  # orders kept per table
COMPUTING_SECONDS = 300  # how long one request may hold the right to compute a stale table again


def _key(start: date, end: date) -> str:
    return f"performance:leaderboard:{settings.PRM_PROGRAM_CURRENCY}:{start.isoformat()}:{end.isoformat()}"


def _remember(key: str, table: Table) -> Table:
    _LOCAL[key] = table
    _LOCAL.move_to_end(key)
    while len(_LOCAL) > LOCAL_TABLES:
        _LOCAL.popitem(last=False)
    return table


def _cached(key: str) -> Table | None:
    stamp = cache.get(key + ":stamp")
    if stamp is None:
        return None
    local = _LOCAL.get(key)
    if local is not None and local.stamp == stamp:
        _LOCAL.move_to_end(key)
        return local
    shared = cache.get(key)
    return _remember(key, shared) if shared is not None and shared.stamp == stamp else None


def leaderboard_table(*, start: date, end: date, refresh: bool = False) -> Table:
    """The period's table: this process's copy, the shared cache's, or computed now.

    A table is fresh for ``PRM_LEADERBOARD_CACHE_SECONDS``. Once it is older, the first request
    computes it again while the others are still given the older one (which says when it was
    computed), so that only one request waits; the cache keeps a table for twice that time and a
    minute more. ``refresh`` computes it again whatever is cached."""
    if end < start:
        raise ValueError("A period ends on or after its start.")
    key = _key(start, end)
    fresh_for = settings.PRM_LEADERBOARD_CACHE_SECONDS
    if not refresh:
        table = _cached(key)
        if table is not None:
            age = (timezone.now() - table.computed_at).total_seconds()
            if age < fresh_for or not cache.add(key + ":computing", True, COMPUTING_SECONDS):
                return table
    try:
        table = compute_table(start=start, end=end)
        kept = 2 * fresh_for + 60
        # The table first, its stamp second: a process that sees the new stamp finds the new table.
        cache.set(key, table, kept)
        cache.set(key + ":stamp", table.stamp, kept)
    finally:
        cache.delete(key + ":computing")
    return _remember(key, table)


# --- reading a table ----------------------------------------------------------------------------------


def leaderboard(
    *,
    table: Table,
    tier: str = "",
    partner_type: str = "",
    country: str = "",
    status: str = "",
    sort: str = DEFAULT_SORT,
    descending: bool = True,
) -> Leaderboard:
    """The partners of ``table`` (``leaderboard_table``) matching the filters (``tier``: a tier
    id or "none"; empty: any), in the order of ``sort`` (a column key). Partners without a value
    (no deal closed, no rate for a currency, no target) come last either way; ties are in name
    order. No query: the orders are kept with the table in this process."""
    if sort not in COLUMN:
        raise ValueError(f"Unknown column to sort by: {sort}")
    wanted = (tier, partner_type, country, status, sort, descending)
    order = table.orders.get(wanted)
    if order is None:
        if len(table.orders) >= LOCAL_ORDERS:
            table.orders.pop(next(iter(table.orders)))
        order = table.orders[wanted] = _order(table, *wanted)
    return Leaderboard(table=table, rows=_Rows(table.rows, order), sort=sort, descending=descending)


def _order(
    table: Table, tier: str, partner_type: str, country: str, status: str, sort: str, descending: bool
) -> list[int]:
    tier_id = None if tier in ("", "none") else int(tier)
    chosen = []
    for i, row in enumerate(table.rows):
        if tier == "none" and row[FIELD["tier_id"]] is not None:
            continue
        if tier_id is not None and row[FIELD["tier_id"]] != tier_id:
            continue
        if partner_type and row[FIELD["partner_type"]] != partner_type:
            continue
        if country and row[FIELD["country"]] != country:
            continue
        if status and row[FIELD["status"]] != status:
            continue
        chosen.append(i)
    rows = table.rows
    # The rows are in name order: a stable sort keeps ties that way, in both directions.
    present = [i for i in chosen if _sort_key(sort, rows[i]) is not None]
    absent = [i for i in chosen if _sort_key(sort, rows[i]) is None]
    present.sort(key=lambda i: _sort_key(sort, rows[i]), reverse=descending)
    return present + absent


class _Rows:
    """The rows of a table in one order, as a sequence (the paginator slices it)."""

    def __init__(self, rows: list[tuple], order: list[int]):
        self._rows, self._order = rows, order

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._rows[i] for i in self._order[index]]
        return self._rows[self._order[index]]

"""What conflicts does when deals announce an event (see deals.signals)."""

from prm.scoping import scopes_disabled

from . import services, tasks
from .models import CommissionSplit


def open_case(sender, deal, matches=(), **kwargs):
    """A clash was found (after its transaction committed): a worker opens or joins the case."""
    tasks.open_channel_conflict_case.delay(deal.pk)


def book_splits(sender, deal, by=None, **kwargs):
    """Inside the closing transaction: a won deal's commission split by a case is booked with it."""
    with scopes_disabled():
        splits = list(CommissionSplit.objects.filter(deal=deal, booked_at__isnull=True))
    for split in splits:
        services.commission_split_book(split=split)


def reverse_splits(sender, deal, by=None, **kwargs):
    services.commission_split_reverse(deal=deal, by=by)

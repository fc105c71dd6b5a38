"""What incentives does when deals announce an event (see deals.signals)."""

from . import services


def book_commission(sender, deal, by=None, **kwargs):
    services.commission_book_for_win(deal=deal, by=by)


def claw_back(sender, deal, by=None, reason="", **kwargs):
    services.commission_claw_back(deal=deal, by=by, reason=reason)

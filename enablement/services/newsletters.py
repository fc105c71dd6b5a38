"""Newsletters: composing, previewing, sending exactly once, unsubscribing.

(Skeleton: the sending engine follows; the public signatures are final.)
"""

from django.core import signing
from django.db import transaction
from django.utils import timezone

from partners.models import User
from prm.errors import RuleViolation, StateConflict
from prm.roles import MANAGER_ROLES, require_role

from ..models import Newsletter, NewsletterOptOut

UNSUBSCRIBE_SALT = "enablement.newsletter.unsubscribe"


def newsletter_save(*, by: User, data: dict, newsletter: Newsletter | None = None) -> Newsletter:
    require_role(by, *MANAGER_ROLES, action="write newsletters")
    raise NotImplementedError


def newsletter_preview(*, newsletter: Newsletter, user: User | None = None) -> dict:
    raise NotImplementedError


def newsletter_audience_count(newsletter: Newsletter) -> dict:
    raise NotImplementedError


def newsletter_test_send(*, newsletter: Newsletter, by: User) -> None:
    raise NotImplementedError


def newsletter_send(*, newsletter: Newsletter, by: User, at=None) -> Newsletter:
    raise NotImplementedError


def newsletter_unschedule(*, newsletter: Newsletter, by: User) -> Newsletter:
    raise NotImplementedError


def newsletter_opt_out(*, user: User, via: str, newsletter: Newsletter | None = None) -> NewsletterOptOut:
    raise NotImplementedError


def newsletter_opt_in(*, user: User) -> None:
    raise NotImplementedError


def unsubscribe_token(user: User, newsletter: Newsletter | None) -> str:
    return signing.dumps({"u": user.pk, "n": newsletter.pk if newsletter else None}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_check(token: str) -> tuple[User, Newsletter | None]:
    raise NotImplementedError


__all__ = [
    "newsletter_save",
    "newsletter_preview",
    "newsletter_audience_count",
    "newsletter_test_send",
    "newsletter_send",
    "newsletter_unschedule",
    "newsletter_opt_out",
    "newsletter_opt_in",
    "unsubscribe_token",
    "unsubscribe_check",
]
_unused = (transaction, timezone, RuleViolation, StateConflict)

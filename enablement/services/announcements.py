"""Writes of announcements: managers publish short notices to an audience for a time; each
partner user dismisses them from the portal home, once."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from partners.models import User
from prm.errors import RuleViolation, StateConflict
from prm.locks import lock_one
from prm.roles import MANAGER_ROLES, require_role

from ..models import Announcement, AnnouncementDismissal
from .audience import audience_apply

# What an announcement says and when (its audience is read by ``audience_apply``); the admin's form
# shows the same fields.
ANNOUNCEMENT_FIELDS = ("title", "body_markdown", "link", "link_text", "pinned", "publish_at", "expires_at")


def announcement_check(announcement: Announcement) -> dict[str, list[str]]:
    """The rules beyond the model's fields: a web link with its words, an expiry after the publication."""
    errors: dict[str, list[str]] = {}
    if announcement.link and not announcement.link.lower().startswith(("https://", "http://")):
        errors["link"] = ["A link starts with https:// or http://."]
    if announcement.link and not announcement.link_text.strip():
        errors["link_text"] = ["Give the words the link shows (e.g. “Read the SPIF rules”)."]
    if announcement.link_text.strip() and not announcement.link:
        errors.setdefault("link", []).append("Give the link these words lead to, or leave the link text empty.")
    if announcement.expires_at and announcement.publish_at and announcement.expires_at <= announcement.publish_at:
        errors["expires_at"] = ["The expiry must come after the publication."]
    return errors


@transaction.atomic
def announcement_save(*, by: User, data: dict, announcement: Announcement | None = None) -> Announcement:
    """Managers write an announcement and its audience. It shows on the portal home of its
    audience from ``publish_at`` until ``expires_at`` (never, when empty); a link is a web link
    with words of its own; the body is Markdown, sanitized when it is shown. Bad input is refused
    with every field named, and nothing is written."""
    require_role(by, *MANAGER_ROLES, action="publish announcements")
    announcement = announcement or Announcement(created_by=by)
    for field in ANNOUNCEMENT_FIELDS:
        if field in data:
            value = data[field]
            if field in ("link", "link_text", "title", "body_markdown") and value is None:
                value = ""
            setattr(announcement, field, value)
    if "publish_at" in data and data["publish_at"] is None:
        announcement.publish_at = timezone.now()
    errors: dict[str, list[str]] = {}
    tiers = None
    try:
        tiers = audience_apply(target=announcement, data=data)
    except RuleViolation as error:
        errors.update(error.message_dict)
    for field, messages in announcement_check(announcement).items():
        errors.setdefault(field, []).extend(messages)
    try:
        # The check constraint says the same as announcement_check, which names the field: skip it here.
        announcement.full_clean(validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(m for m in messages if m not in errors.get(field, []))
    if errors:
        raise RuleViolation(errors)
    announcement.save()
    if tiers is not None:
        announcement.tiers.set(tiers)
    return announcement


@transaction.atomic
def announcement_withdraw(*, by: User, announcement: Announcement, now: datetime | None = None) -> Announcement:
    """A manager takes an announcement down: it expires now (a scheduled one never shows). An
    announcement that has already ended cannot be withdrawn again."""
    require_role(by, *MANAGER_ROLES, action="withdraw announcements")
    now = now or timezone.now()
    announcement = lock_one(Announcement.objects.all(), announcement.pk)
    if announcement.expires_at is not None and announcement.expires_at <= now:
        raise StateConflict(f"“{announcement.title}” has already ended.")
    if announcement.publish_at >= now:
        announcement.publish_at = now - timedelta(microseconds=1)
    announcement.expires_at = now
    announcement.save(update_fields=["publish_at", "expires_at"])
    return announcement


def announcement_dismiss(*, announcement: Announcement, user: User) -> bool:
    """A partner user hides an announcement from their portal home (colleagues still see it).
    Dismissing twice is harmless: the unique (announcement, user) keeps one record. Callers pass
    only announcements the user may see (``selectors.announcements_visible``). Returns whether
    this call dismissed it."""
    if AnnouncementDismissal.objects.filter(announcement=announcement, user=user).exists():
        return False
    try:
        with transaction.atomic():
            AnnouncementDismissal.objects.create(announcement=announcement, user=user)
    except IntegrityError:  # a second request won the race: it is dismissed all the same
        return False
    return True

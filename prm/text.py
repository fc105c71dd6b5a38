"""Text people type: how long it may be, which characters it may hold, and how dates read in it.

Names and other one-line text must not hold control characters, nor the invisible characters that
change how text around them is displayed: a bidirectional override (U+202E) makes "Acme‮ssorG"
display as another company's name, a zero-width space makes two equal-looking names differ.
Multi-line text (notes, messages, reasons) keeps its newlines and tabs but refuses the rest.
"""

import unicodedata
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone

# Length limits of free text (characters).
NAME_MAX = 200
REASON_MAX = 2_000
NOTES_MAX = 5_000
MESSAGE_MAX = 10_000
DOCUMENT_MAX = 100_000  # an agreement's text

# Invisible characters that reorder or hide text: bidirectional embeddings, overrides, isolates and
# marks, zero-width characters and the byte-order mark.
INVISIBLE = frozenset("\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff")
MULTILINE_WHITESPACE = frozenset("\n\r\t")


def _forbidden(value: str, *, multiline: bool) -> str | None:
    for char in value:
        if char in INVISIBLE:
            return char
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Zl", "Zp") and not (multiline and char in MULTILINE_WHITESPACE):
            return char
    return None


def _refuse(char: str, *, multiline: bool) -> None:
    name = unicodedata.name(char, "a control character")
    what = "" if multiline else "; a name is one line of visible text"
    raise ValidationError(
        f"Remove the invisible character U+{ord(char):04X} ({name.lower()}): it can make text display "
        f"as something else{what}.",
        code="invisible_character",
    )


def validate_plain_text(value: str) -> None:
    """One-line text (names): no control characters, no line breaks, no bidi or zero-width characters."""
    if isinstance(value, str) and (char := _forbidden(value, multiline=False)):
        _refuse(char, multiline=False)


def validate_multiline_text(value: str) -> None:
    """Multi-line text (notes, messages, reasons): newlines and tabs, but no other control
    characters and no bidi or zero-width characters."""
    if isinstance(value, str) and (char := _forbidden(value, multiline=True)):
        _refuse(char, multiline=True)


def text_validators(limit: int, *, multiline: bool = True) -> list:
    """The validators of a free-text field: its length limit and its characters."""
    return [MaxLengthValidator(limit), validate_multiline_text if multiline else validate_plain_text]


def check_text(*, field: str, value: str, limit: int, multiline: bool = True) -> str:
    """A service's check of one free-text input: ``value`` when it is within ``limit`` characters
    and holds only plain text, else a ``RuleViolation`` naming ``field``."""
    from .errors import RuleViolation

    try:
        for validator in text_validators(limit, multiline=multiline):
            validator(value)
    except ValidationError as error:
        raise RuleViolation({field: error.messages}) from error
    return value


def short_date(value: date | datetime | None) -> str:
    """``3 Mar 2026``; a moment is shown on its local day."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return f"{value.day} {value:%b %Y}"

"""The kernel's plain-text rules: names are one line of visible text; multi-line text keeps its
newlines and tabs; both refuse the characters that make text display as something else."""

import pytest
from django.core.exceptions import ValidationError

from prm.errors import RuleViolation
from prm.text import (
    REASON_MAX,
    check_text,
    short_date,
    text_validators,
    validate_multiline_text,
    validate_plain_text,
)

SPOOFING = [
    "\u202e",  # right-to-left override: "Acme\u202eGROSS" shows as another name
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",  # embeddings and pop
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",  # isolates
    "\u200e",
    "\u200f",
    "\u061c",  # direction marks
    "\u200b",
    "\u2060",
    "\ufeff",  # zero-width characters
]


@pytest.mark.parametrize("char", SPOOFING)
def test_names_refuse_bidi_and_zero_width_characters(char):
    with pytest.raises(ValidationError) as refused:
        validate_plain_text(f"Acme{char}Cloud")
    assert f"U+{ord(char):04X}" in refused.value.messages[0]


@pytest.mark.parametrize("char", SPOOFING)
def test_multiline_text_refuses_them_too(char):
    with pytest.raises(ValidationError):
        validate_multiline_text(f"First line\nsecond{char} line")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\n", "\r", "\t", "\u2028", "\u2029"])
def test_names_refuse_control_characters_and_line_breaks(char):
    with pytest.raises(ValidationError):
        validate_plain_text(f"Acme{char}Cloud")


def test_multiline_text_keeps_newlines_and_tabs_but_refuses_other_controls():
    validate_multiline_text("Line one\r\nLine two\n\tindented")
    for char in ["\x00", "\x08", "\x1b", "\u2028"]:
        with pytest.raises(ValidationError):
            validate_multiline_text(f"Line{char}")


@pytest.mark.parametrize(
    "name",
    [
        "Acme Cloud Partners",
        "Müller & Söhne GmbH",
        "שלום בע״מ",
        "شركة الأفق",
        "株式会社サンプル",
        "O'Brien-Smith, Jr.",
        "👩‍💻 Studio",
    ],
)
def test_real_names_in_any_script_pass(name):
    validate_plain_text(name)


def test_the_message_names_the_character():
    with pytest.raises(ValidationError) as refused:
        validate_plain_text("Acme\u202eCloud")
    assert refused.value.messages == [
        "Remove the invisible character U+202E (right-to-left override): it can make text display as "
        "something else; a name is one line of visible text."
    ]


def test_text_validators_limit_the_length():
    validators = text_validators(10)
    for validator in validators:
        validator("x" * 10)
    with pytest.raises(ValidationError) as refused:
        for validator in validators:
            validator("x" * 11)
    assert "at most 10 characters" in refused.value.messages[0]


def test_check_text_names_the_field_in_a_rule_violation():
    assert check_text(field="reason", value="Fine.", limit=REASON_MAX) == "Fine."
    with pytest.raises(RuleViolation) as refused:
        check_text(field="reason", value="x" * (REASON_MAX + 1), limit=REASON_MAX)
    assert list(refused.value.message_dict) == ["reason"]
    with pytest.raises(RuleViolation) as refused:
        check_text(field="signer_name", value="Eve\u202e", limit=150, multiline=False)
    assert list(refused.value.message_dict) == ["signer_name"]


def test_short_date_reads_day_month_year():
    from datetime import date

    assert short_date(date(2026, 3, 3)) == "3 Mar 2026"
    assert short_date(None) == "—"

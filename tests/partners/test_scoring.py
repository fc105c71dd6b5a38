"""Fit scoring against the ideal partner profile: weights, must-haves and edge cases."""

import pytest
from django.core.exceptions import ValidationError

from partners.models import Application, FitCriterion
from partners.scoring import score_application

Kind = FitCriterion.Kind


def criterion(kind, weight=10, must_have=False, name=None, **params):
    return FitCriterion(name=name or kind, kind=kind, weight=weight, must_have=must_have, **params)


def application(**overrides):
    values = dict(
        company_name="Acme",
        website="https://acme.com",
        country="DE",
        partner_type="reseller",
        employees=50,
        annual_revenue="1M-10M",
        specializations=["cloud"],
        contact_name="A",
        contact_email="a@acme.com",
    )
    values.update(overrides)
    return Application(**values)


def test_every_met_criterion_earns_its_weight_and_the_score_is_the_share():
    criteria = [
        criterion(Kind.COUNTRY, 30, values=["DE", "AT"]),
        criterion(Kind.PARTNER_TYPE, 20, values=["msp"]),
        criterion(Kind.EMPLOYEES, 50, min_employees=10, max_employees=100),
    ]
    fit = score_application(application(), criteria)
    assert [(r["points"], r["max_points"], r["met"]) for r in fit.breakdown] == [
        (30, 30, True),
        (0, 20, False),
        (50, 50, True),
    ]
    assert fit.score == 80
    assert not fit.disqualified


def test_breakdown_names_every_criterion_with_a_reason():
    fit = score_application(application(country="FR"), [criterion(Kind.COUNTRY, name="Target regions", values=["DE"])])
    assert fit.breakdown == [
        {
            "criterion": "Target regions",
            "points": 0,
            "max_points": 10,
            "met": False,
            "must_have": False,
            "reason": "France is not in the target regions (DE)",
        }
    ]


def test_failed_must_have_disqualifies_with_its_reason_but_still_scores():
    criteria = [
        criterion(Kind.PARTNER_TYPE, 20, must_have=True, name="Partner types", values=["msp", "technology"]),
        criterion(Kind.COUNTRY, 20, values=["DE"]),
    ]
    fit = score_application(application(partner_type="referral"), criteria)
    assert fit.disqualified
    assert fit.disqualification_reason == (
        "Must-have not met: Partner types. Referral is not a wanted partner type (Managed service provider, "
        "Technology)."
    )
    assert fit.score == 50


def test_met_must_have_does_not_disqualify():
    fit = score_application(application(), [criterion(Kind.COUNTRY, must_have=True, values=["DE"])])
    assert (fit.disqualified, fit.score) == (False, 100)


@pytest.mark.parametrize(("employees", "met"), [(9, False), (10, True), (100, True), (101, False)])
def test_size_band_bounds_are_inclusive(employees, met):
    fit = score_application(
        application(employees=employees), [criterion(Kind.EMPLOYEES, min_employees=10, max_employees=100)]
    )
    assert fit.breakdown[0]["met"] is met


def test_size_band_open_above():
    fit = score_application(application(employees=90000), [criterion(Kind.EMPLOYEES, min_employees=10)])
    assert fit.breakdown[0]["met"]
    assert fit.breakdown[0]["reason"] == "90000 employees is within the band 10 or more"


@pytest.mark.parametrize(("band", "met"), [("<1M", False), ("1M-10M", True), ("10M-50M", True), (">250M", True)])
def test_revenue_is_at_least_the_band(band, met):
    fit = score_application(application(annual_revenue=band), [criterion(Kind.REVENUE, min_revenue="1M-10M")])
    assert fit.breakdown[0]["met"] is met


@pytest.mark.parametrize(
    ("specializations", "points", "met"),
    [
        ([], 0, False),
        (["Cloud"], 5, False),  # one of the two needed: half the points (10 * 1/2)
        (["cloud", " SECURITY "], 10, True),
        (["cloud", "security", "data"], 10, True),  # more than needed earns no more
        (["mobile"], 0, False),
    ],
)
def test_specializations_earn_in_proportion_to_the_overlap(specializations, points, met):
    crit = criterion(Kind.SPECIALIZATIONS, 10, values=["cloud", "security", "data"], min_matches=2)
    fit = score_application(application(specializations=specializations), [crit])
    assert (fit.breakdown[0]["points"], fit.breakdown[0]["met"]) == (points, met)


def test_proportional_points_round_half_up():
    crit = criterion(Kind.SPECIALIZATIONS, 5, values=["a", "b", "c", "d"], min_matches=2)
    fit = score_application(application(specializations=["a"]), [crit])
    assert fit.breakdown[0]["points"] == 3  # 2.5 rounds up


def test_score_rounds_half_up():
    criteria = [criterion(Kind.COUNTRY, 1, values=["DE"]), criterion(Kind.PARTNER_TYPE, 7, values=["msp"])]
    # 1 of 8 points = 12.5% -> 13
    assert score_application(application(), criteria).score == 13


def test_no_criteria_scores_zero_with_an_empty_breakdown():
    fit = score_application(application(), [])
    assert (fit.score, fit.breakdown, fit.disqualified) == (0, [], False)


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        (Kind.COUNTRY, {"values": ["XX"]}, "values"),
        (Kind.COUNTRY, {"values": []}, "values"),
        (Kind.PARTNER_TYPE, {"values": ["distributor"]}, "values"),
        (Kind.EMPLOYEES, {}, "min_employees"),
        (Kind.EMPLOYEES, {"min_employees": 50, "max_employees": 10}, "max_employees"),
        (Kind.REVENUE, {}, "min_revenue"),
        (Kind.SPECIALIZATIONS, {"values": ["  "]}, "values"),
        (Kind.COUNTRY, {"values": "DE"}, "values"),
    ],
)
def test_a_criterion_without_the_parameters_of_its_kind_is_refused(kind, params, field):
    with pytest.raises(ValidationError) as error:
        criterion(kind, **params).clean()
    assert field in error.value.message_dict


def test_criterion_values_are_normalized():
    crit = criterion(Kind.COUNTRY, values=[" de", "at "])
    crit.clean()
    assert crit.values == ["DE", "AT"]

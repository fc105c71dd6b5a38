"""Audiences: one rule read both ways. Every case of the matrix is checked against "who is in this
audience" (``audience_users``), "does this audience include this user" (``audience_q_for``, for each
person of the population) and the per-row subquery the announcement reach counts with
(``audience_users_of_row``), on each of the three models; then the one input reader
``audience_apply`` (and the three services that use it)."""

from datetime import datetime
from datetime import timezone as tz

import pytest
from django.db.models import Exists

from enablement import selectors, services
from enablement.admin import AnnouncementForm, NewsletterForm, SurveyForm
from enablement.models import Announcement, Newsletter, Survey
from enablement.selectors.audience import audience_q_for, audience_users, audience_users_of_row
from enablement.services import audience_apply
from partners.models import Partner, User
from prm.errors import RuleViolation

from ..factories import PartnerFactory, PartnerUserFactory, StaffUserFactory, TierFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=tz.utc)


@pytest.fixture
def people(db):
    """Who may or may not be in an audience, by name."""
    silver = TierFactory(name="Silver", rank=2)
    gold = TierFactory(name="Gold", rank=3)
    acme = PartnerFactory(tier=silver, partner_type="reseller", country="DE")
    globex = PartnerFactory(tier=gold, partner_type="msp", country="FR")
    untiered = PartnerFactory(tier=None, partner_type="reseller", country="AT")
    onboarding = PartnerFactory(tier=silver, status=Partner.Status.ONBOARDING)
    suspended = PartnerFactory(tier=silver, status=Partner.Status.SUSPENDED)
    people = {
        "acme_admin": PartnerUserFactory(partner=acme),
        "acme_rep": PartnerUserFactory(partner=acme, role="partner_rep"),
        "globex_admin": PartnerUserFactory(partner=globex),
        "untiered_admin": PartnerUserFactory(partner=untiered),
        "onboarding_admin": PartnerUserFactory(partner=onboarding),
        "suspended_admin": PartnerUserFactory(partner=suspended),
        "inactive": PartnerUserFactory(partner=acme, is_active=False),
        "no_email": PartnerUserFactory(partner=acme),
        "staff": StaffUserFactory(),
    }
    User.objects.filter(pk=people["no_email"].pk).update(email="")
    people["no_email"].refresh_from_db()
    return people


ACTIVE = {"acme_admin", "acme_rep", "globex_admin", "untiered_admin"}
MATRIX = [
    # (the audience as given to a service, who is in it)
    pytest.param({}, ACTIVE, id="default-active-partners"),
    pytest.param({"tiers": ["Gold"]}, {"globex_admin"}, id="tier"),
    pytest.param({"tiers": ["Silver", "Gold"]}, {"acme_admin", "acme_rep", "globex_admin"}, id="tiers-leave-untiered"),
    pytest.param({"partner_types": ["msp"]}, {"globex_admin"}, id="type"),
    pytest.param({"countries": ["DE"]}, {"acme_admin", "acme_rep"}, id="country"),
    pytest.param({"partner_statuses": ["onboarding"]}, {"onboarding_admin"}, id="status"),
    pytest.param({"partner_statuses": ["suspended"]}, {"suspended_admin"}, id="suspended-only-when-chosen"),
    pytest.param(
        {"partner_statuses": [], "partner_types": [], "countries": [], "tiers": []},
        ACTIVE | {"onboarding_admin", "suspended_admin"},
        id="empty-choices-mean-any",
    ),
    pytest.param({"recipients": "admins"}, {"acme_admin", "globex_admin", "untiered_admin"}, id="admins-only"),
    pytest.param(
        {
            "partner_types": "reseller",
            "countries": "DE, FR",
            "partner_statuses": "active,onboarding",
            "recipients": "admins",
        },
        {"acme_admin", "onboarding_admin"},
        id="combined",
    ),
]


def make(model, data):
    row = {
        Newsletter: lambda: Newsletter(subject="News", body_markdown="Hello"),
        Announcement: lambda: Announcement(title="Note", body_markdown="Hello", publish_at=NOW),
        Survey: lambda: Survey(title="Survey"),
    }[model]()
    tiers = audience_apply(target=row, data=data)
    row.save()
    if tiers is not None:
        row.tiers.set(tiers)
    return row


@pytest.mark.parametrize("model", [Newsletter, Announcement, Survey])
@pytest.mark.parametrize(("data", "expected"), MATRIX)
def test_the_audience_rule_reads_the_same_both_ways(people, model, data, expected):
    row = make(model, data)
    names = {user.pk: name for name, user in people.items()}
    # Who is in it.
    assert {names[pk] for pk in audience_users(row).values_list("pk", flat=True)} == expected
    # Which audiences include each user.
    assert {name for name, user in people.items() if model.objects.filter(audience_q_for(user, model), pk=row.pk)} == (
        expected
    )
    # Who is in it, per row in SQL (what the announcements' reach counts).
    in_row = {
        name
        for name, user in people.items()
        if model.objects.filter(pk=row.pk)
        .annotate(hit=Exists(audience_users_of_row(model).filter(pk=user.pk)))
        .filter(hit=True)
        .exists()
    }
    assert in_row == expected


@pytest.mark.parametrize(("data", "expected"), MATRIX)
def test_the_announcement_reach_counts_the_same_audience(people, data, expected):
    row = make(Announcement, data)
    assert selectors.announcement_reach(Announcement.objects.filter(pk=row.pk)).get().reach == len(expected)


# --- Reading the audience given to a service ------------------------------------------------------


def test_tiers_are_objects_ids_digits_or_names_in_any_case(people):
    silver, gold = (people["acme_admin"].partner.tier, people["globex_admin"].partner.tier)
    row = Newsletter()
    assert audience_apply(target=row, data={"tiers": [silver.pk]}) == [silver]
    assert audience_apply(target=row, data={"tiers": str(gold.pk)}) == [gold]
    assert audience_apply(target=row, data={"tiers": "gOLD"}) == [gold]
    assert {t.name for t in audience_apply(target=row, data={"tiers": [silver, f" {gold.pk} ", "silver"]})} == {
        "Silver",
        "Gold",
    }
    assert audience_apply(target=row, data={"tiers": None}) == []
    assert audience_apply(target=row, data={}) is None


def test_lists_are_lists_or_comma_strings_in_any_case():
    row = Newsletter()
    audience_apply(
        target=row,
        data={"partner_types": "MSP, reseller", "countries": ["fr", "DE"], "partner_statuses": "", "recipients": None},
    )
    assert (row.partner_types, row.countries, row.partner_statuses, row.recipients) == (
        ",msp,reseller,",
        ",DE,FR,",
        "",
        "all",
    )


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"tiers": ["Platinum", 999999]}, "tiers", "Platinum, 999999"),
        ({"tiers": True}, "tiers", "True"),
        ({"partner_types": ["distributor"]}, "partner_types", "distributor"),
        ({"partner_types": 5}, "partner_types", "list of partner types"),
        ({"countries": "DE,XX"}, "countries", "XX"),
        ({"countries": [1]}, "countries", "list of country codes"),
        ({"partner_statuses": ["asleep"]}, "partner_statuses", "asleep"),
        ({"recipients": "everyone"}, "recipients", "admins"),
    ],
)
def test_a_bad_audience_is_refused_naming_its_field(people, data, field, words):
    row = Newsletter(partner_types=",msp,")
    with pytest.raises(RuleViolation) as refused:
        audience_apply(target=row, data={**data, "partner_types": data.get("partner_types", "reseller")})
    assert set(refused.value.message_dict) == {field}
    assert words in " ".join(refused.value.message_dict[field])
    assert row.partner_types == ",msp,"  # nothing written


def test_every_bad_field_is_named_at_once(people):
    bad = {"tiers": "nope", "partner_types": "x", "countries": "XX", "partner_statuses": "y", "recipients": "z"}
    with pytest.raises(RuleViolation) as refused:
        audience_apply(target=Survey(), data=bad)
    assert set(refused.value.message_dict) == set(bad)


@pytest.mark.parametrize("model", [Newsletter, Announcement, Survey])
def test_each_service_reads_the_audience_the_same_way(people, manager, model):
    gold = people["globex_admin"].partner.tier
    save = {
        Newsletter: lambda data: services.newsletter_save(
            by=manager, data={"subject": "S", "body_markdown": "B", **data}
        ),
        Announcement: lambda data: services.announcement_save(
            by=manager, data={"title": "T", "body_markdown": "B", **data}
        ),
        Survey: lambda data: services.survey_save(by=manager, data={"title": "T", **data}),
    }[model]
    row = save({"tiers": [str(gold.pk)], "countries": "fr", "recipients": "admins"})  # "3" from the API
    assert list(row.tiers.all()) == [gold] and row.countries == ",FR," and row.recipients == "admins"
    assert list(audience_users(row)) == [people["globex_admin"]]
    with pytest.raises(RuleViolation) as refused:
        save({"tiers": ["Platinum"], "partner_statuses": "asleep"})
    assert {"tiers", "partner_statuses"} <= set(refused.value.message_dict)
    assert model.objects.count() == 1  # nothing written


@pytest.mark.parametrize("form_class", [NewsletterForm, AnnouncementForm, SurveyForm])
def test_the_admin_form_gives_the_services_their_audience(people, form_class):
    gold = people["globex_admin"].partner.tier
    base = {
        NewsletterForm: {"subject": "S", "body_markdown": "B"},
        AnnouncementForm: {"title": "T", "body_markdown": "B", "publish_at": "2026-03-02 09:00"},
        SurveyForm: {"title": "T", "nps_question": "How likely?"},
    }[form_class]
    form = form_class(
        data={
            **base,
            "tiers": [gold.pk],
            "audience_types": ["msp"],
            "audience_countries": ["FR", "DE"],
            "recipients": "admins",
        }
    )
    assert form.is_valid(), form.errors
    assert form.audience_data() == {
        "tiers": [gold],
        "partner_types": ["msp"],
        "countries": ["FR", "DE"],
        "partner_statuses": [],
        "recipients": "admins",
    }

"""The public partner locator: only active partners that opted in are shown (list, page, logo),
search and filters, pagination at a constant number of queries, and no private data."""

import pytest
from django.urls import reverse

from marketing.models import LocatorProfile
from partners.models import Partner

from ..factories import PartnerFactory, TierFactory
from .locator_helpers import png_bytes, profile_of

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:
    return [profile.partner.name for profile in response.context["page"].object_list]


def test_only_active_partners_that_opted_in_are_listed(client):
    shown = profile_of(PartnerFactory(name="Shown Ltd"))
    profile_of(PartnerFactory(name="Hidden Ltd"), listed=False)
    profile_of(PartnerFactory(name="Suspended Ltd", status=Partner.Status.SUSPENDED))
    profile_of(PartnerFactory(name="Onboarding Ltd", status=Partner.Status.ONBOARDING))
    PartnerFactory(name="No Profile Ltd")

    response = client.get(reverse("locator_public:list"))

    assert response.status_code == 200
    assert _names(response) == ["Shown Ltd"]
    body = response.content.decode()
    assert "Hidden Ltd" not in body and "Suspended Ltd" not in body and "No Profile Ltd" not in body
    assert reverse("locator_public:detail", args=[shown.slug]) in body


@pytest.mark.parametrize(
    "partner_fields, listed",
    [
        ({"name": "Hidden Ltd"}, False),
        ({"name": "Suspended Ltd", "status": Partner.Status.SUSPENDED}, True),
        ({"name": "Onboarding Ltd", "status": Partner.Status.ONBOARDING}, True),
        ({"name": "Terminated Ltd", "status": Partner.Status.TERMINATED}, True),
    ],
)
def test_pages_and_logos_of_partners_not_shown_are_not_found(client, partner_fields, listed):
    profile = profile_of(PartnerFactory(**partner_fields), listed=listed, logo=True)
    for name in ("detail", "contact", "thanks", "logo"):
        assert client.get(reverse(f"locator_public:{name}", args=[profile.slug])).status_code == 404, name
    assert client.post(reverse("locator_public:contact", args=[profile.slug]), {"company": "X"}).status_code == 404


def test_an_unknown_partner_is_not_found(client):
    assert client.get(reverse("locator_public:detail", args=["nobody"])).status_code == 404
    assert client.get(reverse("locator_public:logo", args=["nobody"])).status_code == 404


def test_the_logo_is_served_as_an_image_with_nosniff_and_caching(client):
    profile = profile_of(PartnerFactory(name="Logo Ltd"), logo=True)
    response = client.get(reverse("locator_public:logo", args=[profile.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "max-age" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == png_bytes()


def test_a_listed_partner_without_logo_has_no_logo_url(client):
    profile = profile_of(PartnerFactory(name="Plain Ltd"))
    assert client.get(reverse("locator_public:logo", args=[profile.slug])).status_code == 404
    body = client.get(reverse("locator_public:detail", args=[profile.slug])).content.decode()
    assert "/logo" not in body


@pytest.fixture
def catalogue():
    gold, silver = TierFactory(name="Gold", rank=3), TierFactory(name="Silver", rank=2)
    profile_of(
        PartnerFactory(
            name="Alpha Security", country="DE", partner_type="reseller", tier=gold, specializations=["security"]
        ),
        summary="Firewalls for banks.",
    )
    profile_of(
        PartnerFactory(name="Beta Cloud", country="FR", partner_type="msp", tier=silver, specializations=["cloud"]),
        summary="Managed cloud.",
        regions=["BE", "DE"],
    )
    profile_of(
        PartnerFactory(
            name="Gamma Data", country="US", partner_type="technology", tier=silver, specializations=["data"]
        ),
        summary="Dashboards.",
        description="We also do cloud migrations.",
    )


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ["Alpha Security", "Beta Cloud", "Gamma Data"]),  # higher tier first, then by name
        ({"q": "alpha"}, ["Alpha Security"]),  # name
        ({"q": "banks"}, ["Alpha Security"]),  # summary
        ({"q": "migrations"}, ["Gamma Data"]),  # description
        ({"q": "cloud"}, ["Beta Cloud", "Gamma Data"]),  # name, description
        ({"q": "security"}, ["Alpha Security"]),
        ({"q": "data"}, ["Gamma Data"]),  # specialization and name
        ({"country": "DE"}, ["Alpha Security", "Beta Cloud"]),  # its own country, or one it serves
        ({"country": "be"}, ["Beta Cloud"]),
        ({"country": "US"}, ["Gamma Data"]),
        ({"partner_type": "msp"}, ["Beta Cloud"]),
        ({"specialization": "security"}, ["Alpha Security"]),
        ({"specialization": "Cloud"}, ["Beta Cloud"]),
        ({"tier": "Silver"}, ["Beta Cloud", "Gamma Data"]),
        ({"tier": "silver"}, ["Beta Cloud", "Gamma Data"]),  # the option's value
        ({"tier": "GOLD"}, ["Alpha Security"]),  # any case
        ({"tier": "Gold", "country": "DE"}, ["Alpha Security"]),
        ({"tier": "Gold", "country": "FR"}, []),
    ],
)
def test_search_and_each_filter(client, catalogue, params, expected):
    response = client.get(reverse("locator_public:list"), params)
    assert response.status_code == 200
    assert _names(response) == expected


def test_the_filters_offer_what_the_listed_partners_have(client, catalogue):
    profile_of(PartnerFactory(name="Hidden", country="JP", specializations=["quantum"]), listed=False)
    options = client.get(reverse("locator_public:list")).context["options"]
    assert {code for code, _ in options["countries"]} == {"DE", "FR", "US", "BE"}
    assert options["specializations"] == ["cloud", "data", "security"]
    assert options["tiers"] == [("gold", "Gold"), ("silver", "Silver")]
    body = client.get(reverse("locator_public:list"), {"tier": "gold"}).content.decode()
    assert '<option value="gold" selected>Gold</option>' in body


@pytest.mark.parametrize(
    "params", [{"tier": "unobtainium"}, {"country": "XQ"}, {"specialization": "quantum"}, {"partner_type": "wizard"}]
)
def test_a_filter_value_the_lists_do_not_offer_is_left_out_not_echoed(client, catalogue, params):
    response = client.get(reverse("locator_public:list"), params)
    assert _names(response) == ["Alpha Security", "Beta Cloud", "Gamma Data"]
    body = response.content.decode()
    value = next(iter(params.values()))
    assert "No partner matches" not in body and value not in body and value.capitalize() not in body


def test_an_empty_result_says_what_matched_nothing_and_how_to_clear(client, catalogue):
    response = client.get(reverse("locator_public:list"), {"q": "zebra", "country": "FR"})
    body = response.content.decode()
    assert "No partner matches “zebra”, serving France." in body
    assert "0 partners" not in body and body.count("“zebra”, serving France") == 2  # the title and one sentence
    assert 'href="/partners/">clear the filters' in body


def test_the_list_is_paginated_and_keeps_the_filters(client):
    for n in range(15):
        profile_of(PartnerFactory(name=f"Partner {n:02d}", specializations=["cloud"]))
    first = client.get(reverse("locator_public:list"), {"specialization": "cloud"})
    assert len(_names(first)) == 12
    assert "specialization=cloud&amp;page=2" in first.content.decode()
    second = client.get(reverse("locator_public:list"), {"specialization": "cloud", "page": 2})
    assert _names(second) == [f"Partner {n:02d}" for n in range(12, 15)]


def _listed(count: int, start: int = 0) -> None:
    gold = TierFactory(name="Gold", rank=3)
    for n in range(start, start + count):
        profile_of(
            PartnerFactory(name=f"Listed {n:03d}", tier=gold, specializations=["cloud", f"s{n}"]),
            regions=["FR"],
            logo=n % 2 == 0,
        )


@pytest.mark.parametrize("params", [{}, {"q": "listed", "country": "FR", "tier": "Gold"}])
def test_the_list_takes_the_same_queries_at_two_sizes(client, django_assert_num_queries, params):
    _listed(3)
    url = reverse("locator_public:list")
    client.get(url, params)  # warm up the session and the caches of content types
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url, params).status_code == 200
    _listed(20, start=3)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url, params)
    assert len(_names(response)) == 12


def test_the_detail_page_takes_the_same_queries_at_two_sizes(client, django_assert_num_queries):
    profile = profile_of(PartnerFactory(name="Detail Ltd"), regions=["FR"])
    url = reverse("locator_public:detail", args=[profile.slug])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    LocatorProfile.objects.filter(pk=profile.pk).update(regions=["FR", "BE", "NL", "IT", "ES"])
    _listed(10)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)


def test_public_pages_never_show_private_data(client, partner, partner_admin):
    Partner.objects.filter(pk=partner.pk).update(
        phone="+1 555 0100",
        address_line="1 Secret Street",
        postal_code="94105",
        city="San Francisco",
        legal_name="Acme Holdings Private LLC",
        description="Internal: our margin is 31%.",
    )
    partner.refresh_from_db()
    profile = profile_of(partner, summary="Cloud for you.", description="What we do.")
    for url in (reverse("locator_public:list"), reverse("locator_public:detail", args=[profile.slug])):
        body = client.get(url).content.decode()
        assert partner.name in body
        for private in ("+1 555 0100", "1 Secret Street", "94105", "Acme Holdings Private LLC", "margin", "@"):
            assert private not in body, (url, private)
    detail = client.get(reverse("locator_public:detail", args=[profile.slug])).content.decode()
    assert "San Francisco" in detail  # the city is public, the street is not


def test_pages_have_a_title_and_a_description(client, partner):
    profile = profile_of(partner, summary="Cloud migrations for mid-sized firms.")
    listing = client.get(reverse("locator_public:list")).content.decode()
    assert "<title>Find a partner · PRM</title>" in listing
    assert '<meta name="description"' in listing
    detail = client.get(reverse("locator_public:detail", args=[profile.slug])).content.decode()
    assert f"<title>{partner.name}: partner · PRM</title>" in detail
    assert '<meta name="description" content="Cloud migrations for mid-sized firms.">' in detail


def test_a_partner_user_sees_the_public_locator_too(client, partner_admin, rival):
    profile_of(rival)
    client.force_login(partner_admin)
    assert _names(client.get(reverse("locator_public:list"))) == [rival.name]

"""The content library: who sees what, upload checks, downloads served safely and counted."""

import io
import os
import zipfile

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enablement import services
from enablement.models import ContentAsset, ContentDownload
from prm.errors import RuleViolation

from ..factories import PartnerFactory, PartnerUserFactory
from .conftest import PDF, PNG, docx_bytes, upload

pytestmark = pytest.mark.django_db


def add_asset(manager, title="Brochure", *, kind="file", file=None, url="", **data):
    data = {"title": title, "category": "sales", "kind": kind, "url": url, **data}
    return services.content_asset_save(by=manager, data=data, upload=file if kind == "file" else None)


@pytest.fixture
def library(manager, tiers):
    """Assets for everyone, for Gold and above, for MSPs only, and one not published yet."""
    return {
        "everyone": add_asset(
            manager, "Cloud Suite brochure", file=upload("brochure.pdf", PDF), tags=["cloud", "overview"]
        ),
        "gold": add_asset(
            manager, "Gold price list", file=upload("prices.pdf", PDF), category="pricing", min_tier=tiers["Gold"]
        ),
        "msp": add_asset(
            manager,
            "MSP playbook",
            kind="link",
            url="https://docs.example.com/msp",
            category="technical",
            partner_types=["msp"],
        ),
        "draft": add_asset(manager, "Next year's deck", file=upload("deck.pdf", PDF), published=False),
    }


def visible_titles(api, user):
    api.force_authenticate(user)
    response = api.get("/api/v1/content/")
    assert response.status_code == 200
    return {row["title"] for row in response.json()["results"]}


def test_a_partner_sees_what_its_tier_and_type_may_see(api, library, tiers, manager):
    silver_reseller = PartnerUserFactory(partner=PartnerFactory(tier=tiers["Silver"], partner_type="reseller"))
    gold_reseller = PartnerUserFactory(partner=PartnerFactory(tier=tiers["Gold"], partner_type="reseller"))
    platinum_msp = PartnerUserFactory(partner=PartnerFactory(tier=tiers["Platinum"], partner_type="msp"))
    untiered_msp = PartnerUserFactory(partner=PartnerFactory(tier=None, partner_type="msp"))

    assert visible_titles(api, silver_reseller) == {"Cloud Suite brochure"}
    assert visible_titles(api, gold_reseller) == {"Cloud Suite brochure", "Gold price list"}
    assert visible_titles(api, platinum_msp) == {"Cloud Suite brochure", "Gold price list", "MSP playbook"}
    assert visible_titles(api, untiered_msp) == {"Cloud Suite brochure", "MSP playbook"}
    # Staff see everything, drafts included.
    assert visible_titles(api, manager) == {
        "Cloud Suite brochure",
        "Gold price list",
        "MSP playbook",
        "Next year's deck",
    }


def test_an_asset_the_partner_may_not_see_is_404_everywhere(api, client, library, partner_admin):
    api.force_authenticate(partner_admin)  # Silver reseller
    client.force_login(partner_admin)
    for asset in (library["gold"], library["msp"], library["draft"]):
        assert api.get(f"/api/v1/content/{asset.pk}/").status_code == 404
        assert api.get(f"/api/v1/content/{asset.pk}/download/").status_code == 404
        assert client.get(f"/portal/content/{asset.pk}/download/").status_code == 404
    assert not ContentDownload.objects.exists()


def test_the_api_lists_the_contract_fields(api, library, partner_admin):
    api.force_authenticate(partner_admin)
    row = api.get("/api/v1/content/").json()["results"][0]
    assert {"id", "title", "kind", "category", "tags", "download_url"} <= set(row)
    assert row["download_url"].endswith(f"/api/v1/content/{row['id']}/download/")
    assert row["tags"] == ["cloud", "overview"]


def test_a_download_is_an_attachment_never_sniffed_and_counted(client, api, library, partner_admin, rep):
    asset = library["everyone"]
    client.force_login(rep)
    response = client.get(f"/portal/content/{asset.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="brochure.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF
    api.force_authenticate(partner_admin)
    assert api.get(f"/api/v1/content/{asset.pk}/download/").status_code == 200
    counted = list(ContentDownload.objects.values_list("asset_id", "partner_id", "user_id", "version").order_by("id"))
    assert counted == [(asset.pk, rep.partner_id, rep.pk, 1), (asset.pk, partner_admin.partner_id, partner_admin.pk, 1)]


def test_a_link_asset_sends_the_browser_on_and_counts(client, library, tiers, manager):
    msp = PartnerUserFactory(partner=PartnerFactory(tier=tiers["Silver"], partner_type="msp"))
    client.force_login(msp)
    response = client.get(f"/portal/content/{library['msp'].pk}/download/")
    assert response.status_code == 302 and response["Location"] == "https://docs.example.com/msp"
    assert ContentDownload.objects.filter(asset=library["msp"], user=msp).count() == 1


def test_a_new_version_keeps_the_download_history(client, library, manager, rep):
    asset = library["everyone"]
    client.force_login(rep)
    client.get(f"/portal/content/{asset.pk}/download/")
    services.content_asset_save(
        by=manager, asset=asset, data={"title": asset.title}, upload=upload("brochure-2027.pdf", PDF + b"v2")
    )
    asset.refresh_from_db()
    assert asset.version == 2 and asset.original_filename == "brochure-2027.pdf"
    client.get(f"/portal/content/{asset.pk}/download/")
    assert list(ContentDownload.objects.filter(asset=asset).values_list("version", flat=True).order_by("id")) == [1, 2]
    # Changing only the words is not a new version.
    services.content_asset_save(by=manager, asset=asset, data={"title": "Cloud Suite brochure 2027"})
    asset.refresh_from_db()
    assert asset.version == 2 and asset.file.name


def test_an_html_file_disguised_as_a_pdf_is_refused(manager):
    with pytest.raises(RuleViolation) as refused:
        add_asset(manager, file=upload("datasheet.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>"))
    assert "not a PDF" in refused.value.message_dict["file"][0]
    assert not ContentAsset.objects.exists()


@pytest.mark.parametrize("name", ["page.html", "logo.svg", "run.exe", "noextension"])
def test_files_of_other_types_are_refused(manager, name):
    with pytest.raises(RuleViolation) as refused:
        add_asset(manager, file=upload(name, b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"))
    assert "not accepted" in refused.value.message_dict["file"][0]


def test_a_zip_without_office_parts_is_not_a_word_document(manager):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<script>alert(1)</script>")
    with pytest.raises(RuleViolation, match="not a Word document"):
        add_asset(manager, file=upload("offer.docx", buffer.getvalue()))


def test_an_over_size_file_is_refused(manager, settings):
    settings.PRM_CONTENT_MAX_UPLOAD_MB = 1
    with pytest.raises(RuleViolation) as refused:
        add_asset(manager, file=upload("big.pdf", PDF + b"0" * (1024 * 1024)))
    assert "the limit is 1 MB" in refused.value.message_dict["file"][0]
    assert not ContentAsset.objects.exists()


def test_a_path_traversal_name_stays_a_plain_name_inside_private_storage(manager):
    asset = add_asset(manager, file=upload("../../../../etc/cron.d/evil.pdf", PDF))
    assert asset.original_filename == "evil.pdf"
    path = os.path.realpath(asset.file.path)
    assert path.startswith(os.path.realpath(settings.PRIVATE_MEDIA_ROOT) + os.sep)
    assert "evil" not in os.path.basename(path) and ".." not in asset.file.name
    windows = add_asset(manager, "Other", file=upload("..\\..\\windows\\..pdf", PDF))
    assert ".." not in windows.original_filename and "\\" not in windows.original_filename


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("deck.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("logo.PNG", PNG, "image/png"),
        ("legacy.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32, "application/msword"),
        ("demo.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16, "video/mp4"),
        ("kit.zip", docx_bytes(), "application/zip"),
    ],
)
def test_allowed_files_are_stored_with_their_real_type(manager, name, content, content_type):
    asset = add_asset(manager, file=upload(name, content))
    assert asset.content_type == content_type and asset.size == len(content)


def test_links_must_be_web_links(manager):
    with pytest.raises(RuleViolation) as refused:
        add_asset(manager, kind="link", url="javascript:alert(1)")
    assert "url" in refused.value.message_dict


def test_only_managers_curate(partner_admin, finance):
    for user in (partner_admin, finance):
        with pytest.raises(PermissionDenied):
            add_asset(user, file=upload("a.pdf", PDF))


def test_portal_search_and_filters(client, library, partner_admin, manager):
    add_asset(
        manager,
        "Security add-on one-pager",
        file=upload("sec.pdf", PDF),
        category="marketing",
        language="de",
        description="Why buyers add security.",
    )
    client.force_login(partner_admin)
    page = client.get("/portal/content/", {"search": "cloud"}).content.decode()
    assert "Cloud Suite brochure" in page and "Security add-on" not in page
    page = client.get("/portal/content/", {"language": "de"}).content.decode()
    assert "Security add-on one-pager" in page and "Cloud Suite brochure" not in page
    page = client.get("/portal/content/", {"category": "pricing"}).content.decode()
    assert "Nothing matches" in page


def test_portal_content_empty_state(client, partner_admin):
    client.force_login(partner_admin)
    assert "No content yet" in client.get("/portal/content/").content.decode()


def test_content_lists_take_a_constant_number_of_queries(
    api, client, manager, partner_admin, django_assert_max_num_queries
):
    def fill(n):
        for i in range(n):
            add_asset(
                manager,
                f"Asset {ContentAsset.objects.count()} {i}",
                kind="link",
                url=f"https://example.com/{i}",
                tags=["x"],
            )

    api.force_authenticate(partner_admin)
    client.force_login(partner_admin)
    counts = []
    for n in (2, 12):
        fill(n)
        with CaptureQueriesContext(connection) as api_queries:
            assert api.get("/api/v1/content/").status_code == 200
        with CaptureQueriesContext(connection) as page_queries:
            assert client.get("/portal/content/").status_code == 200
        counts.append((len(api_queries), len(page_queries)))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(8):
        client.get("/portal/content/")


def test_free_text_is_bounded_and_named(manager, settings):
    # full_clean's plain ValidationError is a RuleViolation to the kernel (400 naming the field).
    with pytest.raises(ValidationError) as refused:
        add_asset(manager, file=upload("a.pdf", PDF), description="x" * 2001)
    assert "description" in refused.value.message_dict
    assert not any(settings.PRIVATE_MEDIA_ROOT.rglob("*.pdf"))  # the refused upload is not kept
    with pytest.raises(ValidationError) as refused:
        add_asset(manager, "t" * 201, kind="link", url="https://example.com/")
    assert "title" in refused.value.message_dict
    assert not ContentAsset.objects.exists()


def test_a_title_that_would_display_as_another_is_refused(manager):
    with pytest.raises(ValidationError) as refused:  # the model's validation: a RuleViolation to every surface
        add_asset(manager, title="Price list\u202egpj.exe", kind="link", url="https://example.com/list")
    assert "title" in refused.value.message_dict
    assert not ContentAsset.objects.exists()

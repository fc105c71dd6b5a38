"""Demo locator (issue 13): ten active partners listed on the public partner locator with their
summaries, descriptions, countries served and logos (coloured squares with initials drawn with
Pillow), one active partner that prepared a profile but did not opt in, and an onboarding partner's
draft. Profiles were last edited by each partner's admin a few weeks ago."""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from partners.models import Partner, User
from prm.demo_story import moment
from prm.roles import Role

from ..models import LocatorProfile
from ..services.locator import locator_profile_save

# name -> (listed, summary, description, countries served besides its own, logo colour, days ago)
PROFILES = {
    "Acme Cloud Partners": (
        True,
        "Cloud migration and security for mid-sized US companies, from assessment to 24/7 support.",
        "Acme Cloud Partners has moved more than 200 companies to the cloud since 2015.\n\n"
        "We assess your estate, plan the move, migrate with no downtime and keep watch afterwards. "
        "Our security team hardens every tenant we run.",
        ["CA", "MX"],
        (31, 94, 168),
        24,
    ),
    "Globex Solutions": (
        True,
        "Managed cloud services for German industry, operated from our Berlin data centre.",
        "Globex runs the cloud platforms of 80 manufacturers in the DACH region: monitoring, "
        "patching, backups and a service desk in German and English.",
        ["AT", "CH"],
        (0, 121, 107),
        30,
    ),
    "Soylent Networks": (
        True,
        "Cloud and security reseller for UK retailers: licences, rollout and training.",
        "We help retailers across the UK buy the right licences, roll them out to their stores and "
        "train their staff. Security reviews are part of every project.",
        ["IE"],
        (142, 36, 170),
        19,
    ),
    "Litware Systems": (
        True,
        "Data platforms and security analytics built on our products, for US enterprises.",
        "Litware builds connectors and dashboards that bring security events and business data "
        "together. We partner with reseller teams for larger rollouts.",
        [],
        (198, 40, 40),
        45,
    ),
    "Relecloud Services": (
        True,
        "Managed services and cloud operations for the Benelux, in Dutch, French and English.",
        "Relecloud operates cloud workloads for public-sector and healthcare customers in the "
        "Netherlands and Belgium, with a certified operations team in Utrecht.",
        ["BE", "LU"],
        (2, 119, 189),
        12,
    ),
    "VanArsdel IT": (
        True,
        "Cloud reseller for French SMEs, with local support in Lyon and Paris.",
        "VanArsdel IT advises small and medium businesses in France on cloud subscriptions and "
        "sets them up: accounts, mail, file sharing and devices.",
        ["BE", "CH"],
        (230, 81, 0),
        38,
    ),
    "Woodgrove Consulting": (
        True,
        "Managed security services for Austrian banks and insurers.",
        "Woodgrove Consulting runs security operations for regulated companies: monitoring, "
        "incident response and audits, with staff vetted for the financial sector.",
        ["DE", "HU", "SI"],
        (55, 71, 79),
        27,
    ),
    "Alpine Cloud Services": (
        True,
        "Swiss-hosted managed cloud for firms that must keep their data in Switzerland.",
        "Alpine Cloud Services operates two data centres near Zurich and offers managed cloud "
        "with Swiss data residency, for law firms, wealth managers and clinics.",
        ["LI"],
        (183, 28, 28),
        16,
    ),
    "Coho Data": (
        True,
        "Data integration and analytics on our platform, for German and Nordic companies.",
        "Coho Data connects ERP, CRM and shop data to our analytics platform and builds the "
        "reports that management reads every Monday.",
        ["DK", "SE", "NO"],
        (46, 125, 50),
        41,
    ),
    "Blue Yonder Integrators": (
        True,
        "Cloud, security and data projects for retailers on the US West Coast.",
        "Blue Yonder Integrators plans and delivers cloud, security and data projects for retail "
        "and logistics companies, from Seattle to San Diego.",
        ["CA"],
        (21, 101, 192),
        9,
    ),
    # Prepared but not shown: it has not opted in.
    "Trey Research": (
        False,
        "Research-grade data tooling for Canadian universities.",
        "Trey Research is preparing its locator profile.",
        ["US"],
        (93, 64, 55),
        6,
    ),
}


def _initials(name: str) -> str:
    words = [word for word in name.split() if word[:1].isalpha()]
    return "".join(word[0] for word in words[:2]).upper() or "?"


def _logo(name: str, colour: tuple[int, int, int]) -> SimpleUploadedFile:
    """A 128 px square of the partner's colour with its initials in white, as a PNG."""
    image = Image.new("RGB", (128, 128), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=56)
    draw.text((64, 64), _initials(name), fill=(255, 255, 255), font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return SimpleUploadedFile(f"{name.lower().replace(' ', '-')}-logo.png", buffer.getvalue(), "image/png")


def seed(stdout=None) -> None:
    if LocatorProfile.objects.exclude(summary="").exists():
        if stdout:
            stdout.write("marketing (locator): already loaded")
        return
    now = timezone.now()
    listed = 0
    for name, (shown, summary, description, regions, colour, days) in PROFILES.items():
        partner = Partner.objects.filter(name=name).first()
        admin_user = User.objects.filter(partner=partner, role=Role.PARTNER_ADMIN, is_active=True).first()
        if partner is None or admin_user is None or (shown and partner.status != Partner.Status.ACTIVE):
            continue
        profile = locator_profile_save(
            partner=partner,
            by=admin_user,
            data={"listed": shown, "summary": summary, "description": description, "regions": regions},
            logo=_logo(name, colour),
        )
        at = moment(timezone.localdate(now) - timedelta(days=days), 11, now=now)
        LocatorProfile.objects.filter(pk=profile.pk).update(updated_at=at)
        profile.history.all().update(history_date=at)
        listed += shown
    if stdout:
        stdout.write(f"marketing (locator): {listed} partners listed on the partner locator, one active partner not")

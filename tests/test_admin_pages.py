"""What each staff role may do in the admin, written down once (MATRIX) and checked three ways:
the apps declare exactly these permissions (AppConfig.role_permissions), the demo accounts hold
exactly them, and every admin page answers accordingly on the demo data (list, add, an object's
page, its history and its delete page; the index lists exactly the models the role may see).

Adding or removing a permission in an app without changing MATRIX fails here, and so does a
page that opens (or refuses) against it."""

import pytest
from django.contrib import admin

from partners.models import User
from prm.roles import declared_role_permissions
from prm.scoping import scopes_disabled

pytestmark = pytest.mark.django_db

# role -> model -> what the role may do: v(iew), a(dd), c(hange), d(elete). Models not named: nothing.
# Inline-only models (rules, conflict matches, tier history) are here too: their permissions are declared.
MATRIX = {
    "manager": {
        "partners.tier": "vac",
        "partners.partner": "vac",
        "partners.user": "v",
        "partners.invitation": "va",
        "partners.application": "vc",
        "partners.fitcriterion": "vacd",
        "partners.onboardingtasktemplate": "vacd",
        "partners.onboardingtask": "vc",
        "partners.agreement": "vac",
        "partners.agreementsignature": "v",
        "partners.tierchange": "v",
        "deals.dealregistration": "vc",
        "deals.conflictmatch": "v",
        "deals.extensionrequest": "vc",
        "incentives.commissionplan": "vac",
        "incentives.commissionrule": "vacd",
        "conflicts.case": "vc",
        "conflicts.caseparticipant": "v",
        "conflicts.contestedregistration": "v",
        "conflicts.casemessage": "va",
        "conflicts.evidencerequest": "va",
        "conflicts.evidenceanswer": "v",
        "conflicts.caseattachment": "v",
        "conflicts.caseoutcome": "va",
        "enablement.contentasset": "vacd",
        "enablement.course": "vacd",
        "enablement.lesson": "vacd",
        "enablement.question": "vacd",
        "enablement.choice": "vacd",
        "enablement.learningpath": "vacd",
        "enablement.pathstep": "vacd",
        "enablement.contentdownload": "v",
        "enablement.quizattempt": "v",
        "enablement.certification": "v",
        "enablement.newsletter": "vacd",
        "enablement.newsletterdelivery": "v",
        "enablement.newsletteroptout": "v",
        "enablement.announcement": "vacd",
        # Surveys (partner feedback)
        "enablement.survey": "vacd",
        "enablement.surveyquestion": "vacd",
        "enablement.surveyresponse": "v",
        "enablement.surveyanswer": "v",
        # Performance (issue 12): targets, program costs, tier reviews, QBRs and QBR packs
        "performance.target": "vacd",
        "performance.programcost": "vacd",
        "performance.tierreview": "vc",
        "performance.quarterlyreview": "vac",
        "performance.qbrpack": "va",
        # Channel marketing (issue 13): funds, leads and routing rules, locator profiles
        "marketing.fundtierrule": "vacd",
        "marketing.fundallocation": "vac",
        "marketing.fundrequest": "vc",
        "marketing.fundclaim": "v",
        "marketing.claimproof": "v",
        "marketing.routingrule": "vacd",
        "marketing.lead": "vac",
        "marketing.leadoffer": "v",
        "marketing.locatorprofile": "vc",
    },
    "finance": {
        "partners.tier": "v",
        "partners.partner": "v",
        "partners.payoutdetails": "vc",
        "partners.agreementsignature": "v",
        "deals.dealregistration": "v",
        "incentives.commissionplan": "v",
        "incentives.commissionrule": "v",
        "incentives.commissionline": "va",
        "incentives.exchangerate": "vacd",
        "incentives.payoutrun": "vac",
        "incentives.payoutstatement": "v",
        "conflicts.case": "v",
        "conflicts.caseoutcome": "v",
        "performance.programcost": "vac",
        "marketing.fundallocation": "v",
        "marketing.fundrequest": "v",
        "marketing.fundclaim": "vc",
        "marketing.claimproof": "v",
    },
}
ACTIONS = {"v": "view", "a": "add", "c": "change", "d": "delete"}

# What a model's admin refuses to everyone, superusers included, whatever the permissions say.
NEVER_ADDED_IN_THE_ADMIN = {  # they come from the portal, the API, services or workers
    "partners.application",
    "partners.onboardingtask",
    "partners.agreementsignature",
    "partners.payoutdetails",
    "deals.dealregistration",
    "deals.extensionrequest",
    "incentives.payoutstatement",
    "conflicts.case",
    "enablement.quizattempt",
    "enablement.certification",
    "enablement.contentdownload",
    "enablement.surveyresponse",
    "enablement.newsletterdelivery",
    "enablement.newsletteroptout",
    "performance.tierreview",  # the evaluation proposes them
    "marketing.locatorprofile",  # locator: each partner's own, made on its first visit to the portal page
    "marketing.leadoffer",  # marketing: leads — the routing and the managers' actions make offers
    # Market development funds: partners request and claim in the portal or the API
    "marketing.fundrequest",
    "marketing.fundclaim",
    "marketing.claimproof",
}
NEVER_EDITED = {  # their page is read-only: history, evidence or money
    "partners.invitation",
    "partners.agreementsignature",
    "deals.dealregistration",
    "incentives.commissionline",
    "incentives.payoutrun",
    "incentives.payoutstatement",
    "conflicts.case",
    "enablement.quizattempt",
    "enablement.certification",
    "enablement.contentdownload",
    "enablement.surveyresponse",
    # Newsletters (issue 10): the demo's first one is sent, so its page is read-only and it is kept;
    # deliveries and opt-outs are written by the sending engine and by unsubscribing only.
    "enablement.newsletter",
    "enablement.newsletterdelivery",
    "enablement.newsletteroptout",
    "performance.tierreview",  # applied or dismissed by its buttons, never edited
    # marketing: leads — a lead changes through the routing and its actions; offers are its record
    "marketing.lead",
    "marketing.leadoffer",
    # Market development funds: money; decided by their actions (requests, claims), never edited
    "marketing.fundallocation",
    "marketing.fundrequest",
    "marketing.fundclaim",
    "marketing.claimproof",
}
NEVER_DELETED = {  # the demo agreement is published, and published texts are kept
    "partners.agreement",
    "partners.agreementsignature",
    "incentives.commissionline",
    "incentives.payoutrun",
    "incentives.payoutstatement",
    "conflicts.case",
    "enablement.quizattempt",
    "enablement.certification",
    "enablement.contentdownload",
    "enablement.surveyresponse",
    "enablement.survey",  # the demo survey is sent: its answers are kept
    # Newsletters (issue 10): the demo's first one is sent, so its page is read-only and it is kept;
    # deliveries and opt-outs are written by the sending engine and by unsubscribing only.
    "enablement.newsletter",
    "enablement.newsletterdelivery",
    "enablement.newsletteroptout",
    "performance.tierreview",  # decided reviews are the record of tier changes
    "marketing.locatorprofile",  # locator: the partner's own; a manager unlists it instead
    # marketing: leads — a lead's offers are the record of the routing
    "marketing.lead",
    "marketing.leadoffer",
    # Market development funds: money drawn on allocations, proofs of what was reimbursed
    "marketing.fundallocation",
    "marketing.fundrequest",
    "marketing.fundclaim",
    "marketing.claimproof",
}
# Registered models the demo data has no row of (their object pages are not opened).
NOT_IN_THE_DEMO = {
    "authtoken.tokenproxy",
    "performance.qbrpack",  # a ZIP of every partner's QBRs is made when a manager asks for one
}

STAFF = {"admin": "admin@demo.test", "manager": "manager@demo.test", "finance": "finance@demo.test"}


def may(role: str, label: str, letter: str) -> bool:
    return role == "admin" or letter in MATRIX[role].get(label, "")


def matrix_permissions(role: str) -> set[str]:
    return {
        f"{label.split('.')[0]}.{ACTIONS[letter]}_{label.split('.')[1]}"
        for label, letters in MATRIX[role].items()
        for letter in letters
    }


def registered() -> dict[str, type]:
    return {model._meta.label_lower: model for model in admin.site._registry}


@pytest.fixture
def demo(committed_demo):
    """The demo data, loaded once for the module (tests/conftest.py): these tests only read it."""


@pytest.mark.parametrize("role", ["manager", "finance"])
def test_the_apps_declare_exactly_the_matrix(role):
    assert declared_role_permissions()[role] == matrix_permissions(role)


@pytest.mark.parametrize("role", ["manager", "finance"])
def test_demo_accounts_hold_exactly_the_permissions_of_their_role(demo, role):
    user = User.objects.get(email=STAFF[role])
    assert (user.role, user.is_superuser) == (role, False)
    assert user.get_all_permissions() == matrix_permissions(role)


def test_the_program_admin_is_a_superuser(demo):
    user = User.objects.get(email=STAFF["admin"])
    assert (user.role, user.is_superuser, user.is_staff) == ("admin", True, True)


def test_the_model_admins_refuse_what_the_lists_say(demo, rf):
    """The lists above are read from the ModelAdmins themselves, asked on behalf of a superuser."""
    request = rf.get("/admin/")
    request.user = User.objects.get(email=STAFF["admin"])
    never_added, never_edited, never_deleted, empty = set(), set(), set(), set()
    for label, model in registered().items():
        model_admin = admin.site._registry[model]
        if not model_admin.has_add_permission(request):
            never_added.add(label)
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            empty.add(label)
            continue
        if not model_admin.has_change_permission(request, obj):
            never_edited.add(label)
        if not model_admin.has_delete_permission(request, obj):
            never_deleted.add(label)
    assert never_added == NEVER_ADDED_IN_THE_ADMIN
    assert never_edited == NEVER_EDITED
    assert never_deleted == NEVER_DELETED
    assert empty == NOT_IN_THE_DEMO


def expected_pages(role: str, label: str, model) -> dict[str, int]:
    """The status each admin page of ``label`` must answer to ``role``."""
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    sees = may(role, label, "v") or may(role, label, "c")
    adds = may(role, label, "a") and label not in NEVER_ADDED_IN_THE_ADMIN
    pages = {base: 200 if sees else 403, base + "add/": 200 if adds else 403}
    if label not in NOT_IN_THE_DEMO:
        obj = model._default_manager.order_by("pk").first()
        deletes = may(role, label, "d") and label not in NEVER_DELETED
        pages[f"{base}{obj.pk}/change/"] = 200 if sees else 403
        pages[f"{base}{obj.pk}/history/"] = 200 if sees else 403
        pages[f"{base}{obj.pk}/delete/"] = 200 if deletes else 403
    return pages


@pytest.mark.parametrize("role", ["admin", "manager", "finance"])
def test_every_admin_page_answers_as_the_matrix_says(client, demo, role):
    client.force_login(User.objects.get(email=STAFF[role]))
    wrong = []
    for label, model in registered().items():
        with scopes_disabled():
            pages = expected_pages(role, label, model)
        for url, status in pages.items():
            response = client.get(url)
            if response.status_code != status:
                wrong.append(f"{url}: {response.status_code}, expected {status}")
            elif url.endswith("/change/") and status == 200:
                editable = may(role, label, "c") and label not in NEVER_EDITED
                if response.context["has_change_permission"] != editable:
                    wrong.append(f"{url}: editable is {not editable}, expected {editable}")
    assert wrong == []


@pytest.mark.parametrize("role", ["admin", "manager", "finance"])
def test_the_admin_index_lists_exactly_the_models_the_role_may_see(client, demo, role):
    client.force_login(User.objects.get(email=STAFF[role]))
    response = client.get("/admin/")
    assert response.status_code == 200
    listed = {entry["model"]._meta.label_lower for app in response.context["app_list"] for entry in app["models"]}
    expected = {label for label in registered() if role == "admin" or MATRIX[role].get(label)}
    assert listed == expected


LISTS = [
    "me",
    "partners",
    "applications",
    "deals",
    "commission-lines",
    "payout-runs",
    "statements",
    "cases",
    "content",
    "courses",
    "certifications",
    "announcements",
]
PORTAL = [
    "/portal/",
    "/portal/onboarding/",
    "/portal/deals/",
    "/portal/deals/new/",
    "/portal/statements/",
    "/portal/agreement/",
    "/portal/team/",
    "/portal/profile/",
    "/portal/payout-details/",
    "/portal/cases/",
    "/portal/cases/new/",
    "/portal/training/",
    "/portal/content/",
    "/portal/announcements/",
    "/portal/surveys/",
    "/portal/news/",
    "/portal/news/preferences/",
    "/portal/leads/",  # marketing: leads
    "/portal/funds/",  # market development funds
    "/portal/funds/new/",
    "/portal/locator/",  # the locator profile (reps read it)
]
# What each demo account sees on the demo data: the row count of each API list, or its refusal.
# The demo's year is dated relative to today, and these counts are the same whatever the day;
# the ledger's lines and statements depend on where months and plan years begin, so those are
# counted on the data (LEDGER below).
SEES_ALL = {
    "partners": 15,
    "applications": 24,
    "deals": 213,  # with the two the demo's accepted leads registered (marketing: leads)
    "commission-lines": "all",
    "payout-runs": 12,
    "statements": "all",
    "cases": 28,
}
API_LISTS = {
    "admin@demo.test": SEES_ALL,
    "finance@demo.test": SEES_ALL,
    "manager@demo.test": {**SEES_ALL, "commission-lines": 0, "payout-runs": 403, "statements": 0},
    "alice@acme.demo.test": {
        "partners": 1,
        "applications": 0,
        "deals": 54,  # with the one of the demo's accepted leads Acme registered (marketing: leads)
        "commission-lines": "own",
        "payout-runs": 403,
        "statements": "own",
        "cases": 7,
    },
    "carol@acme.demo.test": {
        "partners": 1,
        "applications": 0,
        "deals": 54,  # with the one of the demo's accepted leads Acme registered (marketing: leads)
        "commission-lines": "own",
        "payout-runs": 403,
        "statements": "own",
        "cases": 7,
    },
    "bob@globex.demo.test": {
        "partners": 1,
        "applications": 0,
        "deals": 32,
        "commission-lines": "own",
        "payout-runs": 403,
        "statements": "own",
        "cases": 9,
    },
    "dana@initech.demo.test": {
        "partners": 1,
        "applications": 0,
        "deals": 0,
        "commission-lines": 0,
        "payout-runs": 403,
        "statements": 0,
        "cases": 0,
    },
}


def ledger_counts(email: str, lists: dict) -> dict:
    """The counts the lists above leave to the data: every line and statement ("all"), or the
    organization's lines and its statements of approved or paid runs ("own")."""
    from incentives.models import CommissionLine, PayoutStatement

    user = User.objects.get(email=email)
    with scopes_disabled():
        lines, statements = CommissionLine.objects.all(), PayoutStatement.objects.all()
        if lists.get("statements") == "own":
            lines = lines.filter(partner_id=user.partner_id)
            statements = statements.filter(partner_id=user.partner_id, run__status__in=["approved", "paid"])
        counts = {"commission-lines": lines.count(), "statements": statements.count()}
    assert all(counts.values()), counts  # a year of commissions and paid runs
    return {name: counts[name] if expected in ("all", "own") else expected for name, expected in lists.items()}


# --- Newsletters (issue 10): managers and the program admin see the demo's two; others are refused ---
for _email, _lists in list(API_LISTS.items()):
    API_LISTS[_email] = {**_lists, "newsletters": 2 if _email in ("admin@demo.test", "manager@demo.test") else 403}
# Announcements: partner users see their audience's current ones (the summit is for partner admins,
# Initech is onboarding); staff manage them in the admin.
ANNOUNCEMENTS_SEEN = {
    "admin@demo.test": 403,
    "finance@demo.test": 403,
    "manager@demo.test": 403,
    "alice@acme.demo.test": 2,
    "carol@acme.demo.test": 1,
    "bob@globex.demo.test": 2,
    "dana@initech.demo.test": 0,
}
API_LISTS = {email: {**lists, "announcements": ANNOUNCEMENTS_SEEN[email]} for email, lists in API_LISTS.items()}
# Tier reviews (performance): managers and the program admin see the two the demo proposes; others are refused.
API_LISTS = {
    email: {**lists, "tier-reviews": 2 if email in ("admin@demo.test", "manager@demo.test") else 403}
    for email, lists in API_LISTS.items()
}
# marketing: leads — staff see the demo's eight leads; a partner those offered to (or accepted by) it.
LEADS_SEEN = {
    "admin@demo.test": 8,
    "finance@demo.test": 8,
    "manager@demo.test": 8,
    "alice@acme.demo.test": 2,
    "carol@acme.demo.test": 2,
    "bob@globex.demo.test": 1,
    "dana@initech.demo.test": 0,
}
API_LISTS = {email: {**lists, "leads": LEADS_SEEN[email]} for email, lists in API_LISTS.items()}
PORTAL_REFUSED = {"carol@acme.demo.test": {"/portal/payout-details/"}}  # a rep, not a partner admin


@pytest.mark.parametrize("email", list(API_LISTS))
def test_every_api_list_and_portal_page_answers_every_demo_account(api, client, demo, email):
    user = User.objects.get(email=email)
    api.force_authenticate(user)
    me = api.get("/api/v1/me/")
    assert (me.status_code, me.json()["email"], me.json()["role"]) == (200, email, user.role)
    answers = {}
    expected_lists = ledger_counts(email, API_LISTS[email])
    for name, expected in API_LISTS[email].items():
        response = api.get(f"/api/v1/{name}/")
        answers[name] = response.json()["count"] if response.status_code == 200 else response.status_code
        results = response.json().get("results") if response.status_code == 200 else None
        if results and name != "commission-lines":  # lines: list only
            detail = api.get(f"/api/v1/{name}/{results[0]['id']}/")
            assert (detail.status_code, detail.json()["id"]) == (200, results[0]["id"]), name
    assert answers == expected_lists
    if user.partner_id:
        client.force_login(user)
        statuses = {url: client.get(url).status_code for url in PORTAL}
        refused = PORTAL_REFUSED.get(email, set())
        assert statuses == {url: 403 if url in refused else 200 for url in PORTAL}
    else:  # staff work in the admin
        client.force_login(user)
        assert client.get("/portal/")["Location"] == "/admin/"

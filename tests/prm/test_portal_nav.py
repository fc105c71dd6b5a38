"""The portal's navigation: the daily work in the bar, the organization's own pages in one
"Organization" menu (partner admins also find the locator profile and payout details there), the
current page marked for assistive technology in either place."""

import pytest

pytestmark = pytest.mark.django_db

BAR = ["Home", "Deals", "Statements", "Scorecard", "Leads", "Funds", "Training", "Content", "News", "Surveys", "Cases"]


def nav(client, user, path="/portal/"):
    client.force_login(user)
    html = client.get(path).content.decode()
    return html[html.index('aria-label="Main"') : html.index("</nav>")]


def test_the_bar_holds_the_daily_work_in_order_and_the_menu_the_organization(client, partner_admin):
    html = nav(client, partner_admin)
    positions = [html.index(f">{label}</a>") for label in BAR]
    assert positions == sorted(positions)
    menu = html[html.index('id="nav-organization"') :]
    for label in ("Onboarding", "Agreement", "Team", "Profile", "Locator profile", "Payout details"):
        assert f">{label}</a>" in menu
    assert 'data-bs-toggle="dropdown" aria-expanded="false">Organization</button>' in html


def test_reps_do_not_find_the_admins_pages_in_the_menu(client, rep):
    html = nav(client, rep)
    assert ">Team</a>" in html
    assert "Locator profile" not in html and "Payout details" not in html


def test_the_current_page_is_marked_in_the_bar_and_in_the_menu(client, partner_admin):
    assert 'aria-current="page" href="/portal/funds/">Funds</a>' in nav(client, partner_admin, "/portal/funds/new/")
    html = nav(client, partner_admin, "/portal/team/")
    assert 'class="dropdown-item active" aria-current="page" href="/portal/team/">Team</a>' in html
    assert 'class="nav-link dropdown-toggle text-nowrap active"' in html
    assert "dropdown-toggle text-nowrap active" not in nav(client, partner_admin, "/portal/leads/")

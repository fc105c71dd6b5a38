"""A partner user reads the program's news in the portal: the list, one newsletter as it was
mailed, the preferences; axe finds nothing serious, on a desktop and on a phone, and nothing
scrolls the page sideways."""

import pytest
from markdown import markdown
from playwright.sync_api import expect

from ..enablement.newsletters import sent_newsletter
from ..factories import PartnerFactory, PartnerUserFactory
from .conftest import screenshot
from .test_accessibility import violations
from .test_deals import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = """# Spring release

Our **Cloud Suite 5** ships on 1 April with [new price lists](https://example.com/prices).

| Tier | Uplift |
|---|---|
| Gold | 2% |
| Platinum | 3% |

- Webinar on 12 March
- New demo environment for every partner with a rather long line that must wrap on a phone
"""


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["desktop", "phone"])
def test_a_partner_reads_the_news_without_accessibility_violations(live_server, browser, viewport):
    acme = PartnerFactory(name="Acme Cloud Partners")
    carol = PartnerUserFactory(partner=acme, role="partner_rep", email="carol@acme.example.com")
    globex = PartnerUserFactory(partner=PartnerFactory(name="Globex Solutions"), email="bob@globex.example.com")
    sent_newsletter(subject="Winter roundup", to=[carol], days_ago=40)
    spring = sent_newsletter(
        subject="Spring release: Cloud Suite 5", to=[carol, globex], body_html=markdown(BODY, extensions=["tables"])
    )
    sent_newsletter(subject="Globex only", to=[globex])
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=True)
    page = context.new_page()
    found = {}
    sign_in(page, live_server, carol.email)
    page.goto(live_server.url + "/portal/news/")
    expect(page.get_by_role("heading", name="News", exact=True)).to_be_visible()
    expect(page.get_by_text("Globex only")).to_have_count(0)
    found["/portal/news/"] = violations(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0] + 1
    screenshot(page, f"news-list-{viewport[0]}")

    page.get_by_role("link", name=spring.subject).click()
    expect(page.get_by_role("heading", name=spring.subject)).to_be_visible()
    expect(page.get_by_role("cell", name="Platinum")).to_be_visible()
    found["/portal/news/<id>/"] = violations(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0] + 1
    screenshot(page, f"news-detail-{viewport[0]}")

    page.get_by_role("link", name="Newsletter preferences").click()
    expect(page.get_by_role("button", name="Unsubscribe from newsletters")).to_be_visible()
    found["/portal/news/preferences/"] = violations(page)
    screenshot(page, f"news-preferences-{viewport[0]}")
    context.close()
    assert found == {url: [] for url in found}

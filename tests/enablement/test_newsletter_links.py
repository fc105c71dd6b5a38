"""A mail has no page its links could be relative to: links and images a manager writes as
site paths reach the recipient as absolute addresses, in the HTML part and in the text part."""

import pytest
from django.core import mail

from enablement import services
from enablement.models import Newsletter
from prm.markup import absolute_urls, markdown_to_html
from prm.roles import Role

from ..factories import PartnerFactory, PartnerUserFactory

pytestmark = pytest.mark.django_db


def test_absolute_urls_keeps_absolute_links_and_anchors_and_completes_site_paths():
    html = markdown_to_html(
        "[a](/portal/training/) [b](https://example.com/y) [c](#top) [m](mailto:a@example.com) ![i](img/x.png)"
    )
    result = absolute_urls(html, "https://prm.example.com/")
    assert 'href="https://prm.example.com/portal/training/"' in result
    assert 'href="https://example.com/y"' in result
    assert 'href="#top"' in result
    assert 'href="mailto:a@example.com"' in result
    assert 'src="https://prm.example.com/img/x.png"' in result


def test_a_newsletter_mails_site_paths_as_absolute_links(manager, settings, commit):
    settings.SITE_URL = "https://prm.example.com"
    user = PartnerUserFactory(partner=PartnerFactory(), role=Role.PARTNER_ADMIN)
    newsletter = services.newsletter_save(
        by=manager,
        data={"subject": "Training news", "body_markdown": "The [foundations course](/portal/training/) is new."},
    )
    mail.outbox.clear()
    with commit():
        services.newsletter_send(newsletter=newsletter, by=manager)
    sent = [m for m in mail.outbox if user.email in m.to]
    assert len(sent) == 1
    html = sent[0].alternatives[0][0]
    assert 'href="https://prm.example.com/portal/training/"' in html
    assert 'href="/portal/training/"' not in html
    assert "https://prm.example.com/portal/training/" in sent[0].body
    snapshot = Newsletter.objects.get(pk=newsletter.pk).body_html
    assert 'href="https://prm.example.com/portal/training/"' in snapshot  # the portal shows what was mailed

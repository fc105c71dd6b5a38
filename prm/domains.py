"""Company domains: the registrable domain of a website or an e-mail address.

Recruitment (duplicate applications) and deal registration (channel conflicts) both compare
companies by the domain they registered: ``https://www.shop.acme.co.uk/x`` and
``jane@mail.acme.co.uk`` are both ``acme.co.uk``. The public-suffix list ships inside the
``publicsuffixlist`` package (nothing is fetched). Free-mail domains say nothing about a company
and are never used for matching.
"""

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

# Mailbox providers anyone can sign up with: an address there does not identify a company.
FREE_MAIL_DOMAINS = frozenset(
    """
    gmail.com googlemail.com outlook.com hotmail.com hotmail.co.uk hotmail.fr hotmail.de live.com
    live.co.uk live.fr msn.com yahoo.com yahoo.co.uk yahoo.fr yahoo.de yahoo.es yahoo.it yahoo.co.jp
    ymail.com rocketmail.com aol.com icloud.com me.com mac.com proton.me protonmail.com pm.me
    gmx.com gmx.de gmx.net gmx.at gmx.ch web.de t-online.de freenet.de posteo.de mailbox.org
    mail.com email.com zoho.com zohomail.com yandex.com yandex.ru mail.ru inbox.ru bk.ru list.ru
    rambler.ru qq.com 163.com 126.com sina.com aliyun.com naver.com daum.net hanmail.net
    orange.fr wanadoo.fr free.fr laposte.net sfr.fr libero.it virgilio.it tiscali.it alice.it
    seznam.cz wp.pl o2.pl onet.pl interia.pl btinternet.com sky.com virginmedia.com
    comcast.net verizon.net att.net sbcglobal.net cox.net bellsouth.net earthlink.net
    rediffmail.com tutanota.com tuta.io fastmail.com hey.com duck.com
    """.split()
)


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    # Unknown top-level domains are not accepted: "acme.invalidtld" has no registrable domain.
    return PublicSuffixList(accept_unknown=False)


def normalize_host(host: str) -> str:
    """Lower-case, without a trailing dot or a port, internationalized names in punycode."""
    host = host.strip().lower().rstrip(".")
    if ":" in host and not host.startswith("["):
        host = host.split(":", 1)[0]
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def host_of(url_or_host: str) -> str:
    """The host of a URL (``https://www.acme.com/x`` -> ``www.acme.com``), or the text itself."""
    text = (url_or_host or "").strip()
    if "://" not in text:
        text = "http://" + text
    try:
        return normalize_host(urlsplit(text).hostname or "")
    except ValueError:
        return ""


def registrable_domain(url_or_host: str) -> str | None:
    """``https://www.shop.acme.co.uk`` -> ``acme.co.uk``; None for IPs, bare suffixes, unknown TLDs."""
    host = host_of(url_or_host)
    if not host:
        return None
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    return _psl().privatesuffix(host)


def email_domain(email: str) -> str | None:
    """Registrable domain of an e-mail address, or None for free-mail providers and bad input."""
    if not email or "@" not in email:
        return None
    domain = registrable_domain(email.rsplit("@", 1)[1])
    if domain is None or domain in FREE_MAIL_DOMAINS:
        return None
    return domain


def is_free_mail(email: str) -> bool:
    if "@" not in (email or ""):
        return False
    return registrable_domain(email.rsplit("@", 1)[1]) in FREE_MAIL_DOMAINS


def validate_company_website(url: str) -> None:
    """A real website: http(s) with a registrable domain under a known public suffix."""
    from django.core.exceptions import ValidationError

    scheme = (url or "").split("://", 1)[0].lower() if "://" in (url or "") else ""
    if scheme not in ("http", "https") or registrable_domain(url) is None:
        raise ValidationError("Enter the company's website, e.g. https://www.example.com.", code="invalid_website")

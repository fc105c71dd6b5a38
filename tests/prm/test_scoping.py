import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import URLPattern, URLResolver, get_resolver

from partners.models import Partner
from prm.api import ScopedViewMixin
from prm.scoping import ScopeError, scope, scope_for

from ..factories import PartnerUserFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def test_query_outside_any_scope_fails_loudly(partner):
    with scope(), pytest.raises(ScopeError):
        list(Partner.objects.all())


def test_partner_user_scope_yields_only_its_organization(partner, rival, partner_admin):
    with scope_for(partner_admin):
        assert list(Partner.objects.all()) == [partner]
        assert not Partner.objects.filter(pk=rival.pk).exists()


def test_staff_scope_yields_every_organization(partner, rival):
    with scope_for(StaffUserFactory()):
        assert set(Partner.objects.all()) == {partner, rival}


def test_anonymous_scope_yields_nothing(partner):
    with scope_for(AnonymousUser()):
        assert Partner.objects.count() == 0


def test_deactivated_partner_user_scope_yields_nothing(partner):
    user = PartnerUserFactory(partner=partner, is_active=False)
    with scope_for(user):
        assert Partner.objects.count() == 0


def test_deactivated_staff_user_scope_is_not_unrestricted(partner):
    user = StaffUserFactory(is_active=False)
    with scope_for(user):
        assert Partner.objects.count() == 0


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def test_every_api_view_runs_in_its_users_scope():
    api_patterns = [(route, p) for route, p in _walk(get_resolver()) if route.startswith("api/v1/")]
    assert api_patterns
    for route, pattern in api_patterns:
        view_class = getattr(pattern.callback, "cls", None)
        assert view_class is not None and issubclass(view_class, ScopedViewMixin), (
            f"/{route} must derive from prm.api.ScopedAPIView or ScopedGenericViewSet"
        )

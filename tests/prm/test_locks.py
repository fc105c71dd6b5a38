"""The kernel's row locks: primary-key order, a timeout that ends in Busy, and a lock that a
second worker skips instead of waiting for."""

import time

import pytest

from partners.models import Partner
from prm.errors import Busy
from prm.locks import lock, lock_if_free, lock_one, lock_table

from ..factories import PartnerFactory
from ..locking import held_elsewhere, postgresql_only


@pytest.mark.django_db
def test_rows_are_locked_in_primary_key_order():
    partners = [PartnerFactory(name=name) for name in ("Zeta", "Alpha", "Mid")]
    locked = lock(Partner.objects.order_by("-name"))
    assert [p.pk for p in locked] == sorted(p.pk for p in partners)


@pytest.mark.django_db
def test_locks_need_a_transaction():
    from django.db import transaction

    PartnerFactory()
    with transaction.atomic():
        assert lock_one(Partner.objects.all(), Partner.objects.get().pk)
    with pytest.raises(Partner.DoesNotExist):
        with transaction.atomic():
            lock_one(Partner.objects.all(), 0)


@postgresql_only
@pytest.mark.django_db(transaction=True)
class TestHeldElsewhere:
    @pytest.fixture(autouse=True)
    def _short_timeout(self, settings):
        settings.PRM_LOCK_TIMEOUT = 0.5

    def test_a_held_row_is_busy_after_the_timeout_and_skipped_by_lock_if_free(self):
        from django.db import transaction

        partner = PartnerFactory()
        with held_elsewhere("SELECT id FROM partners_partner WHERE id = %s FOR UPDATE", [partner.pk]):
            started = time.monotonic()
            with pytest.raises(Busy, match="Try again in a moment"), transaction.atomic():
                lock_one(Partner.objects.all(), partner.pk)
            assert 0.4 < time.monotonic() - started < 2.5
            started = time.monotonic()
            with transaction.atomic():
                assert lock_if_free(Partner.objects.all(), partner.pk) is None
            assert time.monotonic() - started < 0.4  # skipped, not waited for
        with transaction.atomic():
            assert lock_if_free(Partner.objects.all(), partner.pk) == partner

    def test_a_table_lock_is_busy_after_the_timeout(self):
        from django.db import transaction

        with held_elsewhere("LOCK TABLE partners_partner IN ROW EXCLUSIVE MODE"):
            with pytest.raises(Busy, match="The ledger is busy"), transaction.atomic():
                lock_table(Partner, "SHARE", message="The ledger is busy.")

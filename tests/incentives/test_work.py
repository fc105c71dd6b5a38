"""Payout runs survive a dead worker: the run carries a heartbeat, the watchdog
(prm.tasks.restart_stale_work) restarts a calculation or a PDF batch whose worker went silent,
finance can restart a stuck run from the API and the admin, and work that is done or alive is
left alone with a message saying why."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incentives import services
from incentives.models import PayoutRun, PayoutStatement
from prm.errors import Busy, StateConflict
from prm.tasks import restart_stale_work

from ..clients import api_client_for
from ..factories import CommissionLineFactory
from ..locking import held_elsewhere, postgresql_only

TODAY = timezone.localdate()
LAST_WEEK = TODAY - timedelta(days=7)


@pytest.fixture
def ledger(partner, rival):
    CommissionLineFactory(partner=partner, amount="120.00")
    CommissionLineFactory(partner=rival, amount="75.25", currency="EUR")


def stuck_run(finance, *, silent_for=timedelta(minutes=10)) -> PayoutRun:
    """A run whose worker died: created and enqueued, never calculated, silent since."""
    run = services.payout_run_create(period_end=LAST_WEEK, by=finance)  # its task waits for a commit that never comes
    PayoutRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - silent_for)
    return run


def statements_of(run):
    return sorted(PayoutStatement.objects.filter(run=run).values_list("currency", "total"))


@pytest.mark.django_db
class TestHeartbeat:
    def test_a_new_run_starts_with_a_heartbeat_and_its_calculation_and_pdfs_renew_it(self, finance, ledger, commit):
        before = timezone.now()
        with commit():
            run = services.payout_run_create(period_end=LAST_WEEK, by=finance)
        run.refresh_from_db()
        assert run.status == "calculated"
        assert run.heartbeat_at >= run.calculated_at >= before
        assert run.pdfs_rendered == 2

    def test_the_watchdog_restarts_a_silent_calculation_which_completes_once(self, finance, ledger, commit):
        run = stuck_run(finance)
        with commit():
            restarted = restart_stale_work()
        assert restarted == {"payout calculation": [run.pk]}
        run.refresh_from_db()
        assert run.status == "calculated"
        assert [(currency, str(total)) for currency, total in statements_of(run)] == [
            ("EUR", "75.25"),
            ("USD", "120.00"),
        ]
        with commit():
            assert restart_stale_work() == {}  # done: nothing to restart, nothing computed twice
        assert PayoutStatement.objects.filter(run=run).count() == 2
        assert run.history.filter(status="calculated").count() == 1

    def test_the_watchdog_leaves_a_run_whose_worker_is_alive(self, finance, ledger, commit):
        run = stuck_run(finance, silent_for=timedelta(seconds=30))
        with commit():
            assert restart_stale_work() == {}
        run.refresh_from_db()
        assert (run.status, PayoutStatement.objects.filter(run=run).count()) == ("calculating", 0)

    def test_the_staleness_limit_is_a_setting(self, finance, ledger, commit, settings):
        run = stuck_run(finance, silent_for=timedelta(seconds=30))
        settings.PRM_WORK_STALE_SECONDS = 20
        with commit():
            assert restart_stale_work() == {"payout calculation": [run.pk]}
        assert PayoutRun.objects.get(pk=run.pk).status == "calculated"

    def test_the_watchdog_restarts_statement_pdfs_whose_rendering_stopped(self, finance, ledger, commit):
        run = services.payout_run_create(period_end=LAST_WEEK, by=finance)
        services.payout_run_calculate(run.pk)  # calculated, but the worker died before any PDF
        PayoutRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
        assert PayoutStatement.objects.filter(run=run, pdf="").count() == 2
        with commit():
            assert restart_stale_work() == {"statement PDFs": [run.pk]}
        assert PayoutStatement.objects.filter(run=run, pdf="").count() == 0
        assert PayoutRun.objects.get(pk=run.pk).pdfs_rendered == 2

    def test_a_redelivered_calculation_of_a_calculated_run_does_nothing(self, finance, ledger, commit):
        with commit():
            run = services.payout_run_create(period_end=LAST_WEEK, by=finance)
        ids = list(PayoutStatement.objects.filter(run=run).values_list("pk", flat=True))
        services.payout_run_calculate(run.pk)
        assert list(PayoutStatement.objects.filter(run=run).values_list("pk", flat=True)) == ids


@pytest.mark.django_db
class TestRestartByFinance:
    def test_finance_restarts_a_stuck_calculation_from_the_api(self, finance, ledger, commit):
        run = stuck_run(finance)
        with commit():
            response = api_client_for(finance).post(f"/api/v1/payout-runs/{run.pk}/restart/")
        assert response.status_code == 202, response.content
        assert response.json() == {"id": run.pk, "status": "calculating"}
        assert PayoutRun.objects.get(pk=run.pk).status == "calculated"
        assert len(statements_of(run)) == 2

    def test_a_run_whose_worker_is_alive_is_not_restarted(self, finance, ledger):
        run = stuck_run(finance, silent_for=timedelta(seconds=5))
        response = api_client_for(finance).post(f"/api/v1/payout-runs/{run.pk}/restart/")
        assert response.status_code == 409
        assert "is not stuck: its worker gave a sign of life 5 s ago" in response.json()["detail"]
        assert "after 120 s" in response.json()["detail"]

    def test_a_calculated_run_has_nothing_to_restart(self, finance, ledger, commit):
        with commit():
            run = services.payout_run_create(period_end=LAST_WEEK, by=finance)
        response = api_client_for(finance).post(f"/api/v1/payout-runs/{run.pk}/restart/")
        assert response.status_code == 409
        assert response.json()["detail"] == (
            f"Run {run.reference} is calculated and has no work left to restart. Recalculate it to compute it again."
        )

    def test_only_finance_restarts(self, finance, manager, partner_admin, ledger):
        run = stuck_run(finance)
        with pytest.raises(Exception) as refused:
            services.payout_run_restart(run=run, by=manager)
        assert refused.type.__name__ == "PermissionDenied"
        assert api_client_for(manager).post(f"/api/v1/payout-runs/{run.pk}/restart/").status_code == 404
        assert api_client_for(partner_admin).post(f"/api/v1/payout-runs/{run.pk}/restart/").status_code == 404
        assert PayoutRun.objects.get(pk=run.pk).status == "calculating"

    def test_finance_restarts_from_the_admin_and_reads_why_not_when_it_is_alive(self, client, finance, ledger, commit):
        stuck = stuck_run(finance)
        client.force_login(finance)
        with commit():
            page = client.post(
                "/admin/incentives/payoutrun/", {"action": "restart", "_selected_action": [stuck.pk]}, follow=True
            ).content.decode()
        assert "1 run restarted" in page
        assert PayoutRun.objects.get(pk=stuck.pk).status == "calculated"

        alive = services.payout_run_recalculate(run=stuck, by=finance)  # just enqueued: alive
        page = client.post(
            "/admin/incentives/payoutrun/", {"action": "restart", "_selected_action": [alive.pk]}, follow=True
        ).content.decode()
        assert "is not stuck" in page
        assert PayoutRun.objects.get(pk=alive.pk).status == "calculating"


@postgresql_only
@pytest.mark.django_db(transaction=True)
class TestLiveWorkerLocks:
    def held_by_a_worker(self, run):
        return held_elsewhere("SELECT id FROM incentives_payoutrun WHERE id = %s FOR UPDATE", [run.pk])

    def test_a_run_a_live_worker_holds_is_neither_restarted_nor_calculated_twice(
        self, finance, ledger, commit, settings
    ):
        settings.PRM_WORK_STALE_SECONDS = 1
        run = services.payout_run_create(
            period_end=LAST_WEEK, by=finance
        )  # transaction=True: committed, eager task ran
        PayoutRun.objects.filter(pk=run.pk).update(
            status="calculating", heartbeat_at=timezone.now() - timedelta(minutes=5)
        )
        PayoutStatement.objects.filter(run=run).delete()
        with self.held_by_a_worker(run):
            assert restart_stale_work() == {}
            with pytest.raises(
                StateConflict, match="A worker or another finance user is working on run .* right now: it is not stuck"
            ):
                services.payout_run_restart(run=run, by=finance)
            assert services.payout_run_calculate(run.pk).status == "calculating"  # a second delivery leaves it alone
        assert PayoutStatement.objects.filter(run=run).count() == 0
        assert restart_stale_work() == {"payout calculation": [run.pk]}  # the worker is gone now
        assert PayoutRun.objects.get(pk=run.pk).status == "calculated"

    def test_a_calculation_waits_for_the_ledger_no_longer_than_the_timeout(self, finance, ledger, settings):
        settings.PRM_LOCK_TIMEOUT = 1
        run = services.payout_run_create(period_end=LAST_WEEK, by=finance)
        PayoutRun.objects.filter(pk=run.pk).update(status="calculating")
        PayoutStatement.objects.filter(run=run).delete()
        # A deal is being closed: its commission lines are being booked right now.
        with held_elsewhere("LOCK TABLE incentives_commissionline IN ROW EXCLUSIVE MODE"):
            with pytest.raises(Busy, match="Commission lines are being booked right now"):
                services.payout_run_calculate(run.pk)
        run.refresh_from_db()
        assert (run.status, run.error, PayoutStatement.objects.filter(run=run).count()) == ("calculating", "", 0)
        assert services.payout_run_calculate(run.pk).status == "calculated"

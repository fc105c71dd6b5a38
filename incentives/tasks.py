from celery import shared_task

from prm import work
from prm.errors import Busy
from prm.scoping import scopes_disabled

from . import services
from .models import PayoutRun, PayoutStatement

PDF_CHUNK = 50
BUSY_RETRY_SECONDS = 10


@shared_task(bind=True, max_retries=6)
def calculate_payout_run(self, run_id: int) -> None:
    """Compute a run's statements (one transaction; safe to run twice), then render their PDFs.

    While lines are being booked the ledger may stay locked past PRM_LOCK_TIMEOUT: the run stays
    calculating and is tried again shortly (after the retries, the watchdog restarts it)."""
    with scopes_disabled():
        try:
            run = services.payout_run_calculate(run_id)
        except Busy as busy:
            raise self.retry(exc=busy, countdown=BUSY_RETRY_SECONDS) from busy
    if run is not None and run.status == PayoutRun.Status.CALCULATED:
        render_statement_pdfs.delay(run_id)


@shared_task
def render_statement_pdfs(run_id: int) -> int:
    """Render the PDFs of a run's statements that have none yet, a chunk at a time, and queue
    the next chunk; a restarted worker picks up where it stopped. Each PDF is a sign of life
    (prm.work): a run whose rendering stopped is restarted by the watchdog. Returns how many it
    rendered."""
    with scopes_disabled():
        run = PayoutRun.objects.filter(pk=run_id).first()
        if run is None or run.status not in (PayoutRun.Status.CALCULATED, PayoutRun.Status.APPROVED, PayoutRun.Status.PAID):
            return 0
        work.beat(run)
        chunk = list(PayoutStatement.objects.filter(run=run, pdf="").select_related("partner", "run")[:PDF_CHUNK])
        for statement in chunk:
            services.statement_pdf_ensure(statement)
            work.beat(run)
        PayoutRun.objects.filter(pk=run_id).update(pdfs_rendered=PayoutStatement.objects.filter(run=run).exclude(pdf="").count())
        if len(chunk) == PDF_CHUNK:
            render_statement_pdfs.delay(run_id)
        return len(chunk)

from celery import shared_task

from prm.scoping import scopes_disabled

from . import services
from .models import PayoutRun, PayoutStatement

PDF_CHUNK = 50


@shared_task
def calculate_payout_run(run_id: int) -> None:
    """Compute a run's statements (one transaction; safe to run twice), then render their PDFs."""
    with scopes_disabled():
        run = services.payout_run_calculate(run_id)
    if run.status == PayoutRun.Status.CALCULATED:
        render_statement_pdfs.delay(run_id)


@shared_task
def render_statement_pdfs(run_id: int) -> int:
    """Render the PDFs of a run's statements that have none yet, a chunk at a time, and queue
    the next chunk; a restarted worker picks up where it stopped. Returns how many it rendered."""
    with scopes_disabled():
        run = PayoutRun.objects.filter(pk=run_id).first()
        if run is None or run.status not in (PayoutRun.Status.CALCULATED, PayoutRun.Status.APPROVED, PayoutRun.Status.PAID):
            return 0
        chunk = list(PayoutStatement.objects.filter(run=run, pdf="").select_related("partner", "run")[:PDF_CHUNK])
        for statement in chunk:
            services.statement_pdf_ensure(statement)
        PayoutRun.objects.filter(pk=run_id).update(pdfs_rendered=PayoutStatement.objects.filter(run=run).exclude(pdf="").count())
        if len(chunk) == PDF_CHUNK:
            render_statement_pdfs.delay(run_id)
        return len(chunk)

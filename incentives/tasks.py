"""Workers of payouts: computing runs, rendering statement PDFs, building a run's ZIP.

Documents render here, after the transaction that asked for them has committed, never inside a
request (prm.pdf refuses to render inside a transaction).
"""

import logging
import tempfile
import zipfile

from celery import shared_task
from django.core.files import File

from prm import work
from prm.errors import Busy
from prm.scoping import scopes_disabled

from . import services
from .models import PayoutRun, PayoutStatement, ZipStatus

logger = logging.getLogger(__name__)
PDF_CHUNK = 50
BUSY_RETRY_SECONDS = 10
ZIP_PROGRESS_EVERY = 25


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
    """Bring a run's statement PDFs up to date (missing ones, and ones that show an earlier status
    of the run), a chunk at a time, queueing the next chunk; a restarted worker picks up where it
    stopped. Each PDF is a sign of life (prm.work): a run whose rendering stopped is restarted by
    the watchdog. When none is left and finance waits for the ZIP, build it. Returns how many it
    stored."""
    with scopes_disabled():
        run = PayoutRun.objects.filter(pk=run_id).first()
        if run is None or run.status not in PayoutRun.DOCUMENTED_STATUSES:
            return 0
        work.beat(run)
        chunk = list(services.statements_outdated(run).order_by("id").values_list("pk", flat=True)[:PDF_CHUNK])
        stored = 0
        try:
            for pk in chunk:
                stored += services.statement_pdf_store(statement_id=pk)
                work.beat(run)
        except Exception as error:
            _zip_failed(run_id, f"A statement PDF could not be rendered: {type(error).__name__}: {error}")
            raise
        if len(chunk) == PDF_CHUNK:
            render_statement_pdfs.delay(run_id)
        elif PayoutRun.objects.filter(pk=run_id, zip_status=ZipStatus.BUILDING).exists():
            build_statements_zip.delay(run_id)
        return stored


@shared_task
def render_statement_pdf(statement_id: int) -> bool:
    """Render one statement's PDF that someone asked to download (skipped when it is current)."""
    return services.statement_pdf_store(statement_id=statement_id)


@shared_task
def build_statements_zip(run_id: int) -> bool:
    """Put every current statement PDF of a run into one ZIP in private storage, reporting progress
    on the run. PDFs still missing are rendered first (render_statement_pdfs comes back here).
    The ZIP is kept only if the run did not change meanwhile; True when it was stored."""
    with scopes_disabled():
        run = PayoutRun.objects.filter(pk=run_id, zip_status=ZipStatus.BUILDING).first()
        if run is None:
            return False
        if run.status not in PayoutRun.DOCUMENTED_STATUSES:
            _zip_failed(
                run_id, f"The run is {run.get_status_display().lower()}: ask for the ZIP again once it is calculated."
            )
            return False
        if services.statements_outdated(run).exists():
            render_statement_pdfs.delay(run_id)
            return False
        try:
            return _build_zip(run)
        except Exception as error:  # recorded on the run for finance to read; the old ZIP stays as it was
            logger.exception("The ZIP of payout run %s failed", run_id)
            _zip_failed(run_id, f"{type(error).__name__}: {error}")
            return False


def _build_zip(run: PayoutRun) -> bool:
    statements = PayoutStatement.objects.filter(run=run).select_related("partner").order_by("partner__name", "currency")
    count = 0
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
            for count, statement in enumerate(statements.iterator(chunk_size=200), start=1):
                name = f"{statement.partner.name} {statement.currency} {run.reference}.pdf".replace("/", "-")
                with statement.pdf.open("rb") as pdf:
                    archive.writestr(name, pdf.read())
                if count % ZIP_PROGRESS_EVERY == 0:
                    PayoutRun.objects.filter(pk=run.pk).update(zip_progress=count)
        spool.seek(0)
        previous = run.statements_zip.name
        run.statements_zip.save(f"statements-{run.reference}.zip", File(spool), save=False)
    # Kept only if nothing changed the run's documents while the ZIP was being built.
    kept = PayoutRun.objects.filter(
        pk=run.pk, status=run.status, calculated_at=run.calculated_at, zip_status=ZipStatus.BUILDING
    ).update(
        statements_zip=run.statements_zip.name,
        zip_status=ZipStatus.READY,
        zip_for_status=run.status,
        zip_progress=count,
    )
    storage = run.statements_zip.storage
    if not kept:
        storage.delete(run.statements_zip.name)
        if PayoutRun.objects.filter(pk=run.pk, zip_status=ZipStatus.BUILDING).exists():
            render_statement_pdfs.delay(run.pk)  # approved or paid meanwhile: PDFs first, then the ZIP again
    elif previous and previous != run.statements_zip.name:
        storage.delete(previous)
    return bool(kept)


def _zip_failed(run_id: int, message: str) -> None:
    PayoutRun.objects.filter(pk=run_id, zip_status=ZipStatus.BUILDING).update(
        zip_status=ZipStatus.FAILED, zip_error=message[:300]
    )

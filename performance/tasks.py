"""Workers of the performance stage: the tier evaluation, QBR documents and packs.

Each task takes ids and acts for the program (``scopes_disabled``), and may run twice without
harm. Documents render here, after the transaction that asked for them has committed, never inside
a request (prm.pdf refuses to render inside a transaction).
"""

import logging

from celery import shared_task

from prm import work
from prm.errors import Busy
from prm.scoping import scopes_disabled

from .models import QbrPack
from .services import qbr as services
from .services.tier_reviews import tier_reviews_evaluate

logger = logging.getLogger(__name__)
PACK_CHUNK = 20


@shared_task(autoretry_for=(Busy,), retry_backoff=30, max_retries=3)
def review_tiers() -> dict:
    """Monthly (beat entry ``review-tiers``) and on demand from the admin: every active partner
    against the tier requirements (services.tier_reviews). Idempotent: an open proposal for the
    same change is kept, so a second run writes nothing new. Retried when another evaluation
    holds the lock."""
    with scopes_disabled():
        return tier_reviews_evaluate().as_dict()


@shared_task
def render_qbr(review_id: int) -> bool:
    """Render one review's PDF that a manager asked for (nothing when it is not pending)."""
    with scopes_disabled():
        return services.qbr_render(review_id=review_id)


@shared_task
def render_qbr_pack(pack_id: int) -> int:
    """Do or resume a QBR pack: render the pending reviews of its quarter a chunk at a time,
    queueing the next chunk, each PDF a sign of life (prm.work: the watchdog restarts a pack whose
    worker died, and this picks up where it stopped); when none is pending, build the ZIP. Returns
    how many PDFs this call stored."""
    with scopes_disabled():
        pack = QbrPack.objects.filter(pk=pack_id, status=QbrPack.Status.RENDERING).first()
        if pack is None:
            return 0
        work.beat(pack)
        # Without a broker (eager mode) the chunks follow in this call: queueing them would nest
        # one eager call in the other, as deep as there are chunks.
        in_process = render_qbr_pack.app.conf.task_always_eager
        stored = 0
        while True:
            chunk = list(services.qbr_pack_pending(pack).order_by("id").values_list("pk", flat=True)[:PACK_CHUNK])
            for pk in chunk:
                stored += services.qbr_render(review_id=pk)
                services.qbr_pack_progress(pack)
                work.beat(pack)
            if len(chunk) < PACK_CHUNK:
                break
            if not in_process:
                render_qbr_pack.delay(pack_id)
                return stored
        try:
            services.qbr_pack_build(pack_id=pack_id)
        except Exception as error:  # recorded on the pack for the manager to read
            logger.exception("The ZIP of QBR pack %s failed", pack_id)
            services.qbr_pack_failed(pack_id, f"The ZIP could not be built: {type(error).__name__}: {error}")
        return stored

"""Writes for partners, users and invitations, one module per concern. Each function states the
rule it implements; callers import them from here (``from partners import services``)."""

from .accounts import (  # noqa: F401
    invitation_accept,
    invitation_check,
    invitation_for_token,
    invitation_send,
    partner_user_create,
    staff_user_save,
)
from .agreement import (  # noqa: F401
    agreement_current,
    agreement_needs_signature,
    agreement_pdf_enqueue,
    agreement_pdf_store,
    agreement_publish,
    agreement_sign,
    agreement_text_sha256,
)
from .onboarding import (  # noqa: F401
    onboarding_event_record,
    onboarding_stalled_remind,
    onboarding_start,
    onboarding_task_complete,
)
from .organization import (  # noqa: F401
    partner_profile_update,
    partner_tier_set,
    payout_details_save,
    team_invite,
    team_member_deactivate,
)
from .recruitment import (  # noqa: F401
    APPLICATION_TRANSITIONS,
    application_approve,
    application_reject,
    application_screen,
    application_submit,
    applications_rescore,
)

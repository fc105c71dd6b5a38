"""Writes for partners, users and invitations, one module per concern. Each function states the
rule it implements; callers import them from here (``from partners import services``)."""

from .accounts import (  # noqa: F401
    access_revoke,
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
from .lifecycle import (  # noqa: F401
    PARTNER_TRANSITIONS,
    partner_set_status,
    partner_status_change,
)
from .onboarding import (  # noqa: F401
    onboarding_event_record,
    onboarding_remind,
    onboarding_stalled_remind,
    onboarding_start,
    onboarding_task_complete,
)
from .organization import (  # noqa: F401
    partner_create,
    partner_profile_update,
    partner_tier_set,
    partner_update,
    payout_details_save,
    team_invite,
    team_member_deactivate,
    team_member_reactivate,
    team_member_set_role,
)
from .recruitment import (  # noqa: F401
    APPLICATION_TRANSITIONS,
    application_approve,
    application_reject,
    application_screen,
    application_submit,
    applications_rescore,
)

"""Writes of enablement, one module per concern: ``learning`` (the content library, courses,
quizzes and certifications) and, for communication, newsletters, announcements and surveys.
Callers import them from here (``from enablement import services``)."""

# --- Announcements ---------------------------------------------------------------------------------
from .announcements import (  # noqa: E402, F401
    ANNOUNCEMENT_FIELDS,
    announcement_check,
    announcement_dismiss,
    announcement_save,
    announcement_withdraw,
)

# --- Audiences (newsletters, announcements, surveys) ---
from .audience import audience_apply  # noqa: E402, F401
from .learning import (  # noqa: F401
    ASSET_FIELDS,
    REMINDERS,
    RENEWAL_WINDOW_DAYS,
    add_months,
    certificate_pdf_ensure,
    certificate_pdf_request,
    certification_grant,
    certifications_remind_and_expire,
    content_asset_save,
    content_download_record,
    content_source_check,
    quiz_attempt_submit,
)

# --- Communication: newsletters (sending engine, unsubscribe) ---
from .newsletters import (  # noqa: F401, E402
    newsletter_audience_count,
    newsletter_deliver,
    newsletter_opt_in,
    newsletter_opt_out,
    newsletter_preview,
    newsletter_save,
    newsletter_send,
    newsletter_test_deliver,
    newsletter_test_send,
    newsletter_unschedule,
    newsletters_send_scheduled,
    unsubscribe_check,
    unsubscribe_token,
    unsubscribe_url,
)

# --- Surveys (partner feedback) ---
from .surveys import (  # noqa: F401, E402
    SURVEY_TRANSITIONS,
    survey_answer,
    survey_close,
    survey_invitations_mail,
    survey_is_closed,
    survey_question_errors,
    survey_remind,
    survey_reminders_mail,
    survey_save,
    survey_send,
    surveys_remind_and_close,
)

"""Writes of enablement, one module per concern: ``learning`` (the content library, courses,
quizzes and certifications) and, for communication, newsletters, announcements and surveys.
Callers import them from here (``from enablement import services``)."""

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

# --- Surveys (partner feedback) ---
from .surveys import (  # noqa: F401, E402
    SURVEY_TRANSITIONS,
    survey_answer,
    survey_close,
    survey_is_closed,
    survey_remind,
    survey_save,
    survey_send,
    surveys_remind_and_close,
)

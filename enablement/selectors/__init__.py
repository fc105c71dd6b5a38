"""Reads of enablement, one module per concern (``learning``: content, courses, certifications;
the communication modules beside it). Callers import them from here."""

# --- Announcements ---------------------------------------------------------------------------------
from .announcements import (  # noqa: E402, F401
    HOME_LIMIT,
    announcement_reach,
    announcement_state_q,
    announcements_for,
    announcements_visible,
)
from .audience import audience_q_for, audience_summary, audience_users  # noqa: E402, F401
from .learning import (  # noqa: F401
    EXPIRING_SOON_DAYS,
    attempt_list,
    attempts_left_today,
    certification_list,
    certification_of,
    certified_user_counts,
    completion_per_partner,
    content_list,
    content_visible,
    course_detail,
    course_list,
    course_progress,
    current_q,
    downloads_per_partner,
    expiring_soon,
    featured_content,
    is_required,
    learning_paths,
    my_certifications,
    team_training,
    tier_certification_status,
    verification,
)
from .newsletters import (  # noqa: F401, E402
    delivery_counts,
    newsletter_list_for,
    newsletter_opt_out_of,
    newsletter_progress,
    newsletter_receives,
    newsletters_for,
)

# --- Surveys (partner feedback) ---
from .surveys import (  # noqa: F401, E402
    invitation_for_token,
    my_survey_invitations,
    nps_per_partner,
    nps_value,
    survey_answer_token,
    survey_audience_count,
    survey_counts,
    survey_invitation_state,
    survey_is_closed,
    survey_reminder_due,
    survey_response_rows,
    survey_results,
    waiting_survey_invitations,
)

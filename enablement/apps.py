from django.apps import AppConfig


class EnablementConfig(AppConfig):
    name = "enablement"
    verbose_name = "Enablement"

    # What each staff role may do here (see prm.roles). Attempts, downloads and certifications
    # are written by services only: managers read them.
    role_permissions = {
        "manager": [
            *(
                f"enablement.{action}_{model}"
                for model in ("contentasset", "course", "lesson", "question", "choice", "learningpath", "pathstep")
                for action in ("view", "add", "change", "delete")
            ),
            "enablement.view_contentdownload",
            "enablement.view_quizattempt",
            "enablement.view_certification",
            # --- Communication: newsletters (deliveries and opt-outs are written by services) ---
            *(f"enablement.{action}_newsletter" for action in ("view", "add", "change", "delete")),
            "enablement.view_newsletterdelivery",
            "enablement.view_newsletteroptout",
            # Announcements: managers publish them (dismissals are counted on each announcement).
            *(f"enablement.{action}_announcement" for action in ("view", "add", "change", "delete")),
            # Surveys (partner feedback): managers define, send and close them; responses are read-only.
            *(
                f"enablement.{action}_{model}"
                for model in ("survey", "surveyquestion")
                for action in ("view", "add", "change", "delete")
            ),
            "enablement.view_surveyresponse",
            "enablement.view_surveyanswer",
        ],
        "finance": [],
    }

    def ready(self):
        from prm.home_panels import register_home_panel

        from .views import announcements_home_panel, home_panel, survey_home_panel

        register_home_panel(home_panel)
        register_home_panel(announcements_home_panel, position="top")
        register_home_panel(survey_home_panel)  # surveys (partner feedback)
        register_newsletter_work()


# --- Communication: newsletter sends ---
def register_newsletter_work():
    """A newsletter's send restarts when its worker dies (prm.work): unfinished = sending."""
    from prm import work

    work.register(
        work.WorkKind(
            "newsletter send",
            "enablement.Newsletter",
            lambda newsletters: newsletters.filter(status="sending"),
            "enablement.tasks.send_newsletter",
        )
    )

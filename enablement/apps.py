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
        ],
        "finance": [],
    }

    def ready(self):
        from prm.home_panels import register_home_panel

        from .views import home_panel

        register_home_panel(home_panel)
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

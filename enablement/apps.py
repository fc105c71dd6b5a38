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

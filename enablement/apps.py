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

        from .views import home_panel, survey_home_panel

        register_home_panel(home_panel)
        register_home_panel(survey_home_panel)  # surveys (partner feedback)

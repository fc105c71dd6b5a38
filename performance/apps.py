from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "performance"
    verbose_name = "Performance"

    # What each staff role may do here (see prm.roles). Tier reviews are proposed by the
    # evaluation and decided through services; QBR documents are rendered by workers.
    role_permissions = {
        "manager": [
            *(f"performance.{action}_target" for action in ("view", "add", "change", "delete")),
            *(f"performance.{action}_programcost" for action in ("view", "add", "change", "delete")),
            "performance.view_tierreview",
            "performance.change_tierreview",
            *(f"performance.{action}_quarterlyreview" for action in ("view", "add", "change")),
            "performance.view_qbrpack",
            "performance.add_qbrpack",
        ],
        "finance": [
            "performance.view_programcost",
            "performance.add_programcost",
            "performance.change_programcost",
        ],
    }

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

    def ready(self):
        register_long_work()


def register_long_work():
    """A QBR pack whose worker died is restarted by the watchdog (prm.work) and resumes."""
    from prm import work

    def rendering(packs):
        return packs.filter(status="rendering")

    work.register(work.WorkKind("QBR pack", "performance.QbrPack", rendering, "performance.tasks.render_qbr_pack"))

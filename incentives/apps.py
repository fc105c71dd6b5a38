from django.apps import AppConfig


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = "Commissions and payouts"

    role_permissions = {
        "manager": [
            "incentives.view_commissionplan",
            "incentives.add_commissionplan",
            "incentives.change_commissionplan",
            "incentives.view_commissionrule",
            "incentives.add_commissionrule",
            "incentives.change_commissionrule",
            "incentives.delete_commissionrule",
        ],
        "finance": [
            "incentives.view_commissionplan",
            "incentives.view_commissionrule",
            "incentives.view_commissionline",
            "incentives.add_commissionline",
            "incentives.view_exchangerate",
            "incentives.add_exchangerate",
            "incentives.change_exchangerate",
            "incentives.delete_exchangerate",
            "incentives.view_payoutrun",
            "incentives.add_payoutrun",
            "incentives.change_payoutrun",
            "incentives.view_payoutstatement",
        ],
    }

    def ready(self):
        from deals.signals import deal_win_reversed, deal_won

        from . import receivers

        deal_won.connect(receivers.book_commission, dispatch_uid="incentives.book_commission")
        deal_win_reversed.connect(receivers.claw_back, dispatch_uid="incentives.claw_back")
        register_long_work()


def register_long_work():
    """A payout run's calculation and the rendering of its PDFs restart when their worker dies."""
    from django.db.models import Exists, OuterRef

    from prm import work

    def calculating(runs):
        return runs.filter(status="calculating")

    def rendering(runs):
        from .models import PayoutStatement

        # A statement whose PDF does not show the run as it is now (missing, or of an earlier status).
        outdated = PayoutStatement._base_manager.filter(run=OuterRef("pk")).exclude(pdf_status=OuterRef("status"))
        return runs.filter(status__in=("calculated", "approved", "paid")).filter(Exists(outdated))

    work.register(
        work.WorkKind(
            "payout calculation", "incentives.PayoutRun", calculating, "incentives.tasks.calculate_payout_run"
        )
    )
    work.register(
        work.WorkKind("statement PDFs", "incentives.PayoutRun", rendering, "incentives.tasks.render_statement_pdfs")
    )

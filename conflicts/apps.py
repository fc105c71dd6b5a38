from django.apps import AppConfig


class ConflictsConfig(AppConfig):
    name = "conflicts"
    verbose_name = "Conflicts and disputes"

    role_permissions = {
        "manager": [
            "conflicts.view_case",
            "conflicts.change_case",
            "conflicts.view_caseparticipant",
            "conflicts.view_contestedregistration",
            "conflicts.view_casemessage",
            "conflicts.add_casemessage",
            "conflicts.view_evidencerequest",
            "conflicts.add_evidencerequest",
            "conflicts.view_evidenceanswer",
            "conflicts.view_caseattachment",
            "conflicts.view_caseoutcome",
            "conflicts.add_caseoutcome",
        ],
        "finance": [
            "conflicts.view_case",
            "conflicts.view_caseoutcome",
        ],
    }

    def ready(self):
        from deals.signals import deal_conflict_found, deal_win_reversed, deal_won

        from . import receivers

        deal_conflict_found.connect(receivers.open_case, dispatch_uid="conflicts.open_case")
        # Connected after incentives (PROJECT_APPS order): the win's accruals are booked first.
        deal_won.connect(receivers.book_splits, dispatch_uid="conflicts.book_splits")
        deal_win_reversed.connect(receivers.reverse_splits, dispatch_uid="conflicts.reverse_splits")

from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "deals"
    verbose_name = "Deal registration"

    role_permissions = {
        "manager": [
            "deals.view_dealregistration",
            "deals.change_dealregistration",
            "deals.view_conflictmatch",
            "deals.view_extensionrequest",
            "deals.change_extensionrequest",
        ],
        "finance": [
            "deals.view_dealregistration",
        ],
    }

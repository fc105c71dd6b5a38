from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = "Channel marketing"

    # What each staff role may do here (see prm.roles). Managers allocate funds, decide fund
    # requests, keep the routing rules and pass leads; finance decides claims (four eyes with the
    # manager who approved the request) and sees the funds. Requests and claims come from the
    # portal; offers are made by the routing; locator profiles are the partners' own.
    role_permissions = {
        "manager": [
            *(f"marketing.{action}_fundtierrule" for action in ("view", "add", "change", "delete")),
            *(f"marketing.{action}_fundallocation" for action in ("view", "add", "change")),
            "marketing.view_fundrequest",
            "marketing.change_fundrequest",
            "marketing.view_fundclaim",
            "marketing.view_claimproof",
            *(f"marketing.{action}_routingrule" for action in ("view", "add", "change", "delete")),
            *(f"marketing.{action}_lead" for action in ("view", "add", "change")),
            "marketing.view_leadoffer",
            "marketing.view_locatorprofile",
            "marketing.change_locatorprofile",
        ],
        "finance": [
            "marketing.view_fundallocation",
            "marketing.view_fundrequest",
            "marketing.view_fundclaim",
            "marketing.change_fundclaim",
            "marketing.view_claimproof",
        ],
    }

from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners"

    # What each staff role may do here (see prm.roles).
    role_permissions = {
        "manager": [
            "partners.view_tier",
            "partners.add_tier",
            "partners.change_tier",
            "partners.view_partner",
            "partners.add_partner",
            "partners.change_partner",
            "partners.view_user",
            "partners.change_user",
            "partners.view_invitation",
            "partners.add_invitation",
        ],
        "finance": [
            "partners.view_tier",
            "partners.view_partner",
        ],
    }

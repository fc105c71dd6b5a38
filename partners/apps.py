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
            "partners.view_invitation",
            "partners.add_invitation",
            "partners.view_application",
            "partners.change_application",
            "partners.view_fitcriterion",
            "partners.add_fitcriterion",
            "partners.change_fitcriterion",
            "partners.delete_fitcriterion",
            "partners.view_onboardingtasktemplate",
            "partners.add_onboardingtasktemplate",
            "partners.change_onboardingtasktemplate",
            "partners.delete_onboardingtasktemplate",
            "partners.view_onboardingtask",
            "partners.change_onboardingtask",
            "partners.view_agreement",
            "partners.add_agreement",
            "partners.change_agreement",
            "partners.view_agreementsignature",
            "partners.view_tierchange",
        ],
        "finance": [
            "partners.view_tier",
            "partners.view_partner",
            "partners.view_payoutdetails",
            "partners.change_payoutdetails",
            "partners.view_agreementsignature",
        ],
    }

    def ready(self):
        from allauth.account.signals import password_changed, password_set
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from prm.portal import register_organization_loader

        from . import selectors, sessions

        register_organization_loader(selectors.partner_of)
        user_logged_in.connect(sessions.on_signed_in, dispatch_uid="partners.sessions.signed_in")
        user_logged_out.connect(sessions.on_signed_out, dispatch_uid="partners.sessions.signed_out")
        for name, signal in (("password_changed", password_changed), ("password_set", password_set)):
            signal.connect(sessions.on_password_changed, dispatch_uid=f"partners.sessions.{name}")

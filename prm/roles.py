"""Roles of the product and the staff permission groups that carry them.

A user has exactly one role. Staff roles (admin, manager, finance) map to Django groups whose
permissions drive the admin; ``admin`` is a superuser. Partner roles (partner_admin, partner_rep)
belong to a member of exactly one partner organization.

Each app declares what each staff role may do with its models as ``role_permissions`` on its
AppConfig (``{"manager": ["partners.change_partner", ...]}``); after every migration the groups
are brought in line with those declarations, so permissions live beside the models they guard.
"""

from django.apps import apps
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Program admin"
    MANAGER = "manager", "Partner manager"
    FINANCE = "finance", "Finance"
    PARTNER_ADMIN = "partner_admin", "Partner admin"
    PARTNER_REP = "partner_rep", "Partner rep"


STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.FINANCE})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_REP})
# Who decides on partners, deals and cases; who handles money. The program admin does both.
MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)
FINANCE_ROLES = (Role.FINANCE, Role.ADMIN)
# Roles whose permissions come from a group (admin is a superuser and needs none).
GROUP_ROLES = (Role.MANAGER, Role.FINANCE)


def declared_role_permissions() -> dict[str, set[str]]:
    """Collect ``role_permissions`` from every installed app: role -> {"app_label.codename"}."""
    declared: dict[str, set[str]] = {role: set() for role in GROUP_ROLES}
    for config in apps.get_app_configs():
        for role, perms in getattr(config, "role_permissions", {}).items():
            declared.setdefault(role, set()).update(perms)
    return declared


def sync_role_groups(app_config=None, using="default", **kwargs) -> None:
    """Create the staff groups and give each exactly the permissions the apps declare.

    Connected to ``post_migrate``, which is sent once per app: act on the last app only, when
    every app's permissions exist.
    """
    from django.contrib.auth.models import Group, Permission

    if app_config is not None and app_config is not list(apps.get_app_configs())[-1]:
        return

    for role, perms in declared_role_permissions().items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = []
        for perm in sorted(perms):
            app_label, codename = perm.split(".", 1)
            wanted.append((app_label, codename))
        permission_ids = [
            p.id
            for p in Permission.objects.using(using)
            .select_related("content_type")
            .filter(codename__in=[codename for _, codename in wanted])
            if (p.content_type.app_label, p.codename) in wanted
        ]
        group.permissions.set(permission_ids)


def require_role(user, *roles: str, action: str) -> None:
    """Raise PermissionDenied (403) unless ``user`` has one of ``roles``."""
    from django.core.exceptions import PermissionDenied

    if not (user and user.is_authenticated and user.is_active and user.role in roles):
        allowed = " or ".join(sorted(roles))
        raise PermissionDenied(f"Only {allowed} users may {action}.")

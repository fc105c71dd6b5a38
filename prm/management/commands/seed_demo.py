from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from prm import mail
from prm.scoping import scopes_disabled


class Command(BaseCommand):
    help = (
        "Load the demo data (accounts, partners and everything each app shows). "
        "Running it twice changes nothing. Each app contributes its own `demo.seed()`, "
        "called in the order of PROJECT_APPS so later stages build on earlier ones."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load even when DEBUG is off.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already has users (make run)."
        )

    def handle(self, *args, force, if_empty, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this looks like production. Use --force to load demo data anyway.")
        if if_empty and get_user_model().objects.exists():
            self.stdout.write("The database already holds data: demo data not loaded.")
            return
        # Demo data mails nobody: its invitations and notifications are not sent.
        with transaction.atomic(), scopes_disabled(), mail.suppressed():
            for app in settings.PROJECT_APPS:
                if find_spec(f"{app}.demo"):
                    import_module(f"{app}.demo").seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data is loaded. Password for every demo account: prm-demo-2026"))

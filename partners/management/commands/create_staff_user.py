import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from prm.roles import STAFF_ROLES

from ...services import staff_user_save


class Command(BaseCommand):
    help = "Create or update a staff user with one role: manager, finance or admin."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=sorted(STAFF_ROLES))
        parser.add_argument("--password", help="Omit to be asked (or to keep the current one).")
        parser.add_argument("--name", default="", help="Full name.")

    def handle(self, *args, email, role, password, name, **options):
        if password is None and sys.stdin is not None and sys.stdin.isatty():
            password = getpass.getpass("Password (empty to leave unchanged): ") or None
        try:
            user = staff_user_save(email=email, role=role, password=password, full_name=name)
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        self.stdout.write(self.style.SUCCESS(f"{user.email} is now {role}."))

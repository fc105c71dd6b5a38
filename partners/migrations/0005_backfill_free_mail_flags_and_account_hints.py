"""Existing rows get what new ones are given on save: the free-mail flag of applications and
the masked account of payout details (the history keeps the mask, never the numbers)."""

from django.db import migrations


def _mask(value: str, keep_start: int) -> str:
    # The rule of partners.models.mask_number, frozen here as migrations must be.
    value = (value or "").replace(" ", "")
    if not value:
        return ""
    hidden = "•••• ••••" if keep_start else "••••"
    if len(value) <= keep_start + 4:
        keep_start, hidden = 0, "••••"
    end = value[-4:] if len(value) > 4 else value[-2:]
    return " ".join(part for part in (value[:keep_start], hidden, end) if part)


def backfill(apps, schema_editor):
    from prm.domains import is_free_mail

    Application = apps.get_model("partners", "Application")
    for application in Application.objects.only("pk", "contact_email").iterator():
        if is_free_mail(application.contact_email):
            Application.objects.filter(pk=application.pk).update(free_mail_contact=True)
    PayoutDetails = apps.get_model("partners", "PayoutDetails")
    for details in PayoutDetails.objects.all().iterator():
        if details.method == "iban":
            hint = _mask(details.iban, 4)
        elif details.method == "us_ach":
            hint = _mask(details.account_number, 0)
        else:
            hint = details.paypal_email
        PayoutDetails.objects.filter(pk=details.pk).update(account_hint=hint[:60])


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0004_lifecycle_bank_details_private_free_mail_flag"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]

"""A reimbursement kind of ledger line (market development funds), which needs a longer column.

SQLite alters a column by rebuilding the table, which drops its triggers: the ledger's
append-only and date-order triggers (0002) are created again after the rebuild, both ways.
PostgreSQL alters the column in place and keeps them.
"""

from django.db import migrations, models

SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS commissionline_append_only",
    "DROP TRIGGER IF EXISTS commissionline_in_date_order",
    """
    CREATE TRIGGER commissionline_append_only BEFORE UPDATE ON incentives_commissionline
    BEGIN SELECT RAISE(ABORT, 'Commission lines are append-only: book a correcting line instead.'); END
    """,
    """
    CREATE TRIGGER commissionline_in_date_order BEFORE INSERT ON incentives_commissionline
    WHEN NEW.booked_on < (SELECT max(booked_on) FROM incentives_commissionline)
    BEGIN SELECT RAISE(ABORT, 'Commission lines are booked in date order.'); END
    """,
]


def sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("incentives", "0005_statement_documents_snapshot_and_run_zip"),
    ]

    operations = [
        # Reversed, this runs last: after the column's rebuild back to 12 characters.
        migrations.RunPython(migrations.RunPython.noop, sqlite_triggers),
        migrations.AlterField(
            model_name="commissionline",
            name="kind",
            field=models.CharField(
                choices=[
                    ("accrual", "Accrual"),
                    ("adjustment", "Adjustment"),
                    ("clawback", "Clawback"),
                    ("reimbursement", "MDF reimbursement"),
                ],
                max_length=15,
            ),
        ),
        migrations.RunPython(sqlite_triggers, migrations.RunPython.noop),
    ]

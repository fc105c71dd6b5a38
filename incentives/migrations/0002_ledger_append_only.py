"""The database itself keeps the commission ledger append-only and in date order.

- no UPDATE (and on PostgreSQL no DELETE) of a line, whatever code runs: corrections are new lines;
- a line is never booked before the last booked line, so ids grow with booking dates and a
  payout statement can name its lines by an id range (incentives.models.PayoutStatement).
SQLite keeps DELETE possible because Django's test flush empties tables with DELETE.
"""

from django.db import migrations

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION prm_commissionline_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'Commission lines are append-only: book a correcting line instead.';
    END; $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER commissionline_append_only BEFORE UPDATE OR DELETE ON incentives_commissionline
    FOR EACH ROW EXECUTE FUNCTION prm_commissionline_append_only()
    """,
    """
    CREATE OR REPLACE FUNCTION prm_commissionline_in_date_order() RETURNS trigger AS $$
    BEGIN
        IF NEW.booked_on < (SELECT max(booked_on) FROM incentives_commissionline) THEN
            RAISE EXCEPTION 'Commission lines are booked in date order: % is before the last booked line.', NEW.booked_on;
        END IF;
        RETURN NEW;
    END; $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER commissionline_in_date_order BEFORE INSERT ON incentives_commissionline
    FOR EACH ROW EXECUTE FUNCTION prm_commissionline_in_date_order()
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS commissionline_append_only ON incentives_commissionline",
    "DROP TRIGGER IF EXISTS commissionline_in_date_order ON incentives_commissionline",
    "DROP FUNCTION IF EXISTS prm_commissionline_append_only()",
    "DROP FUNCTION IF EXISTS prm_commissionline_in_date_order()",
]
SQLITE = [
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
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS commissionline_append_only",
    "DROP TRIGGER IF EXISTS commissionline_in_date_order",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("incentives", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]

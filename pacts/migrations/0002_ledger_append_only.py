"""On PostgreSQL the reciprocity ledger is append-only: its transactions and entries can
be inserted, never updated or deleted (a correction is a reversal transaction). The
anonymisation of a file keeps its ledger rows, which name no one but the account."""

from django.db import migrations

TABLES = ("pacts_ledgertransaction", "pacts_ledgerentry")

FUNCTION = """
CREATE OR REPLACE FUNCTION pacts_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the reciprocity ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION pacts_ledger_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS pacts_ledger_append_only()")


class Migration(migrations.Migration):
    dependencies = [("pacts", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

"""The append-only ledger gets one door: while ``pacts.ledger_anonymise`` is on (set
LOCAL by the anonymisation of a file, for its own transaction), an UPDATE of a
transaction that changes nothing but its free-text description is let through. Every
other UPDATE, and every DELETE, is still refused."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION pacts_ledger_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND TG_TABLE_NAME = 'pacts_ledgertransaction'
       AND current_setting('pacts.ledger_anonymise', true) = 'on'
       AND (to_jsonb(NEW) - 'description') = (to_jsonb(OLD) - 'description') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the reciprocity ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION pacts_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the reciprocity ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS, params=None)


class Migration(migrations.Migration):
    dependencies = [("pacts", "0002_ledger_append_only")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

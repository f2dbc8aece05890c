"""On PostgreSQL, audit rows can be inserted and never changed; deleted only by the
retention job, which switches ``legami.audit_purge`` on for its own transaction.

TRUNCATE is left alone: the test suite's flush needs it, and it is an owner-level
operation that the application never issues (a production database role for the app
should not own the tables; see docs/ACCESS.md)."""

from django.db import migrations

TABLES = ("legami_changeevent", "legami_accessevent")

FUNCTION = """
CREATE OR REPLACE FUNCTION legami_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('legami.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)  # the body has literal % signs
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION legami_audit_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS legami_audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("legami", "0002_audit")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

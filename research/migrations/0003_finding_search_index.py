"""The GIN index of the findings library's full-text search, on PostgreSQL only (the
SQLite quick start searches without it). Built from ``research.search.search_vector``,
the expression the search itself uses, so the two cannot drift apart."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.contrib.postgres.indexes import GinIndex

    from research.search import INDEX_NAME, search_config, search_vector

    search_config.cache_clear()
    Finding = apps.get_model("research", "Finding")
    schema_editor.add_index(Finding, GinIndex(search_vector(search_config()), name=INDEX_NAME))


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name('research_finding_search')}")


class Migration(migrations.Migration):
    dependencies = [("research", "0002_pathway_phases_workshops_library")]

    operations = [migrations.RunPython(create_index, drop_index)]

"""PostgreSQL: the search index's GIN index without its pending list (``fastupdate = off``).

With the pending list, the texts the indexer writes wait in an unsorted list until it passes
``gin_pending_list_limit`` (4 MB) or a vacuum comes, which on a million documents autovacuum does
only after 200,000 changes; every search using the index reads the whole list meanwhile. After the
intake and API benchmarks' 4,000 messages on the loaded million the list held 3,932 documents in
204 pages. Without it each text goes into the index as the indexer writes it, in the worker, off
every request's path."""

from django.db import migrations


def without_pending_list(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ALTER INDEX tickets_search_document_gin SET (fastupdate = off)")
        # What waits in the list now goes into the index (fastupdate off only stops new entries).
        cursor.execute("SELECT gin_clean_pending_list('tickets_search_document_gin'::regclass)")


def with_pending_list(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ALTER INDEX tickets_search_document_gin RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0015_pending_arrival"),
    ]

    operations = [migrations.RunPython(without_pending_list, with_pending_list)]

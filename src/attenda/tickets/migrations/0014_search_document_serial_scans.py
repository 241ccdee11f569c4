"""PostgreSQL reads the search documents in the searching connection's own process, never with
parallel workers. An agent's search for a common word reads the newest few thousand documents along
the primary key and stops after 200 matches of the team: 4 ms of work. PostgreSQL planned it as a
parallel scan, and starting the worker cost 20 ms more than the work (the statement took 26 ms on
the million); a desk's searches are many and small, where parallel workers only pay off for a few
long ones."""

from django.db import migrations


def serial(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE tickets_search_document SET (parallel_workers = 0)")


def parallel(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE tickets_search_document RESET (parallel_workers)")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0013_social_delivered"),
    ]

    operations = [migrations.RunPython(serial, parallel)]

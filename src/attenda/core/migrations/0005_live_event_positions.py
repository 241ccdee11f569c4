"""Live events placed in the order their transactions commit (``LiveEvent.position``).

Pages read the events after the last one they heard. By id that loses events on PostgreSQL: ids
are taken as rows are written, and of two transactions the one that wrote first may commit last,
after a page has heard the other's event and moved past its id. (On SQLite one writer at a time
commits in id order.) The position is given at commit instead: on PostgreSQL a deferred trigger
takes a transaction lock and the next number as the transaction commits, so each later position
is given after every earlier one is visible; on SQLite a trigger copies the id. A later migration
that makes SQLite rebuild the table (most changes to its columns do) loses the trigger and must
create it again: tests/core/test_live.py's test_every_committed_event_has_its_place fails until it
does."""

from django.db import migrations, models

POSTGRESQL = [
    "UPDATE core_liveevent SET position = id",
    "CREATE SEQUENCE core_liveevent_position_seq AS bigint",
    "SELECT setval('core_liveevent_position_seq', "
    "COALESCE((SELECT max(id) FROM core_liveevent), 0) + 1, false)",
    # The lock's key is "live" in ASCII (0x6C697665).
    """
    CREATE FUNCTION core_liveevent_place() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(1818850917);
        UPDATE core_liveevent SET position = nextval('core_liveevent_position_seq')
        WHERE id = NEW.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE CONSTRAINT TRIGGER core_liveevent_placed AFTER INSERT ON core_liveevent
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION core_liveevent_place()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER core_liveevent_placed ON core_liveevent",
    "DROP FUNCTION core_liveevent_place()",
    "DROP SEQUENCE core_liveevent_position_seq",
]
SQLITE = [
    "UPDATE core_liveevent SET position = id",
    """
    CREATE TRIGGER core_liveevent_placed AFTER INSERT ON core_liveevent
    BEGIN
        UPDATE core_liveevent SET position = NEW.id WHERE id = NEW.id;
    END
    """,
]
SQLITE_REVERSE = ["DROP TRIGGER core_liveevent_placed"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            for statement in statements_by_vendor[schema_editor.connection.vendor]:
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_worker_lease"),
    ]

    operations = [
        migrations.AddField(
            model_name="liveevent",
            name="position",
            field=models.BigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.RemoveIndex(model_name="liveevent", name="core_liveevent_stream_id"),
        migrations.AddIndex(
            model_name="liveevent",
            index=models.Index(
                fields=["stream", "position"], name="core_liveevent_stream_position"
            ),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]

"""PostgreSQL plans a statement once when a connection runs it again (settings.py)."""

import json

import pytest
from django.db import connection

from attenda.agents.models import Team
from tests.test_settings import django_in

OPTIONS = "import django; django.setup(); from django.conf import settings; import json; print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
POSTGRES = "postgres://postgres@127.0.0.1:5432/attenda_not_connected"


@pytest.mark.django_db
def test_a_statement_run_again_on_a_connection_is_prepared_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("Prepared statements are PostgreSQL's.")
    for _ in range(7):
        list(Team.objects.filter(name="Billing"))

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]

    assert any('FROM "agents_team"' in statement for statement in prepared), prepared


def test_prepared_statements_are_on_by_default_and_can_be_turned_off(tmp_path):
    default = django_in(tmp_path, "-c", OPTIONS, DATABASE_URL=POSTGRES)
    turned_off = django_in(
        tmp_path, "-c", OPTIONS, DATABASE_URL=POSTGRES, ATTENDA_DB_PREPARED_STATEMENTS="false"
    )

    assert json.loads(default.stdout) | {"pool": None} == {
        "pool": None,
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    assert "prepare_threshold" not in json.loads(turned_off.stdout)
    assert "server_side_binding" not in json.loads(turned_off.stdout)

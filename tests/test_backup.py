"""`attenda backup` and `attenda restore`: an installation restored into a fresh one has the same
rows in every table and the same stored files, on the engine the tests run on (SQLite, or
PostgreSQL with DATABASE_URL)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings

COUNTS = (
    "import json, django; django.setup();"
    "from attenda.core.backup import file_hashes, files_root, table_counts;"
    "print(json.dumps({'tables': table_counts(), 'files': file_hashes(files_root())}))"
)


@pytest.fixture
def fresh_databases():
    """Two empty PostgreSQL databases, dropped afterwards; None, None on SQLite, where each data
    directory holds its database."""
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        yield None, None
        return
    server = {
        "host": database["HOST"] or "127.0.0.1",
        "port": database["PORT"] or 5432,
        "user": database["USER"],
        "password": database["PASSWORD"] or None,
    }
    names = [f"attenda_backup_{secrets.token_hex(4)}" for _copy in range(2)]
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        for name in names:
            connection.execute(f'CREATE DATABASE "{name}"')
    credentials = server["user"] + (f":{server['password']}" if server["password"] else "")
    yield tuple(
        f"postgres://{credentials}@{server['host']}:{server['port']}/{name}" for name in names
    )
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        for name in names:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def instance(data_dir: Path, database_url: str | None) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ATTENDA_") and name != "DATABASE_URL"
    }
    environment["ATTENDA_DATA_DIR"] = str(data_dir)
    environment["DJANGO_SETTINGS_MODULE"] = "attenda.settings"
    if database_url:
        environment["DATABASE_URL"] = database_url
    return environment


def attenda(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("attenda")), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def contents(environment: dict[str, str]) -> dict:
    finished = subprocess.run(
        [sys.executable, "-c", COUNTS], env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(finished.stdout)


def test_a_backup_restored_into_a_fresh_instance_has_every_row_and_file(tmp_path, fresh_databases):
    original = instance(tmp_path / "original", fresh_databases[0])
    restored = instance(tmp_path / "restored", fresh_databases[1])
    loaded = attenda(original, "demo", "--customers", "20", "--tickets", "40")
    assert loaded.returncode == 0, loaded.stderr
    attachments = tmp_path / "original" / "files" / "attachments" / "2026" / "03"
    attachments.mkdir(parents=True)
    (attachments / "fatura.pdf").write_bytes(secrets.token_bytes(70_000))
    (tmp_path / "original" / "files" / "contrato.txt").write_text("Contrato de serviço nº 42\n")
    before = contents(original)

    backed_up = attenda(original, "backup", str(tmp_path / "backup"))
    put_back = attenda(restored, "restore", str(tmp_path / "backup"))
    after = contents(restored)
    again = attenda(restored, "restore", str(tmp_path / "backup"))

    assert backed_up.returncode == 0, backed_up.stderr
    assert put_back.returncode == 0, put_back.stderr
    assert before["tables"]["tickets_ticket"] == 40
    assert before["tables"]["agents_agent"] == 10
    assert sorted(before["files"]) == ["attachments/2026/03/fatura.pdf", "contrato.txt"]
    assert after == before
    assert (
        json.loads((tmp_path / "backup" / "manifest.json").read_text())["tables"]
        == before["tables"]
    )
    assert again.returncode == 1
    assert "already has data" in again.stderr


def test_a_backup_is_refused_into_a_folder_that_is_not_empty(tmp_path, fresh_databases):
    original = instance(tmp_path / "original", fresh_databases[0])
    assert attenda(original, "manage", "migrate", "-v", "0").returncode == 0
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "notes.txt").write_text("keep me")

    refused = attenda(original, "backup", str(tmp_path / "backup"))

    assert refused.returncode == 1
    assert "is not empty" in refused.stderr
    assert (tmp_path / "backup" / "notes.txt").read_text() == "keep me"

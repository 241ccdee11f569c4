"""Backing up and restoring a whole installation: the database (SQLite's online backup API, or
pg_dump/pg_restore for PostgreSQL) and the stored files, with a manifest of what was taken.

A backup is a folder:

    manifest.json       engine, when, the row count of every table and the SHA-256 of every file
    database.sqlite3    (SQLite) a consistent copy taken while Attenda runs
    database.pgdump     (PostgreSQL) pg_dump's custom format
    files/              ATTENDA_DATA_DIR/files as it was
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from attenda.core import clock

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
FILES = "files"
FORMAT = 1


class BackupError(Exception):
    """Something a person must fix before the backup or restore can go on; the message says what."""


@dataclass(frozen=True)
class Database:
    engine: str  # "sqlite" or "postgresql"
    settings: dict[str, Any]

    @classmethod
    def configured(cls) -> "Database":
        database = settings.DATABASES["default"]
        engine = "sqlite" if database["ENGINE"].endswith("sqlite3") else "postgresql"
        if engine == "postgresql" and not database["ENGINE"].endswith("postgresql"):
            raise BackupError(f"Backups support SQLite and PostgreSQL, not {database['ENGINE']}.")
        return cls(engine=engine, settings=database)

    def libpq_environment(self) -> dict[str, str]:
        """pg_dump and pg_restore read where to connect from the environment: the password stays
        out of the process list."""
        given = {
            "PGHOST": self.settings.get("HOST") or "",
            "PGPORT": str(self.settings.get("PORT") or ""),
            "PGUSER": self.settings.get("USER") or "",
            "PGPASSWORD": self.settings.get("PASSWORD") or "",
            "PGDATABASE": self.settings["NAME"],
        }
        return {**os.environ, **{name: value for name, value in given.items() if value}}


def files_root() -> Path:
    return Path(settings.STORAGES["default"]["OPTIONS"]["location"])


def file_hashes(root: Path) -> dict[str, str]:
    hashes = {}
    if root.exists():
        for path in sorted(root.rglob("*")):
            if path.is_file():
                digest = hashlib.sha256()
                with path.open("rb") as stored:
                    for block in iter(lambda: stored.read(1 << 20), b""):
                        digest.update(block)
                hashes[path.relative_to(root).as_posix()] = digest.hexdigest()
    return hashes


def table_counts() -> dict[str, int]:
    """Rows in every table of the configured database (the manifest's check on a restore)."""
    with connection.cursor() as cursor:
        return _counts(cursor, connection.introspection.table_names(cursor, include_views=False))


def _counts(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        quoted = '"' + table.replace('"', '""') + '"'
        cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608 - names from the database's catalogue.
        counts[table] = cursor.fetchone()[0]
    return counts


def _sqlite_file_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as copy:
        cursor = copy.cursor()
        tables = [
            name
            for (name,) in cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        counts = _counts(cursor, tables)
    copy.close()
    return counts


def _run(command: list[str], environment: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not installed; install PostgreSQL's client programs "
            "(Debian: apt-get install postgresql-client), of the server's version or later."
        )
    finished = subprocess.run(command, env=environment, capture_output=True, text=True)  # noqa: S603
    if finished.returncode != 0:
        raise BackupError(f"{command[0]} failed: {finished.stderr.strip()}")


def backup(destination: Path) -> dict[str, Any]:
    """Writes a backup into ``destination``, a folder that must not exist yet or be empty."""
    database = Database.configured()
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty; give a new folder.")
    destination.mkdir(parents=True, exist_ok=True)
    started_at = clock.now()
    if database.engine == "sqlite":
        connection.ensure_connection()
        # The online backup API copies a consistent snapshot while others keep writing.
        with sqlite3.connect(destination / SQLITE_FILE) as copy:
            connection.connection.backup(copy)
        copy.close()
        counts = _sqlite_file_counts(destination / SQLITE_FILE)
    else:
        # pg_dump reads the snapshot this transaction exported, so the counts are of what it saved.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            [snapshot] = cursor.fetchone()
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    "--file",
                    str(destination / PG_FILE),
                ],
                database.libpq_environment(),
            )
            counts = table_counts()
    if (root := files_root()).exists():
        shutil.copytree(root, destination / FILES)
    else:
        (destination / FILES).mkdir()
    manifest = {
        "format": FORMAT,
        "engine": database.engine,
        "started_at": started_at.isoformat(),
        "finished_at": clock.now().isoformat(),
        "tables": counts,
        "files": file_hashes(destination / FILES),
    }
    (destination / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def _read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{source} holds no readable {MANIFEST}: {error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is a backup of an unknown format {manifest.get('format')}.")
    return manifest


def _has_tables() -> bool:
    with connection.cursor() as cursor:
        return bool(connection.introspection.table_names(cursor))


def restore(source: Path, *, replace: bool = False) -> dict[str, Any]:
    """Puts a backup back into the configured database and file store. An installation that
    already has data is replaced only when ``replace`` says so."""
    manifest = _read_manifest(source)
    database = Database.configured()
    if manifest["engine"] != database.engine:
        raise BackupError(
            f"This is a backup of a {manifest['engine']} database; "
            f"DATABASE_URL points to {database.engine}."
        )
    if not replace and (_has_tables() or any(file_hashes(files_root()))):
        raise BackupError(
            "This installation already has data; restore into an empty one, "
            "or add --replace to overwrite it."
        )
    copied = file_hashes(source / FILES)
    if copied != manifest["files"]:
        raise BackupError("The backup's files differ from its manifest; it is damaged.")
    if database.engine == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(source / SQLITE_FILE) as saved:
            saved.backup(connection.connection)
        saved.close()
    else:
        command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
        if replace:
            command += ["--clean", "--if-exists"]
        _run(
            [*command, "--dbname", database.settings["NAME"], str(source / PG_FILE)],
            database.libpq_environment(),
        )
    connection.close()
    root = files_root()
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(source / FILES, root)
    if file_hashes(root) != manifest["files"]:
        raise BackupError(f"The files copied into {root} differ from the backup's.")
    return manifest

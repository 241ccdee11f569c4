"""Where the benchmark data lives and how a run connects to it: a SQLite file under
benchmarks/results/ and a PostgreSQL database of its own, both apart from any working Attenda."""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

RESULTS = Path(__file__).resolve().parent / "results"
SQLITE_URL = f"sqlite:///{RESULTS / 'bench.db'}"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/attenda_bench"


def configure(database_url: str) -> None:
    """Points Django at the benchmark database and starts it. Must run before any model import."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    os.environ.setdefault("ATTENDA_DATA_DIR", str(RESULTS / "data"))
    os.environ.setdefault("ATTENDA_SECRET_KEY", "benchmark-only-not-a-secret")
    os.environ.setdefault("ATTENDA_TASK_BACKEND", "immediate")
    # WhiteNoise warns at start-up when the static root is missing; nothing is collected there.
    (Path(os.environ["ATTENDA_DATA_DIR"]) / "static").mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


def engine_name(database_url: str) -> str:
    scheme = urlsplit(database_url).scheme
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgres", "postgresql", "pgsql"):
        return "postgresql"
    raise ValueError(f"Benchmarks run on sqlite:// or postgres:// URLs, not {database_url!r}.")


def label(database_url: str) -> str:
    """Names this database's result files: the engine for the standard benchmark databases, the
    engine and the database's own name for any other."""
    engine = engine_name(database_url)
    if engine == "sqlite":
        path = sqlite_path(database_url)
        return engine if path == sqlite_path(SQLITE_URL) else f"{engine}-{path.stem}"
    name = urlsplit(database_url).path.lstrip("/")
    return engine if name == urlsplit(POSTGRES_URL).path.lstrip("/") else f"{engine}-{name}"


def sqlite_path(database_url: str) -> Path:
    return Path(urlsplit(database_url).path.removeprefix("/")).resolve()


def _maintenance_url(database_url: str) -> tuple[str, str]:
    """The server's `postgres` database (to create and drop ours from) and our database's name."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), name


def exists(database_url: str) -> bool:
    if engine_name(database_url) == "sqlite":
        return sqlite_path(database_url).exists()
    import psycopg

    server, name = _maintenance_url(database_url)
    with psycopg.connect(server, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return found.fetchone() is not None


def drop(database_url: str) -> None:
    if engine_name(database_url) == "sqlite":
        path = sqlite_path(database_url)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    server, name = _maintenance_url(database_url)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def recreate(database_url: str) -> None:
    """Starts from nothing: the SQLite file and its journals go, the PostgreSQL database is remade."""
    drop(database_url)
    if engine_name(database_url) == "sqlite":
        sqlite_path(database_url).parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg
    from psycopg import sql

    server, name = _maintenance_url(database_url)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

"""The `attenda` command: loading the demo desk, creating an admin, and a server that starts on a
fresh data directory, answers, and stops cleanly with everything it started."""

import os
import secrets
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse

from attenda.agents.models import Agent, AssignmentMode, Role, Team
from attenda.channels.email.models import Mailbox
from attenda.cli import main
from attenda.core import clock
from attenda.customers.models import Customer
from attenda.routing.models import ServiceLevelPolicy, TeamCalendar
from attenda.routing.services import sweep
from attenda.tickets.models import Channel, Kind, Status, Ticket

STRONG_PASSWORD = "lantern-orbit-meadow-42"


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_attenda_demo_loads_the_whole_desk(db, data_dir, capsys):
    exit_code = main(["demo"])

    printed = capsys.readouterr().out
    assert exit_code == 0
    assert (
        Team.objects.count(),
        Agent.objects.count(),
        Customer.objects.count(),
        Ticket.objects.count(),
    ) == (3, 10, 300, 2000)
    assert [Agent.objects.filter(role=role).count() for role in Role] == [6, 2, 2]
    assert set(Ticket.objects.values_list("kind", flat=True)) == set(Kind.values)
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(Ticket.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert set(Ticket.objects.values_list("language", flat=True)) == {"pt", "es", "ro", "pl", "en"}
    password = (data_dir / "demo-password").read_text()
    assert (
        "Demo: sign in as emily (admin), javier (supervisor) or joao (agent)"
        f" with the password {password}." in printed
    )
    # A desk that works: hours, service levels and automatic assignment set; deadlines mostly ahead.
    open_tickets = Ticket.objects.filter(
        status__in=["new", "open", "waiting_on_customer", "waiting_on_third_party"]
    )
    missed = open_tickets.filter(legal_deadline__lt=clock.now()).count()
    assert missed <= open_tickets.count() * 0.02
    assert ServiceLevelPolicy.objects.count() == TeamCalendar.objects.count() == 3
    # The first sweep escalates a few tickets at risk, not the history's settled ones.
    assert sweep() <= open_tickets.count() * 0.05
    assert not Team.objects.filter(assignment_mode=AssignmentMode.MANUAL).exists()
    assert Mailbox.objects.filter(address="support@lumen.example").exists()
    # The admin suggested first reads English and finds tickets of her own.
    emily = Agent.objects.get(username="emily")
    assert emily.language == "en"
    assert Ticket.objects.filter(owner=emily, status__in=["new", "open"]).exists()


def test_attenda_demo_a_second_time_changes_nothing(db, data_dir, capsys):
    main(["demo", "--customers", "20", "--tickets", "60"])
    counts = (Customer.objects.count(), Ticket.objects.count())

    exit_code = main(["demo"])

    assert exit_code == 0
    assert "The demo data is already loaded; nothing was changed." in capsys.readouterr().out
    assert (Customer.objects.count(), Ticket.objects.count()) == counts == (20, 60)


def test_attenda_createadmin_makes_an_admin_who_can_sign_in(db, client):
    exit_code = main(["createadmin", "ana", "ana@example.com", "--password", STRONG_PASSWORD])

    admin = Agent.objects.get(username="ana")
    assert exit_code == 0
    assert (admin.role, admin.email, admin.is_active) == (Role.ADMIN, "ana@example.com", True)
    signed_in = client.post(reverse("login"), {"username": "ana", "password": STRONG_PASSWORD})
    assert (signed_in.status_code, signed_in["Location"]) == (302, reverse("inbox"))


def test_attenda_createadmin_refuses_a_weak_password_and_creates_nobody(db, capsys):
    exit_code = main(["createadmin", "ana", "ana@example.com", "--password", "12345678"])

    assert exit_code == 1
    assert "This password is too common." in capsys.readouterr().err
    assert not Agent.objects.exists()


def test_attenda_createadmin_refuses_a_username_that_is_taken(db, agent, capsys):
    exit_code = main(["createadmin", "ana", "other@example.com", "--password", STRONG_PASSWORD])

    assert exit_code == 1
    assert capsys.readouterr().err == "An agent named ana already exists.\n"
    assert Agent.objects.get(username="ana").role == Role.AGENT


def test_attenda_manage_passes_commands_to_django(capsys):
    exit_code = main(["manage", "check"])

    assert exit_code == 0
    assert capsys.readouterr().out == "System check identified no issues (0 silenced).\n"


@pytest.fixture
def fresh_database_url():
    """None on SQLite, where the data directory holds the database; on PostgreSQL, an empty
    database of its own, dropped afterwards."""
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        yield None
        return
    name = f"attenda_serve_{secrets.token_hex(4)}"
    server = {
        "host": database["HOST"] or "127.0.0.1",
        "port": database["PORT"] or 5432,
        "user": database["USER"],
        "password": database["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    credentials = server["user"] + (f":{server['password']}" if server["password"] else "")
    yield f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a local http URL.
        return response.status, response.read()


def processes_using(data_dir: Path) -> list[int]:
    """Processes whose environment names this data directory: the server and what it started."""
    marker = f"ATTENDA_DATA_DIR={data_dir}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def _command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return []


def test_attenda_serve_starts_on_a_fresh_data_directory_answers_and_stops_cleanly(
    tmp_path, fresh_database_url
):
    port = free_port()
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ATTENDA_") and name != "DATABASE_URL"
    }
    environment["ATTENDA_DATA_DIR"] = str(tmp_path)
    if fresh_database_url:
        environment["DATABASE_URL"] = fresh_database_url
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("attenda")), "serve", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while "Attenda is running" not in log.read_text():
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.25)

        health = fetch(f"http://127.0.0.1:{port}/healthz")
        login = fetch(f"http://127.0.0.1:{port}/login/")
        htmx = fetch(f"http://127.0.0.1:{port}/static/attenda/htmx.min.js")
        running = processes_using(tmp_path)

        # A worker that stops (killed, or fenced off when it could not renew its lease) is
        # started again; Attenda goes on.
        [worker] = [pid for pid in running if _command_line(pid)[-2:] == ["attenda.cli", "worker"]]
        os.kill(worker, signal.SIGKILL)
        while "The worker stopped unexpectedly (exit code -9); starting it again." not in (
            log.read_text()
        ):
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.25)
        workers_after = [
            pid
            for pid in processes_using(tmp_path)
            if _command_line(pid)[-2:] == ["attenda.cli", "worker"]
        ]
        health_after = fetch(f"http://127.0.0.1:{port}/healthz")
        server.send_signal(signal.SIGTERM)
        exit_code = server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()

    printed = log.read_text()
    assert health == (200, b'{"status": "ok"}')
    assert login[0] == 200
    assert b'name="password"' in login[1]
    assert htmx[0] == 200
    assert (
        htmx[1]
        == (Path(__file__).parents[1] / "src/attenda/core/static/attenda/htmx.min.js").read_bytes()
    )
    assert len(running) >= 3
    assert len(workers_after) == 1 and workers_after != [worker]
    assert health_after == health
    assert exit_code == 0
    assert f"Attenda is running at http://127.0.0.1:{port}/" in printed
    assert "Sign in as admin with the password " in printed
    assert printed.rstrip().endswith("Attenda stopped.")
    assert processes_using(tmp_path) == []
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_attenda_smtpd_receives_mail_until_stopped(transactional_db, monkeypatch, capsys):
    # The receiver's threads keep no connection open, so the test database can be dropped.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    Mailbox.objects.create(address="support@attenda.example", name="Support")
    port = free_port()
    refused = []

    def deliver_then_stop() -> None:
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    client = smtplib.SMTP("127.0.0.1", port, timeout=5)
                    break
                except OSError:
                    time.sleep(0.05)
            with client:
                refused.append(
                    client.sendmail(
                        "maria@cliente.example",
                        ["support@attenda.example"],
                        b"From: maria@cliente.example\r\nTo: support@attenda.example\r\n"
                        b"Subject: Refund\r\nMessage-ID: <r1@cliente.example>\r\n\r\nPlease.\r\n",
                    )
                )
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    sender = threading.Thread(target=deliver_then_stop)
    sender.start()
    exit_code = main(["smtpd", "--port", str(port)])
    sender.join()

    printed = capsys.readouterr().out
    assert exit_code == 0
    assert refused == [{}]
    assert Ticket.objects.get().subject == "Refund"
    assert f"Attenda receives mail by SMTP at 127.0.0.1:{port}\n" in printed
    assert printed.rstrip().endswith("The mail receiver stopped.")


def test_attenda_mail_watches_the_mailboxes_until_stopped(transactional_db, monkeypatch, capsys):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    stopper = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGTERM))
    stopper.start()

    exit_code = main(["mail"])

    stopper.join()
    printed = capsys.readouterr().out
    assert exit_code == 0
    assert "Attenda fetches mail from its mailboxes' IMAP servers." in printed
    assert printed.rstrip().endswith("Mail fetching stopped.")

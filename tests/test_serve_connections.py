"""`attenda serve` on PostgreSQL under many signed-in agents at once: every page answers, and the
server never holds more database connections than README.md says (a pool per web process of
ATTENDA_DB_POOL_SIZE, two for the worker — its tasks' and its lease's — and one each for the mail
fetcher and the scheduler)."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from django.conf import settings as django_settings

from tests.test_cli import free_port, fresh_database_url  # noqa: F401 - a fixture used below.

PASSWORD = "lantern-orbit-meadow-42"  # noqa: S105 - made up for this test.
USERS = 20
POOL_SIZE = 4
# `attenda worker` two (its tasks', its lease's), `attenda mail` (no IMAP mailbox here) and
# `attenda schedule` one each.
BACKGROUND_CONNECTIONS = 4
DESK = f"""
from attenda.agents.models import Role, Team
from attenda.agents.services import create_agent
from attenda.customers.services import IdentityClaim as Claim
from attenda.tickets.messages import Inbound
from attenda.tickets.services import receive

team = Team.objects.create(name="Care")
for number in range({USERS}):
    create_agent(username=f"agent{{number}}", password="{PASSWORD}", role=Role.ADMIN,
                 teams=[team], actor=None)
for number in range(30):
    receive(Inbound(channel="email", subject=f"A fatura {{number}} está errada",
                    body="Recebi uma fatura em duplicado.", sender_name="Maria Santos",
                    claims=[Claim(kind="email", value=f"maria{{number}}@example.com")],
                    team_id=team.pk))
"""

pytestmark = pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="connection pooling is PostgreSQL's; SQLite opens a file",
)


def sign_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    answer = client.post(
        "/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.decode()},
    )
    assert answer.status_code == 302, answer.text
    return client


class ConnectionWatch(threading.Thread):
    """Counts the server's connections to its database, from the server's maintenance database."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.name_of_database = urlsplit(database_url).path.lstrip("/")
        self.server_url = database_url.rsplit("/", 1)[0] + "/postgres"
        self.most = 0
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as connection:
            while not self.stop.is_set():
                (count,) = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                    [self.name_of_database],
                ).fetchone()
                self.most = max(self.most, count)
                self.stop.wait(0.02)


def test_twenty_agents_at_once_get_every_page_within_the_connection_bound(
    tmp_path,
    fresh_database_url,  # noqa: F811 - the fixture imported above.
):
    port = free_port()
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ATTENDA_") and name != "DATABASE_URL"
    }
    environment.update(
        ATTENDA_DATA_DIR=str(tmp_path),
        DATABASE_URL=fresh_database_url,
        ATTENDA_DB_POOL_SIZE=str(POOL_SIZE),
        ATTENDA_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    attenda = str(Path(sys.executable).with_name("attenda"))
    subprocess.run([attenda, "manage", "migrate", "-v", "0"], env=environment, check=True)
    subprocess.run([attenda, "manage", "shell", "-c", DESK], env=environment, check=True)
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [attenda, "serve", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    watch = ConnectionWatch(fresh_database_url)
    answers: list[tuple[str, int]] = []
    try:
        deadline = time.monotonic() + 120
        while "Attenda is running" not in log.read_text():
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.25)
        watch.start()
        base = f"http://127.0.0.1:{port}"
        clients = [sign_in(base, f"agent{number}") for number in range(USERS)]
        start = threading.Barrier(USERS)

        def work(client: httpx.Client, number: int) -> None:
            start.wait()
            for round_number in range(6):
                for path in (
                    "/",
                    f"/tickets/{1 + (number + round_number) % 30}/",
                    "/search/?q=fatura",
                ):
                    answers.append((path, client.get(path).status_code))

        workers = [
            threading.Thread(target=work, args=(client, number))
            for number, client in enumerate(clients)
        ]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=300)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    finally:
        watch.stop.set()
        if server.poll() is None:
            server.kill()

    assert len(answers) == USERS * 6 * 3
    assert [answer for answer in answers if answer[1] != 200] == []
    assert 0 < watch.most <= POOL_SIZE + BACKGROUND_CONNECTIONS, log.read_text()

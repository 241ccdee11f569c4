"""A real `attenda serve` on a data directory (and, on PostgreSQL, a database) of its own, for the
tests and benchmarks that need requests from several clients at the same time."""

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

PASSWORD = "harbour-violet-kettle-57"  # noqa: S105 - made up for these servers.


def environment_for(data_dir: Path, database_url: str | None) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ATTENDA_") and name != "DATABASE_URL"
    }
    environment.update(
        ATTENDA_DATA_DIR=str(data_dir),
        ATTENDA_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    if database_url:
        environment["DATABASE_URL"] = database_url
    return environment


def attenda() -> str:
    return str(Path(sys.executable).with_name("attenda"))


def run_script(environment: dict[str, str], script: str) -> dict:
    """Runs Python inside Attenda (``attenda manage shell``); its last printed line is JSON."""
    done = subprocess.run(
        [attenda(), "manage", "shell", "-c", script],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def running_attenda(
    data_dir: Path, database_url: str | None, *, port: int, processes: int = 1
) -> Iterator[str]:
    environment = environment_for(data_dir, database_url)
    log = data_dir / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [attenda(), "serve", "--port", str(port), "--processes", str(processes)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        # Migrating and collecting static files take a while on a loaded machine.
        deadline = time.monotonic() + 600
        while "Attenda is running" not in log.read_text():
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log.read_text())
            time.sleep(0.25)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()


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


def csrf(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()


OFFICE = """
import json
from attenda.agents.models import Role, Team
from attenda.agents.services import create_agent
from attenda.channels.counter.models import Counter, Office, Service
team = Team.objects.create(name="Loja")
for name in {agents!r}:
    create_agent(username=name, password="{password}", role=Role.ADMIN, teams=[team], actor=None)
office = Office.objects.create(name="Loja do Chiado", team=team)
billing = Service.objects.create(office=office, name="Billing", letter="B", priority=5)
contracts = Service.objects.create(office=office, name="New contract", letter="N", priority=3)
counters = [Counter.objects.create(office=office, name=f"Counter {{n}}").pk for n in (1, 2)]
print(json.dumps({{"office": office.pk, "counters": counters, "services": [billing.pk, contracts.pk],
                  "kiosk": office.kiosk_token, "display": office.display_token}}))
"""


def office_script(agents: list[str]) -> str:
    return OFFICE.format(agents=agents, password=PASSWORD)

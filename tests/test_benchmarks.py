"""The million-ticket loader writes rows column by column beside the models; a small load into a fresh
database keeps it in step with every migration."""

import asyncio
import json
import os
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest


def test_the_benchmark_loader_fills_a_fresh_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.db'}"

    loaded = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.load", "--database-url", url, "--tickets", "300"),
            *("--report", str(tmp_path / "load.json")),
        ],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert "loaded 300 tickets and 900 timeline entries" in loaded.stdout


def test_the_service_level_benchmark_sweeps_each_due_ticket_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'sla.db'}"

    measured = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.service_levels_bench", "--database-url", url),
            *("--tickets", "2000", "--due", "100", "--requests", "5"),
        ],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert "Traceback" not in measured.stderr, measured.stderr[-3000:]
    assert '"tickets": 100,' in measured.stdout
    assert '"second_sweep": 0,' in measured.stdout
    assert "USING INDEX ticket_open_due_idx" in measured.stdout


def test_the_assignment_benchmark_runs_on_a_small_desk(tmp_path):
    """The benchmark builds its own agents and tickets beside the models; a small run keeps it in
    step. Its timing target is for the full size and a quiet machine, so only the run is checked."""
    url = f"sqlite:///{tmp_path / 'assign.db'}"

    ran = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.assignment_bench", "--database-url", url),
            *("--teams", "5", "--agents", "40", "--customers", "200", "--history", "500"),
            *("--decisions", "100", "--warmup", "10", "--report", str(tmp_path / "assign.json")),
        ],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert ran.returncode in (0, 1), ran.stderr[-3000:]
    assert '"decisions": 100' in ran.stdout
    assert '"queries_per_decision": {\n    "min": 2,\n    "max": 2\n  }' in ran.stdout


def test_the_customer_lookup_benchmark_loads_customers_the_lookup_finds(tmp_path):
    url = f"sqlite:///{tmp_path / 'customers.db'}"

    measured = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.customer_lookup_bench", "--database-url", url),
            *("--customers", "2000", "--lookups", "20", "--rows", str(tmp_path / "rows")),
        ],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )

    # Timings on a small database say nothing; every lookup finding someone and no scan does.
    assert "2,000 of 2,000 customers written" in measured.stdout, measured.stderr[-3000:]
    assert "A lookup scans a table" not in measured.stderr
    rows = [line for line in measured.stdout.splitlines() if "found none" in line]
    assert len(rows) == 6
    assert all(" 0 of 20 found none" in row for row in rows), rows


def test_the_phone_benchmark_answers_every_signed_call_and_finds_every_caller(tmp_path):
    url = f"sqlite:///{tmp_path / 'phone.db'}"

    measured = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.phone_bench", "--database-url", url),
            *("--customers", "2000", "--requests", "20", "--rows", str(tmp_path / "rows")),
        ],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )

    # Timings on a small database say nothing; every call answered with its menu does.
    assert measured.returncode in (0, 1), measured.stderr[-3000:]
    assert '"customers": 2000' in measured.stdout
    assert measured.stdout.count('"n": 20') == 2


def test_the_search_benchmark_times_a_loaded_desk_with_words_of_its_own(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-m", "benchmarks.load", "--database-url", url, "--tickets", "300"],
        cwd=root,
        capture_output=True,
        check=True,
        timeout=300,
    )

    measured = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.search_bench", "--database-url", url),
            *("--repeat", "3", "--out", str(tmp_path / "search.json")),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert measured.returncode == 0, measured.stderr[-3000:]
    report = json.loads((tmp_path / "search.json").read_text())
    words = {word["search"]: word for word in report["words"]}
    assert 0.1 < words["common word"]["share"] < 0.3
    assert 0 < words["rare word"]["tickets"] < words["common word"]["tickets"]
    assert 0 < words["three words"]["tickets"] <= words["two words"]["tickets"]
    assert words["no match"]["tickets"] == 0
    assert [row["search"] for row in report["pages"]] == list(words)
    assert len(report["searches"]) == 2 * len(words)


def test_the_http_benchmark_drives_signed_in_pages_and_ends_its_sessions(tmp_path):
    """`attenda serve` on a small loaded desk, driven by wrk with the benchmark's sessions: every
    answer a 200 (a session that did not sign the agent in would be sent to the sign-in page), and
    the sessions deleted afterwards. The rate targets are for the million on a quiet machine, so
    only the run is checked."""
    if shutil.which("wrk") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("wrk is not installed; .ci/run installs it.")
        pytest.skip("wrk is not installed (apt-get install wrk).")
    url = f"sqlite:///{tmp_path / 'http.db'}"
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-m", "benchmarks.load", "--database-url", url, "--tickets", "300"]
        + ["--report", str(tmp_path / "load.json")],
        cwd=root,
        capture_output=True,
        check=True,
        timeout=300,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    ran = subprocess.run(
        [sys.executable, "-m", "benchmarks.http_bench", "--database-url", url, "--port", str(port)]
        + ["--users", "4", "--seconds", "2", "--warmup", "1"]
        + ["--pages", "inbox", "ticket", "search", "api"]
        + ["--report", str(tmp_path / "http.json")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert "Traceback" not in ran.stderr, ran.stderr[-3000:]
    report = json.loads((tmp_path / "http.json").read_text())
    for page in ("inbox", "ticket", "search", "api"):
        assert report["pages"][page]["requests"] > 0
        assert report["pages"][page]["errors"] == 0, report["pages"][page]
    with sqlite3.connect(tmp_path / "http.db") as database:
        assert database.execute("SELECT count(*) FROM django_session").fetchone() == (0,)


class ScriptedServer(threading.Thread):
    """An HTTP/1.1 server that answers each request as its script says, in order: ``answer`` (and
    keep the connection), ``reset`` (RST, no answer), ``close`` (FIN, no answer), ``partial`` (the
    status line, then RST) or ``silent`` (no answer until the client gives up)."""

    def __init__(self, script: list[str]) -> None:
        super().__init__(daemon=True)
        self.script = list(script)
        self.heard: list[tuple[int, str]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def run(self) -> None:
        connection_number = 0
        while self.script:
            connection, _address = self.listener.accept()
            connection_number += 1
            self.serve(connection, connection_number)

    def serve(self, connection: socket.socket, number: int) -> None:
        with connection:
            while self.script:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    head += chunk
                self.heard.append((number, head.split(b"\r\n", 1)[0].decode()))
                what = self.script.pop(0)
                if what == "answer":
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    continue
                if what == "partial":
                    connection.sendall(b"HTTP/1.1 200 OK\r\n")
                    time.sleep(0.1)
                if what == "silent":
                    time.sleep(1.5)
                if what in ("reset", "partial"):
                    connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                return


def exchange(script: list[str], requests: int) -> tuple[list, object, ScriptedServer]:
    """Sends ``requests`` POSTs one after the other on one client, as an agent of the scale-out
    benchmark does; what each gave (an answer's status or the error's name) and the record."""
    import httpx

    from benchmarks.scale_out import Record, send

    server = ScriptedServer(script)
    server.start()
    record = Record()
    outcomes = []

    async def agent() -> None:
        async with httpx.AsyncClient(base_url=server.url, timeout=0.5) as client:
            for number in range(requests):
                try:
                    answer = await send(client, record, "POST", "/notes/", data={"n": number})
                    outcomes.append(answer.status_code)
                except httpx.HTTPError as error:
                    outcomes.append(type(error).__name__)

    asyncio.run(agent())
    server.listener.close()
    return outcomes, record, server


@pytest.mark.parametrize("broken", ["reset", "close"])
def test_a_request_on_a_kept_connection_broken_before_any_answer_is_sent_once_more(broken):
    outcomes, record, server = exchange(["answer", broken, "answer"], 2)

    assert outcomes == [200, 200]
    assert [number for number, _line in server.heard] == [1, 1, 2]
    assert [(entry["request"], entry["on_a_new_connection"]) for entry in record.resent] == [
        ("POST /notes/", True)
    ]


@pytest.mark.parametrize(
    ("script", "failed"),
    [
        (["answer", "partial"], "ReadError"),
        (["answer", "silent"], "ReadTimeout"),
        (["answer", "reset", "reset"], "ReadError"),
    ],
    ids=["after-part-of-an-answer", "on-a-timeout", "twice"],
)
def test_no_resend_after_part_of_an_answer_on_a_timeout_or_twice(script, failed):
    outcomes, record, _server = exchange(script, 2)

    assert outcomes == [200, failed]
    assert len(record.resent) == len(script) - 2


def test_no_resend_when_the_request_opened_its_connection():
    outcomes, record, server = exchange(["reset"], 1)

    assert outcomes == ["ReadError"]
    assert (server.heard, record.resent) == ([(1, "POST /notes/ HTTP/1.1")], [])


def test_only_what_was_sent_before_the_kill_and_broke_is_dropped_with_the_killed_process():
    from benchmarks.scale_out import Record

    record = Record()
    record.killed_at = 1000.0
    record.failed("note", 999.9, "ReadError: reset", broken=True)
    record.failed("reply", 999.0, "status 500", broken=False)
    record.failed("note", 1000.1, "ReadError: reset", broken=True)
    record.failed("inbox", 930.0, "ReadError: reset", broken=True)

    assert [entry["at"] for entry in record.dropped] == [999.9]
    assert [entry["at"] for entry in record.errors] == [999.0, 1000.1, 930.0]

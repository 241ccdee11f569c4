"""`attenda serve --processes 2`: each web process listens on a socket of its own, so connections
made at once are spread over both, and a web process killed is replaced while the other answers."""

import os
import signal
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

from tests.test_cli import free_port, fresh_database_url  # noqa: F401 - a fixture used below.

CONNECTIONS = 20
# States in /proc/net/tcp.
ESTABLISHED = "01"
LISTEN = "0A"


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # Ended since it was listed.
        return b""


def web_processes(serve: int) -> list[int]:
    """The processes uvicorn's supervisor started (not multiprocessing's resource tracker)."""
    [supervisor] = [
        pid for pid in children(serve) if b"attenda.core.uvicorn_server" in command_line(pid)
    ]
    return sorted(
        pid for pid in children(supervisor) if b"resource_tracker" not in command_line(pid)
    )


def tcp_sockets() -> list[tuple[int, int, str, str]]:
    """This machine's IPv4 TCP sockets: local port, remote port, state, inode."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(address.rsplit(":", 1)[1], 16) for address in fields[1:3])
        found.append((local, remote, fields[3], fields[9]))
    return found


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:  # Closed while it was listed.
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return inodes


def connections_held(pids: list[int], port: int) -> dict[int, int]:
    """How many established connections to ``port`` each process holds."""
    established = {
        inode for local, _, state, inode in tcp_sockets() if (local, state) == (port, ESTABLISHED)
    }
    return {pid: len(socket_inodes(pid) & established) for pid in pids}


def client_ports(pid: int, port: int) -> set[int]:
    """The client ends' ports of the connections to ``port`` that the process holds."""
    inodes = socket_inodes(pid)
    return {
        remote
        for local, remote, state, inode in tcp_sockets()
        if (local, state) == (port, ESTABLISHED) and inode in inodes
    }


def listens(pid: int, port: int) -> bool:
    inodes = socket_inodes(pid)
    return any(
        (local, state) == (port, LISTEN) and inode in inodes
        for local, _, state, inode in tcp_sockets()
    )


def ask(connection: HTTPConnection) -> int:
    connection.request("GET", "/healthz")
    answer = connection.getresponse()
    answer.read()
    return answer.status


def connect_at_once(port: int) -> list[HTTPConnection]:
    connections = [HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(CONNECTIONS)]
    for connection in connections:
        connection.connect()
    return connections


def wait_for(condition, log: Path, server: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert server.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.25)


def test_keep_alive_connections_made_at_once_are_answered_by_both_processes_and_a_killed_one_is_replaced(  # noqa: E501
    tmp_path,
    fresh_database_url,  # noqa: F811 - the fixture imported above.
):
    port = free_port()
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ATTENDA_") and name != "DATABASE_URL"
    }
    environment.update(ATTENDA_DATA_DIR=str(tmp_path), ATTENDA_LOG_LEVEL="WARNING")
    if fresh_database_url:
        environment["DATABASE_URL"] = fresh_database_url
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("attenda")), "serve", "--no-worker"]
            + ["--processes", "2", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "Attenda is running" in log.read_text(), log, server)
        wait_for(lambda: len(web_processes(server.pid)) == 2, log, server)
        processes = web_processes(server.pid)
        # Each process listens once it has loaded Attenda; until then the others take its share.
        wait_for(lambda: all(listens(pid, port) for pid in processes), log, server)
        # given: keep-alive connections made at once, each answered once
        first = connect_at_once(port)
        first_answers = [ask(connection) for connection in first]
        held = connections_held(processes, port)

        # when: one web process is killed
        victim, survivor = processes
        os.kill(victim, signal.SIGKILL)
        wait_for(
            lambda: len(web_processes(server.pid)) == 2 and victim not in web_processes(server.pid),
            log,
            server,
        )
        replacement = next(pid for pid in web_processes(server.pid) if pid != survivor)
        kept = [
            connection
            for connection in first
            if connection.sock.getsockname()[1] in client_ports(survivor, port)
        ]
        kept_answers = [ask(connection) for connection in kept]
        wait_for(lambda: listens(replacement, port), log, server)
        second = connect_at_once(port)
        second_answers = [ask(connection) for connection in second]
        held_after = connections_held([survivor, replacement], port)
        for connection in first + second:
            connection.close()
        server.send_signal(signal.SIGTERM)
        exit_code = server.wait(timeout=60)
    finally:
        # SIGTERM, so that a failure stops the web processes too (each child has a group of its own).
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=60)

    # then
    assert first_answers == [200] * CONNECTIONS
    assert sum(held.values()) == CONNECTIONS
    assert min(held.values()) > 0, held
    assert len(kept) == held[survivor]
    assert kept_answers == [200] * len(kept)
    assert second_answers == [200] * CONNECTIONS
    assert min(held_after.values()) > 0, held_after
    assert exit_code == 0
    assert log.read_text().rstrip().endswith("Attenda stopped.")


def test_the_web_server_refuses_an_address_another_server_listens_at(tmp_path):
    port = free_port()
    with socket.create_server(("127.0.0.1", port), reuse_port=True):
        # when
        second = subprocess.run(
            [sys.executable, "-m", "attenda.core.uvicorn_server"]
            + ["--host", "127.0.0.1", "--port", str(port), "--processes", "2"],
            capture_output=True,
            timeout=60,
            check=False,
        )

    # then
    assert second.returncode == 3
    assert b"Address already in use" in second.stderr


def test_the_web_server_says_when_linux_resets_the_connections_of_a_process_that_dies(
    tmp_path, monkeypatch, caplog
):
    from attenda.core import uvicorn_server

    setting = tmp_path / "tcp_migrate_req"
    monkeypatch.setattr(uvicorn_server, "MIGRATE_SETTING", setting)
    setting.write_text("0\n")
    uvicorn_server._warn_unless_connections_migrate()
    assert "sysctl -w net.ipv4.tcp_migrate_req=1" in caplog.text

    caplog.clear()
    setting.write_text("1\n")
    uvicorn_server._warn_unless_connections_migrate()
    setting.unlink()  # An older kernel.
    uvicorn_server._warn_unless_connections_migrate()
    assert caplog.text == ""

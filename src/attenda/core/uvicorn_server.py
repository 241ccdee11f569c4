"""The web server that `attenda serve` starts: uvicorn on attenda.asgi:application, in several
processes that each listen on a socket of their own where the system spreads connections over them.

`uvicorn --workers N` binds one socket that every process accepts from: the process that wakes first
takes every connection waiting, and a client that keeps its connections (a reverse proxy's keep-alive
pool, a load generator) stays split that way for their whole life — 20 connections over two
processes were seen 20/0, one process idle and the inbox at 111 requests/s instead of 191. On Linux
each process binds its own socket with SO_REUSEPORT at the same address instead, and the kernel
spreads new connections over them; uvicorn's supervisor still starts the processes, checks their
health, starts one again when it dies, and stops them. A connection the kernel has queued for a
process that then dies is reset, unless `net.ipv4.tcp_migrate_req` is 1 (Linux 5.14 and later):
then the kernel hands it to a sibling's socket. The server says so at its start when it is 0.

    python -m attenda.core.uvicorn_server --host 127.0.0.1 --port 8000 --processes 2

Its name says uvicorn because the benchmarks find the web processes under the process whose command
line does.
"""

import argparse
import logging
import os
import socket
import sys
from pathlib import Path

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import multiprocess

from attenda.cli import STOP_GRACE_SECONDS

APPLICATION = "attenda.asgi:application"
# How long the web server keeps an idle connection open for the next request: longer than load
# balancers keep theirs (60 s is common), or a request sent as the server closes it gets no answer.
KEEP_ALIVE_SECONDS = 75
# uvicorn kills a process that does not answer its health check in time (5 s by default), with the
# requests it was answering; a busy machine can be that late.
HEALTH_CHECK_SECONDS = 30
# Linux spreads new connections over the sockets bound with SO_REUSEPORT at one address; other
# systems lack the option or give every connection to one of the sockets (macOS).
SPREADS_CONNECTIONS = sys.platform == "linux"
# Whether Linux hands the connections queued at a closing listening socket to a sibling's.
MIGRATE_SETTING = Path("/proc/sys/net/ipv4/tcp_migrate_req")

logger = logging.getLogger("uvicorn.error")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m attenda.core.uvicorn_server")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--processes", type=int, default=1)
    arguments = parser.parse_args(argv)
    options = {
        "host": arguments.host,
        "port": arguments.port,
        "workers": arguments.processes,
        "lifespan": "off",
        "proxy_headers": True,
        "timeout_graceful_shutdown": STOP_GRACE_SECONDS // 2,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "timeout_worker_healthcheck": HEALTH_CHECK_SECONDS,
        "log_level": _log_level(),
    }
    if arguments.processes > 1 and SPREADS_CONNECTIONS:
        config = uvicorn.Config(APPLICATION, **options)
        # Binding here first is uvicorn's own check and message: it fails while another server
        # listens at the address, which SO_REUSEPORT would otherwise let share its connections.
        config.bind_socket().close()
        _warn_unless_connections_migrate()
        # uvicorn's supervisor makes every process from its module's Process: at the start, when
        # one dies, and on SIGHUP and SIGTTIN.
        multiprocess.Process = ProcessWithItsOwnSocket
        multiprocess.Multiprocess(config, sockets=[]).run()
    else:
        uvicorn.run(APPLICATION, **options)


class ProcessWithItsOwnSocket(multiprocess.Process):
    """A web process that binds its listening socket itself, beside its siblings' at the address."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:
        super().target([_bind_beside_the_others(self.config)])


def _bind_beside_the_others(config: uvicorn.Config) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        listener.bind((config.host, config.port))
    except OSError as error:
        # Stops the supervisor too: a process that cannot bind would fail the same way again.
        logger.error(error)
        sys.exit(STARTUP_FAILURE)
    return listener


def _warn_unless_connections_migrate() -> None:
    try:
        migrates = MIGRATE_SETTING.read_text().strip() != "0"
    except OSError:  # Before Linux 5.14 the kernel has no such setting.
        return
    if not migrates:
        logger.warning(
            "net.ipv4.tcp_migrate_req is 0: connections waiting for a web process that dies are"
            " reset instead of answered by another. Set it to 1 (sysctl -w"
            " net.ipv4.tcp_migrate_req=1) when running several web processes."
        )


def _log_level() -> str:
    # uvicorn logs each request at INFO: only when Attenda's own log level shows INFO.
    level = os.environ.get("ATTENDA_LOG_LEVEL", "INFO").lower()
    return level if level in ("critical", "error", "warning", "info", "debug") else "info"


if __name__ == "__main__":
    main()

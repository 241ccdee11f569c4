"""The `attenda` command: runs the web server and the background worker together, creates the first
admin, loads demo data, and passes anything else to Django's management commands."""

import argparse
import getpass
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

# How long the web server and the worker get to finish what they are doing after Ctrl-C or SIGTERM.
STOP_GRACE_SECONDS = 20
# A background process that stops is started again, unless it stopped this often lately.
RESTARTS_AT_MOST = 5
RESTART_WINDOW_SECONDS = 600
WEB_SERVER = "web server"
# How long the web server may take to start listening before `serve` gives up (several processes
# starting at once on a busy machine can take minutes).
START_TIMEOUT_SECONDS = 180
# Set in the environment of the processes `serve` starts.
UNDER_SERVE = "ATTENDA_UNDER_SERVE"
DEMO_PASSWORD_FILE = "demo-password"  # noqa: S105 - the name of a file, not a password.


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attenda.settings")
    if argv[:1] == ["manage"]:
        return manage(argv[1:])
    arguments = build_parser().parse_args(argv)
    return arguments.run(arguments)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attenda",
        description=(
            "Attenda, the customer-service platform. Settings come from environment variables"
            " (see README.md); data lives in ATTENDA_DATA_DIR (default ./.attenda)."
        ),
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    serve_parser = commands.add_parser(
        "serve",
        help="run the web server and the background worker",
        description=(
            "Applies database migrations, collects static files when they changed, then runs the"
            " web server (uvicorn) and the background worker until Ctrl-C or SIGTERM. On the first"
            " start it creates an admin and prints the password once."
        ),
    )
    serve_parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve_parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve_parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="number of web server processes (default 1); each serves many connections",
    )
    serve_parser.add_argument(
        "--demo", action="store_true", help="load the demo data first, unless it is already loaded"
    )
    serve_parser.add_argument(
        "--no-worker",
        dest="worker",
        action="store_false",
        help="run the web server only, when workers run elsewhere (`attenda worker`)",
    )
    serve_parser.set_defaults(run=serve)

    worker_parser = commands.add_parser(
        "worker",
        help="run a background worker",
        description=(
            "Runs background tasks: the database queue's worker (ATTENDA_TASK_BACKEND=database) or"
            " an RQ worker with its scheduler (ATTENDA_TASK_BACKEND=redis). Start as many as needed."
        ),
    )
    worker_parser.set_defaults(run=worker)

    mail_parser = commands.add_parser(
        "mail",
        help="fetch mail from the mailboxes' IMAP servers",
        description=(
            "Watches every active mailbox with an IMAP server until Ctrl-C or SIGTERM, waiting in"
            " IDLE where the server offers it and checking every minute where it does not. Run"
            " one per installation; `attenda serve` starts it unless --no-worker is given."
        ),
    )
    mail_parser.set_defaults(run=mail)

    schedule_parser = commands.add_parser(
        "schedule",
        help="queue periodic work (the service-level sweep) on time",
        description=(
            "Puts each periodic task on the task queue when its interval has passed, for the"
            " workers to run, until Ctrl-C or SIGTERM. Run one per installation; `attenda serve`"
            " starts it unless --no-worker is given."
        ),
    )
    schedule_parser.set_defaults(run=schedule)

    smtpd_parser = commands.add_parser(
        "smtpd",
        help="receive mail for the mailboxes by SMTP or LMTP",
        description=(
            "Runs Attenda's mail receiver until Ctrl-C or SIGTERM: the company's mail server"
            " delivers mail for Attenda's mailboxes to it. Recipients that are not an active"
            " mailbox are refused; a message is acknowledged only once it is stored."
        ),
    )
    smtpd_parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    smtpd_parser.add_argument("--port", type=int, default=2525, help="port to listen on")
    smtpd_parser.add_argument(
        "--lmtp", action="store_true", help="speak LMTP (RFC 2033) instead of SMTP"
    )
    smtpd_parser.set_defaults(run=smtpd)

    admin_parser = commands.add_parser(
        "createadmin",
        help="create an admin account",
        description="Creates an agent with the admin role. Asks for the password unless given.",
    )
    admin_parser.add_argument("username")
    admin_parser.add_argument("email")
    admin_parser.add_argument("--password", help="the password (asked for when left out)")
    admin_parser.set_defaults(run=createadmin)

    demo_parser = commands.add_parser(
        "demo",
        help="load demo data",
        description=(
            "Loads a demo support desk: 3 teams, 10 agents, customers and tickets in Portuguese,"
            " Spanish, Romanian, Polish and English. Does nothing when the demo is already loaded."
        ),
    )
    demo_parser.add_argument("--customers", type=int, default=300, help="default 300")
    demo_parser.add_argument("--tickets", type=int, default=2000, help="default 2000")
    demo_parser.set_defaults(run=demo)

    backup_parser = commands.add_parser(
        "backup",
        help="back up the database and stored files into a new folder",
        description=(
            "Copies the database (SQLite's online backup, or pg_dump for PostgreSQL) and the stored"
            " files into PATH, a new or empty folder, with a manifest of table counts and file"
            " hashes. Attenda may keep running meanwhile."
        ),
    )
    backup_parser.add_argument("path", type=Path)
    backup_parser.set_defaults(run=backup)

    restore_parser = commands.add_parser(
        "restore",
        help="restore a backup made by `attenda backup`",
        description=(
            "Puts a backup back into the configured database and ATTENDA_DATA_DIR/files, then checks"
            " the table counts and file hashes against its manifest. Stop Attenda first. An"
            " installation that already has data is only overwritten with --replace."
        ),
    )
    restore_parser.add_argument("path", type=Path)
    restore_parser.add_argument(
        "--replace", action="store_true", help="overwrite an installation that has data"
    )
    restore_parser.set_defaults(run=restore)

    commands.add_parser(
        "manage",
        help="run a Django management command (`attenda manage help` lists them)",
        add_help=False,
    )
    return parser


def _setup() -> None:
    import django

    django.setup()


def _setup_unpooled() -> None:
    """Background processes hold one PostgreSQL connection per thread, kept between tasks, instead
    of the web server's pool (settings.DB_POOL_SIZE): an RQ worker forks for each task, which a
    pool's threads would not survive, and the mail fetcher waits in IDLE with its connection."""
    os.environ["ATTENDA_DB_POOL_SIZE"] = "0"
    _setup()


def _close_pools() -> None:
    """Gives back the pooled connections of this process, so the children's pools are the only ones."""
    from django.db import connections

    for connection in connections.all():
        connection.close()
        if hasattr(connection, "close_pool"):
            connection.close_pool()


def manage(argv: list[str]) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["attenda manage", *argv])
    return 0


def createadmin(arguments: argparse.Namespace) -> int:
    _setup()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from attenda.agents.models import Agent, Role
    from attenda.agents.services import create_agent

    if Agent.objects.filter(username=arguments.username).exists():
        print(f"An agent named {arguments.username} already exists.", file=sys.stderr)
        return 1
    password = arguments.password
    if password is None:
        if not sys.stdin.isatty():
            print("Give the password with --password when not at a terminal.", file=sys.stderr)
            return 1
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            print("The passwords differ; nothing was created.", file=sys.stderr)
            return 1
    try:
        validate_password(password, Agent(username=arguments.username, email=arguments.email))
        create_agent(
            username=arguments.username,
            password=password,
            email=arguments.email,
            role=Role.ADMIN,
            actor=None,
        )
    except ValidationError as error:
        for message in error.messages:
            print(message, file=sys.stderr)
        return 1
    print(f"Admin {arguments.username} was created.")
    return 0


def backup(arguments: argparse.Namespace) -> int:
    _setup()
    from attenda.core.backup import BackupError
    from attenda.core.backup import backup as take_backup

    try:
        manifest = take_backup(arguments.path)
    except BackupError as error:
        print(error, file=sys.stderr)
        return 1
    print(
        f"Backed up {sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables"
        f" and {len(manifest['files'])} files into {arguments.path}."
    )
    return 0


def restore(arguments: argparse.Namespace) -> int:
    _setup()
    from attenda.core.backup import BackupError, table_counts
    from attenda.core.backup import restore as put_back

    try:
        manifest = put_back(arguments.path, replace=arguments.replace)
    except BackupError as error:
        print(error, file=sys.stderr)
        return 1
    found = table_counts()
    differing = {
        table: (count, found.get(table))
        for table, count in manifest["tables"].items()
        if found.get(table) != count
    }
    if differing:
        print(f"Restored, but these tables differ from the backup: {differing}", file=sys.stderr)
        return 1
    print(
        f"Restored {sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables"
        f" and {len(manifest['files'])} files from {arguments.path}."
    )
    return 0


def demo(arguments: argparse.Namespace) -> int:
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    from attenda.demo import is_loaded

    call_command("migrate", interactive=False, verbosity=0)
    if is_loaded():
        print("The demo data is already loaded; nothing was changed.")
    else:
        _load_demo(
            Path(settings.DATA_DIR), customers=arguments.customers, tickets=arguments.tickets
        )
    print(_demo_login(Path(settings.DATA_DIR)))
    return 0


def _load_demo(data_dir: Path, *, customers: int, tickets: int) -> None:
    from attenda.demo import load_demo

    print(f"Loading demo data: {customers} customers and {tickets} tickets…", flush=True)
    started = time.monotonic()
    desk = load_demo(password=_demo_password(data_dir), customers=customers, tickets=tickets)
    print(
        f"Loaded {desk.teams} teams, {desk.agents} agents, {desk.customers} customers and"
        f" {desk.tickets} tickets in {time.monotonic() - started:.1f} s."
    )


def _demo_password(data_dir: Path) -> str:
    """Made once per data directory and kept there, so every later `serve --demo` can say it."""
    password_file = data_dir / DEMO_PASSWORD_FILE
    if not password_file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        password_file.write_text(secrets.token_urlsafe(9))
        password_file.chmod(0o600)
    return password_file.read_text().strip()


def _demo_login(data_dir: Path) -> str:
    from attenda.demo.people import AGENTS

    # A visitor reads English first; within a role an English speaker is suggested before others.
    by_role: dict[str, str] = {}
    for spec in sorted(AGENTS, key=lambda spec: spec.language != "en"):
        by_role.setdefault(spec.role, spec.username)
    password_file = data_dir / DEMO_PASSWORD_FILE
    password = (
        f"the password {password_file.read_text().strip()}"
        if password_file.exists()
        else "the password shown when the demo was loaded"
    )
    return (
        f"Demo: sign in as {by_role['admin']} (admin), {by_role['supervisor']} (supervisor) or"
        f" {by_role['agent']} (agent) with {password}."
    )


def _first_admin() -> str:
    """Someone must be able to sign in: without any agent, make an admin and say its password once."""
    from attenda.agents.models import Agent, Role
    from attenda.agents.services import create_agent

    if Agent.objects.exists():
        return "Sign in with your Attenda account (`attenda createadmin` makes a new admin)."
    password = secrets.token_urlsafe(12)
    create_agent(username="admin", password=password, role=Role.ADMIN, actor=None)
    return (
        f"Sign in as admin with the password {password}"
        " (shown only this once: keep it somewhere safe)."
    )


def _static_fingerprint() -> str:
    from django.contrib.staticfiles.finders import get_finders

    listing = []
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            stat = os.stat(storage.path(path))
            listing.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(listing)).encode()).hexdigest()


def _collect_static() -> None:
    """Static files are served from STATIC_ROOT; collecting them again is only needed after an
    upgrade, and takes a while because every file is compressed."""
    from django.conf import settings
    from django.core.management import call_command

    stamp = Path(settings.STATIC_ROOT) / ".collected"
    fingerprint = _static_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)


@dataclass
class Child:
    name: str
    command: list[str]
    environment: dict[str, str]
    process: subprocess.Popen
    started: list[float]

    def running(self) -> bool:
        return self.process.poll() is None

    def may_start_again(self) -> bool:
        """A background process that stopped (a worker that could not renew its lease stops on
        purpose, so that its task goes to another) is started again, up to RESTARTS_AT_MOST times
        within RESTART_WINDOW_SECONDS; one that keeps stopping, and the web server, stop Attenda."""
        if self.name == WEB_SERVER:
            return False
        recent = [at for at in self.started if time.monotonic() - at < RESTART_WINDOW_SECONDS]
        return len(recent) <= RESTARTS_AT_MOST

    def start_again(self) -> None:
        self.process = _popen(self.command, self.environment)
        self.started.append(time.monotonic())


def _popen(command: list[str], environment: dict[str, str]) -> subprocess.Popen:
    # A process group of its own, so a terminal's Ctrl-C reaches only `serve`, which then stops
    # each child once, in order, instead of every process receiving it at the same time.
    return subprocess.Popen(command, env=environment, process_group=0)


def _start(name: str, command: list[str], environment: dict[str, str]) -> Child:
    return Child(name, command, environment, _popen(command, environment), [time.monotonic()])


def _stop(children: list[Child]) -> bool:
    """Asks each child to finish, then waits; returns False when one had to be killed."""
    for child in children:
        if child.running():
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    graceful = True
    for child in children:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"The {child.name} did not stop in time and was killed.", file=sys.stderr)
            os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()
            graceful = False
    return graceful


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _address(host: str, port: int) -> tuple[str, str]:
    """Where to check the server is up, and the address to print for people."""
    if host in ("0.0.0.0", ""):  # noqa: S104 - comparing, not binding.
        return "127.0.0.1", f"http://localhost:{port}/"
    if host == "::":
        return "::1", f"http://localhost:{port}/"
    shown = f"[{host}]" if ":" in host else host
    return host, f"http://{shown}:{port}/"


def serve(arguments: argparse.Namespace) -> int:
    stop_requests: list[int] = []

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requests.append(signum)

    # Handlers first: a SIGTERM that arrives while the children start must still stop them.
    previous = {
        signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        return _serve(arguments, stop_requests)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _serve(arguments: argparse.Namespace, stop_requests: list[int]) -> int:
    # Links in mail point where this server listens, unless the operator says otherwise; the
    # children inherit the environment.
    os.environ.setdefault("ATTENDA_BASE_URL", f"http://{arguments.host}:{arguments.port}")
    if arguments.demo:
        # The demo's mail lands in its outbox, readable in the browser, unless a backend is set.
        os.environ.setdefault("ATTENDA_EMAIL_BACKEND", "attenda.demo.outbox.EmailBackend")
    _setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import OperationalError

    from attenda.demo import is_loaded

    data_dir = Path(settings.DATA_DIR)
    print("Preparing the database and static files…", flush=True)
    try:
        call_command("migrate", interactive=False, verbosity=0)
    except OperationalError as error:
        print(f"The database cannot be used: {error}", file=sys.stderr)
        return 1
    _collect_static()
    sign_in = []
    if arguments.demo:
        if not is_loaded():
            _load_demo(data_dir, customers=300, tickets=2000)
        sign_in.append(_demo_login(data_dir))
        if settings.EMAIL_BACKEND == "attenda.demo.outbox.EmailBackend":
            sign_in.append(
                f"Mail the demo sends: {os.environ['ATTENDA_BASE_URL']}/demo/outbox/ (as the admin)."
            )
    else:
        sign_in.append(_first_admin())
    _close_pools()
    if stop_requests:
        return 0

    environment: dict[str, Any] = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
        "ATTENDA_DATA_DIR": str(data_dir),
        # The banner below says they run; their own start and stop lines would bury it.
        UNDER_SERVE: "1",
    }
    children = [
        _start(
            WEB_SERVER,
            [
                sys.executable,
                "-m",
                "attenda.core.uvicorn_server",
                "--host",
                arguments.host,
                "--port",
                str(arguments.port),
                "--processes",
                str(arguments.processes),
            ],
            environment,
        )
    ]
    if arguments.worker and settings.TASK_BACKEND != "immediate":
        children.append(
            _start("worker", [sys.executable, "-m", "attenda.cli", "worker"], environment)
        )
        children.append(
            _start("mail fetcher", [sys.executable, "-m", "attenda.cli", "mail"], environment)
        )
        children.append(
            _start("scheduler", [sys.executable, "-m", "attenda.cli", "schedule"], environment)
        )

    check_host, url = _address(arguments.host, arguments.port)
    started = time.monotonic()
    announced = False
    while not stop_requests:
        ended = next((child for child in children if not child.running()), None)
        if ended is not None and ended.may_start_again():
            print(
                f"The {ended.name} stopped unexpectedly (exit code {ended.process.returncode});"
                " starting it again.",
                file=sys.stderr,
            )
            ended.start_again()
        elif ended is not None:
            print(
                f"The {ended.name} stopped unexpectedly (exit code {ended.process.returncode});"
                " stopping Attenda.",
                file=sys.stderr,
            )
            _stop(children)
            return 1
        if not announced and _listening(check_host, arguments.port):
            announced = True
            print(f"\nAttenda is running at {url}")
            for line in sign_in:
                print(f"  {line}")
            print("Press Ctrl-C to stop.\n", flush=True)
        if not announced and time.monotonic() - started > START_TIMEOUT_SECONDS:
            print("The web server did not start listening in time.", file=sys.stderr)
            _stop(children)
            return 1
        time.sleep(0.2)
    print("Stopping Attenda…", flush=True)
    graceful = _stop(children)
    print("Attenda stopped.", flush=True)
    return 0 if graceful else 1


def worker(arguments: argparse.Namespace) -> int:
    _setup_unpooled()
    from django.conf import settings
    from django.core.management import call_command

    from attenda.tickets import arrivals

    if settings.TASK_BACKEND != "immediate":
        # Messages taken by the worker (chat, web form, messaging apps) do not wait for the first
        # to load triage's language models; RQ's work processes inherit them loaded.
        arrivals.prepare_and_set_aside()
    if settings.TASK_BACKEND == "redis":
        queues = settings.TASKS["default"]["QUEUES"]
        # The scheduler moves retries whose wait is over back onto the queue.
        call_command(
            "rqworker",
            *queues,
            "--with-scheduler",
            "--job-class",
            "django_tasks_rq.Job",
            "--worker-class",
            "attenda.core.workers.RQWorker",
        )
    elif settings.TASK_BACKEND == "database":
        from attenda.core.workers import Heartbeat, new_worker_id

        # The lease names this worker on the tasks it claims; while it beats they are its own, and
        # once it stops beating (killed) they go back on the queue (core/workers.py).
        worker_id = new_worker_id()
        heartbeat = Heartbeat(worker_id)
        heartbeat.beat()
        heartbeat.start()
        try:
            call_command(
                "db_worker",
                "--queue-name",
                "*",
                "--no-reload",
                "--worker-id",
                worker_id,
                "--interval",
                str(settings.WORKER_POLL_SECONDS),
            )
        finally:
            heartbeat.stop()
    else:
        print(
            f"ATTENDA_TASK_BACKEND={settings.TASK_BACKEND} runs tasks inside requests;"
            " there is no worker to start."
        )
    return 0


def _until_stopped(run: Callable[[threading.Event], None], started: str, stopped: str) -> int:
    """Runs a loop that watches ``stop`` until Ctrl-C or SIGTERM sets it."""
    stop = threading.Event()
    before = {
        number: signal.signal(number, lambda *_ignored: stop.set())
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    quiet = os.environ.get(UNDER_SERVE) == "1"
    if not quiet:
        print(started, flush=True)
    try:
        run(stop)
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
    if not quiet:
        print(stopped, flush=True)
    return 0


def mail(arguments: argparse.Namespace) -> int:
    _setup_unpooled()
    from attenda.channels.email.imap import watch_all_mailboxes

    return _until_stopped(
        watch_all_mailboxes,
        "Attenda fetches mail from its mailboxes' IMAP servers.",
        "Mail fetching stopped.",
    )


def schedule(arguments: argparse.Namespace) -> int:
    _setup_unpooled()
    from attenda.core.periodic import run_schedule

    return _until_stopped(
        run_schedule, "Attenda queues its periodic work.", "The scheduler stopped."
    )


def smtpd(arguments: argparse.Namespace) -> int:
    _setup_unpooled()
    from attenda.channels.email.smtpd import serve as receive_mail

    try:
        receive_mail(arguments.host, arguments.port, lmtp=arguments.lmtp)
    except OSError as error:
        print(f"Cannot listen on {arguments.host}:{arguments.port}: {error}", file=sys.stderr)
        return 1
    print("The mail receiver stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

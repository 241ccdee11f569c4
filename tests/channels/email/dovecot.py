"""A throw-away Dovecot IMAP server for tests: its own configuration, users and Maildir in a
temporary folder, on a free local port. Skipped where Dovecot is not installed, failed on CI."""

import contextlib
import imaplib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = Path("/usr/sbin/dovecot")
USER = "support@example.com"
PASSWORD = "secret"
# Dovecot's own list less MOVE, and less MOVE and UIDPLUS: servers of the kinds that can only
# COPY, STORE and EXPUNGE, and that can only EXPUNGE every message marked \\Deleted at once.
WITHOUT_MOVE_OR_UIDPLUS = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
    "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN "
    "NAMESPACE LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES "
    "WITHIN CONTEXT=SEARCH LIST-STATUS BINARY SPECIAL-USE SAVEDATE LITERAL+ NOTIFY"
)
WITHOUT_MOVE = f"{WITHOUT_MOVE_OR_UIDPLUS} UIDPLUS"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Refused logins are answered at once, not after the usual two seconds.
auth_failure_delay = 0
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
first_valid_uid = 100
mail_location = maildir:{root}/mail/%u
{capability}
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass
class Dovecot:
    host: str
    port: int
    user: str
    password: str
    root: Path

    def connect(self) -> imaplib.IMAP4:
        """A plain imaplib session as the test user: the tests' hands on the mailbox, independent
        of the code under test."""
        session = imaplib.IMAP4(self.host, self.port, timeout=10)
        session.login(self.user, self.password)
        return session

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        """Delivers raw messages into ``folder`` the way a mail client would: IMAP APPEND."""
        session = self.connect()
        try:
            for raw in messages:
                typ, data = session.append(folder, None, None, raw)
                assert typ == "OK", data
        finally:
            session.logout()

    def messages(self, folder: str = "INBOX") -> list[tuple[int, set[str], bytes]]:
        """(UID, flags, raw bytes) of every message in ``folder``, read without setting \\Seen."""
        session = self.connect()
        try:
            typ, data = session.select(folder, readonly=True)
            assert typ == "OK", data
            typ, data = session.uid("SEARCH", "ALL")
            uids = [int(uid) for uid in data[0].split()]
            found = []
            for uid in uids:
                typ, data = session.uid("FETCH", str(uid), "(FLAGS BODY.PEEK[])")
                head, raw = data[0]
                flags = head.split(b"FLAGS (", 1)[1].split(b")", 1)[0].decode().split()
                found.append((uid, set(flags), raw))
            return found
        finally:
            session.logout()

    def unread_in_inbox_on_disk(self) -> int:
        """Unread messages in the INBOX, counted in the Maildir itself. For checks right after a
        refused login: Dovecot makes the next login from the same address wait seconds."""
        maildir = self.root / "mail" / self.user
        files = [*(maildir / "new").iterdir(), *(maildir / "cur").iterdir()]
        return sum("S" not in file.name.partition(":2,")[2] for file in files)

    def log(self) -> str:
        return (self.root / "dovecot.log").read_text()

    def folders(self) -> list[str]:
        session = self.connect()
        try:
            typ, data = session.list()
            return sorted(line.decode().rsplit(' "/" ', 1)[1].strip('"') for line in data)
        finally:
            session.logout()

    def create_folder(self, folder: str) -> None:
        session = self.connect()
        try:
            typ, data = session.create(folder)
            assert typ == "OK", data
        finally:
            session.logout()

    def delete_folder(self, folder: str) -> None:
        session = self.connect()
        try:
            typ, data = session.delete(folder)
            assert typ == "OK", data
        finally:
            session.logout()

    def uidvalidity(self, folder: str = "INBOX") -> int:
        session = self.connect()
        try:
            typ, data = session.status(folder, "(UIDVALIDITY)")
            return int(data[0].split(b"UIDVALIDITY ", 1)[1].split(b")", 1)[0])
        finally:
            session.logout()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_dovecot(root: Path, *, capability: str = "") -> tuple[Dovecot, subprocess.Popen]:
    """Starts Dovecot in the foreground with its configuration under ``root``, in a process group of
    its own, and waits until it greets."""
    if not DOVECOT.exists():
        message = f"Dovecot is not installed at {DOVECOT} (apt-get install dovecot-imapd)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    for folder in ("run", "state", "mail"):
        (root / folder).mkdir(parents=True)
    # The login processes run as dovenull and must reach the sockets under base_dir.
    root.chmod(0o755)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    shutil.chown(root / "mail", "dovecot", "dovecot")
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            root=root,
            port=port,
            capability=f"imap_capability = {capability}" if capability else "",
        )
    )
    with (root / "start.log").open("wb") as start_log:
        process = subprocess.Popen(
            [DOVECOT, "-F", "-c", config],
            stdin=subprocess.DEVNULL,
            stdout=start_log,
            stderr=start_log,
            start_new_session=True,
        )
    server = Dovecot(host="127.0.0.1", port=port, user=USER, password=PASSWORD, root=root)
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection((server.host, port), timeout=1) as probe:
                if probe.recv(100).startswith(b"* OK"):
                    return server, process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_dovecot(process)
                logs = [root / "start.log", root / "dovecot.log"]
                raise RuntimeError(
                    "\n".join(log.read_text() for log in logs if log.exists())
                ) from None
        time.sleep(0.02)


def stop_dovecot(process: subprocess.Popen) -> None:
    # A polite SIGTERM costs Dovecot's master a second of waiting for its children; the server
    # and its mail are thrown away, so the whole process group is killed at once.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def running_dovecot(*, capability: str = "") -> Iterator[Dovecot]:
    # Not under pytest's tmp_path: its parent is private to root, and Dovecot's mail processes
    # (user dovecot) must walk down to the Maildir.
    root = Path(tempfile.mkdtemp(prefix="attenda-dovecot-"))
    try:
        server, process = start_dovecot(root, capability=capability)
        try:
            yield server
        finally:
            stop_dovecot(process)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A fresh server per test, with an empty INBOX for support@example.com / secret."""
    yield from running_dovecot()


@pytest.fixture
def dovecot_offering() -> Iterator[Callable[[str], Dovecot]]:
    """Starts servers that advertise only the given capabilities (after login), e.g. no MOVE."""
    running: list[Iterator[Dovecot]] = []

    def start(capability: str) -> Dovecot:
        server = running_dovecot(capability=capability)
        running.append(server)
        return next(server)

    yield start
    for server in running:
        next(server, None)

"""Mail into Attenda by IMAP: new messages in a mailbox's folder are handed to ``take_mail()`` one by
one, and only then marked read or moved away, so a crash at any point loses nothing and takes
nothing twice. ``watch_mailbox()`` keeps doing so, woken by IMAP IDLE where the server offers it."""

import logging
import re
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from itertools import islice

from django.db import close_old_connections, connection
from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from attenda.channels.email.inbound import take_mail
from attenda.channels.email.models import Mailbox, Security
from attenda.core import clock
from attenda.tickets import arrivals

logger = logging.getLogger(__name__)

# Messages fetched per FETCH command, and the most bytes of mail held in memory at once: with
# 25 MB attachments, fifty messages at a time could need more than a gigabyte.
BATCH_MESSAGES = 50
BATCH_BYTES = 32 * 1024 * 1024
SOCKET_TIMEOUT_SECONDS = 60
# RFC 2177: a client must re-issue IDLE at least every 29 minutes or the server may log it out.
IDLE_LIMIT_SECONDS = 29 * 60
# How often a waiting watcher looks at its stop event.
STOP_CHECK_SECONDS = 1.0
BACKOFF_FIRST_SECONDS = 5
BACKOFF_MAX_SECONDS = 15 * 60
SEEN = b"\\Seen"
DELETED = b"\\Deleted"
# Errors of the wire and of the server, as opposed to errors in taking a message.
SERVER_ERRORS = (OSError, IMAPClientError)
SERVER_WORDS = re.compile(r"b(['\"])(.*)\1", re.S)


class MailNotTaken(Exception):
    """A fetched message could not be taken; it stays unread in the folder and is tried again."""

    def __init__(self, uid: int) -> None:
        super().__init__(f"IMAP message UID {uid} could not be taken")
        self.uid = uid


def check_mailbox(mailbox: Mailbox) -> int:
    """Takes every message that arrived in the mailbox's IMAP folder since the last check and says
    how many were new to Attenda."""
    with _session(mailbox) as client:
        return _take_new_mail(client, mailbox)


def check_all_mailboxes() -> dict[str, int]:
    """Checks every active IMAP mailbox; one that fails (its error kept on the mailbox) does not
    stop the others. Returns the number of new messages by mailbox address, for those that
    could be checked."""
    taken = {}
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(imap_host=""):
        try:
            taken[mailbox.address] = check_mailbox(mailbox)
        except Exception:
            logger.exception("Checking mailbox %s failed", mailbox.address)
    return taken


def watch_mailbox(
    mailbox_id: int, stop: threading.Event, *, idle_seconds: int = 300, poll_seconds: int = 60
) -> None:
    """Checks a mailbox over and over until ``stop`` is set or the mailbox no longer receives by
    IMAP: between checks it waits in IDLE for the server to announce mail, or sleeps
    ``poll_seconds`` on servers without IDLE. Meant to run in a thread of its own; it closes that
    thread's database connection when it returns."""
    failures = 0
    try:
        while not stop.is_set():
            # The row is read afresh each round: an administrator may have changed the server or
            # the password, or turned the mailbox off.
            close_old_connections()
            try:
                mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
                if mailbox is None or not mailbox.receives_by_imap:
                    return
                _watch_once(mailbox, stop, idle_seconds=idle_seconds, poll_seconds=poll_seconds)
            except Exception:
                failures += 1
                wait = min(BACKOFF_FIRST_SECONDS * 2 ** (failures - 1), BACKOFF_MAX_SECONDS)
                logger.exception(
                    "Watching mailbox %s failed (%s in a row); trying again in %s s",
                    mailbox_id,
                    failures,
                    wait,
                )
                stop.wait(wait)
            else:
                failures = 0
    finally:
        connection.close()


def _watch_once(
    mailbox: Mailbox, stop: threading.Event, *, idle_seconds: int, poll_seconds: int
) -> None:
    with _session(mailbox) as client:
        _take_new_mail(client, mailbox)
        idles = client.has_capability("IDLE")
        if idles:
            # Still on the folder just read: the server reports what arrived since, at once.
            _idle_until_news(client, stop, min(idle_seconds, IDLE_LIMIT_SECONDS))
    if not idles:
        stop.wait(poll_seconds)


def _idle_until_news(client: IMAPClient, stop: threading.Event, seconds: float) -> None:
    client.idle()
    try:
        deadline = time.monotonic() + seconds
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            timeout = min(left, STOP_CHECK_SECONDS)
            started = time.monotonic()
            responses = client.idle_check(timeout=timeout)
            if any(_announces_mail(response) for response in responses):
                return
            if not responses and time.monotonic() - started < timeout / 2:
                # Woken with nothing to read: the server closed the connection. Ending the
                # round reconnects (or fails in idle_done and backs off).
                return
    finally:
        client.idle_done()


def _announces_mail(response: tuple) -> bool:
    return len(response) >= 2 and (
        response[1] == b"EXISTS" or (response[1] == b"RECENT" and response[0] > 0)
    )


@contextmanager
def _session(mailbox: Mailbox) -> Iterator[IMAPClient]:
    """A logged-in connection to the mailbox's server. A failure of the server or the wire, or a
    message that could not be taken, is kept on the mailbox for its administrator, then raised."""
    client = None
    try:
        client = _connect(mailbox)
        client.login(mailbox.imap_user, mailbox.imap_password)
        yield client
    except LoginError as error:
        _record_error(mailbox, _("The IMAP server refused the login: %(reason)s"), error)
        raise
    except SERVER_ERRORS as error:
        _record_error(
            mailbox,
            _("Could not read mail from %(server)s: %(reason)s"),
            error,
            server=f"{mailbox.imap_host}:{mailbox.imap_port}",
        )
        raise
    except MailNotTaken as error:
        _record_error(
            mailbox,
            _("Message %(uid)s in the IMAP folder could not be taken: %(reason)s"),
            error.__cause__ or error,
            uid=error.uid,
        )
        raise
    finally:
        if client is not None:
            _close(client)


def _connect(mailbox: Mailbox) -> IMAPClient:
    context = ssl.create_default_context()
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=mailbox.imap_security == Security.SSL,
        ssl_context=context,
        timeout=SOCKET_TIMEOUT_SECONDS,
    )
    if mailbox.imap_security == Security.STARTTLS:
        try:
            client.starttls(context)
        except BaseException:
            _close(client)
            raise
    return client


def _close(client: IMAPClient) -> None:
    # The connection may already be gone; there is nothing left to do about it then.
    try:
        client.logout()
    except SERVER_ERRORS:
        with suppress(*SERVER_ERRORS):
            client.shutdown()


def _record_error(mailbox: Mailbox, text: str, error: BaseException, **values: object) -> None:
    reason = str(error).strip() or type(error).__name__
    # imaplib's errors carry the server's words as bytes, and imapclient's LoginError their repr.
    if quoted := SERVER_WORDS.fullmatch(reason):
        reason = quoted[2]
    mailbox.last_error = (text % {"reason": reason, **values})[:500]
    mailbox.save(update_fields=["last_error"])


def _take_new_mail(client: IMAPClient, mailbox: Mailbox) -> int:
    """Takes the folder's messages above the last UID taken, in UID order, saving progress after
    each one so a crash resumes after the last message taken."""
    selected = client.select_folder(mailbox.imap_folder)
    uidvalidity = selected[b"UIDVALIDITY"]
    if mailbox.imap_uidvalidity != uidvalidity:
        # UIDs of the old folder mean nothing in the new one (it was recreated or restored):
        # read it all again; take_mail() knows the messages already taken by Message-ID.
        if mailbox.imap_uidvalidity is not None:
            logger.info(
                "Mailbox %s: UIDVALIDITY of %s changed from %s to %s; reading the folder again",
                mailbox.address,
                mailbox.imap_folder,
                mailbox.imap_uidvalidity,
                uidvalidity,
            )
            mailbox.imap_last_uid = 0
        mailbox.imap_uidvalidity = uidvalidity
        mailbox.save(update_fields=["imap_uidvalidity", "imap_last_uid"])
    # "n:*" also matches the highest UID when it is below n, hence the filter.
    uids = sorted(
        uid
        for uid in client.search(["UID", f"{mailbox.imap_last_uid + 1}:*"])
        if uid > mailbox.imap_last_uid
    )
    archive = _Archive(client, mailbox.imap_archive_folder)
    new = 0
    for batch in _batches(client, uids):
        fetched = client.fetch(batch, ["BODY.PEEK[]"])
        for uid in batch:
            if uid not in fetched:
                continue  # expunged by someone else since the search
            try:
                taken = take_mail(mailbox, fetched[uid][b"BODY[]"], source="imap")
            except Exception as error:
                raise MailNotTaken(uid) from error
            new += not taken.duplicate
            mailbox.imap_last_uid = uid
            mailbox.save(update_fields=["imap_last_uid"])
            archive.put_away(uid)
    mailbox.last_checked_at = clock.now()
    mailbox.last_error = ""
    mailbox.save(update_fields=["last_checked_at", "last_error"])
    return new


def _batches(client: IMAPClient, uids: list[int]) -> Iterator[list[int]]:
    """UIDs in groups of at most BATCH_MESSAGES messages and, unless one message alone is bigger,
    BATCH_BYTES bytes."""
    chunks = iter(uids)
    while chunk := list(islice(chunks, BATCH_MESSAGES)):
        sizes = client.fetch(chunk, ["RFC822.SIZE"])
        batch: list[int] = []
        batch_bytes = 0
        for uid in chunk:
            size = sizes.get(uid, {}).get(b"RFC822.SIZE", 0)
            if batch and batch_bytes + size > BATCH_BYTES:
                yield batch
                batch, batch_bytes = [], 0
            batch.append(uid)
            batch_bytes += size
        if batch:
            yield batch


class _Archive:
    """What becomes of a message once taken: marked read in place, or moved to the archive folder
    (made when missing) by MOVE, or where the server lacks MOVE by COPY and then \\Deleted, with
    an expunge of that one message when the server can expunge by UID (UIDPLUS). Without UIDPLUS
    a plain EXPUNGE would also remove other messages someone marked \\Deleted that were never
    taken, so the copy in the folder is left marked \\Deleted for the server or a client to
    expunge."""

    def __init__(self, client: IMAPClient, folder: str) -> None:
        self.client = client
        self.folder = folder
        self.ready = False

    def put_away(self, uid: int) -> None:
        self.client.add_flags([uid], [SEEN], silent=True)
        if not self.folder:
            return
        self._make_folder()
        if self.client.has_capability("MOVE"):
            self.client.move([uid], self.folder)
            return
        self.client.copy([uid], self.folder)
        self.client.add_flags([uid], [DELETED], silent=True)
        if self.client.has_capability("UIDPLUS"):
            self.client.uid_expunge([uid])

    def _make_folder(self) -> None:
        if self.ready:
            return
        if not self.client.folder_exists(self.folder):
            try:
                self.client.create_folder(self.folder)
            except IMAPClientError:
                # Made meanwhile by another client is fine; anything else is not.
                if not self.client.folder_exists(self.folder):
                    raise
        self.ready = True


def watch_all_mailboxes(stop: threading.Event, *, rescan_seconds: int = 60, **options) -> None:
    """Keeps one watcher thread per active IMAP mailbox until ``stop`` is set: a mailbox added or
    switched on gets its watcher within ``rescan_seconds``; one switched off ends its own. Run it
    once per installation (``attenda mail``): two would check the same folders twice over."""
    watchers: dict[int, threading.Thread] = {}
    arrivals.prepare_and_set_aside()
    try:
        while not stop.is_set():
            close_old_connections()
            receiving = Mailbox.objects.filter(is_active=True).exclude(imap_host="")
            for mailbox_id in receiving.values_list("pk", flat=True):
                if mailbox_id in watchers and watchers[mailbox_id].is_alive():
                    continue
                watchers[mailbox_id] = threading.Thread(
                    target=watch_mailbox,
                    args=(mailbox_id, stop),
                    kwargs=options,
                    name=f"mailbox-{mailbox_id}",
                    daemon=True,
                )
                watchers[mailbox_id].start()
            connection.close()
            stop.wait(rescan_seconds)
    finally:
        stop.set()
        for watcher in watchers.values():
            watcher.join(timeout=10)
        connection.close()

"""Mail into tickets by IMAP, against a real Dovecot: each message taken once, marked read or moved
only once taken, a crash resumed where it stopped, and IDLE bringing mail in as it arrives."""

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.db import OperationalError
from imapclient.exceptions import LoginError

from attenda.channels.email import imap
from attenda.channels.email.imap import (
    MailNotTaken,
    check_all_mailboxes,
    check_mailbox,
    watch_all_mailboxes,
    watch_mailbox,
)
from attenda.channels.email.inbound import take_mail
from attenda.channels.email.models import InboundMail, Mailbox, MailState
from attenda.tickets.models import Ticket, TimelineEntry
from tests.channels.email import dovecot as dovecot_server
from tests.channels.email.dovecot import (
    WITHOUT_MOVE,
    WITHOUT_MOVE_OR_UIDPLUS,
    Dovecot,
    free_port,
)

dovecot = dovecot_server.dovecot
dovecot_offering = dovecot_server.dovecot_offering

WAIT_SECONDS = 10


def customer_mail(number: int, *, subject: str = "") -> bytes:
    return (
        f"Message-ID: <order-{number}@customer.example>\r\n"
        f"From: Maria Santos <maria{number}@customer.example>\r\n"
        "To: support@example.com\r\n"
        f"Subject: {subject or f'Order {number} never arrived'}\r\n"
        "Date: Mon, 24 Nov 2025 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"I ordered item {number} two weeks ago and it is still not here.\r\n"
    ).encode()


def imap_mailbox(server: Dovecot, **fields) -> Mailbox:
    settings = {
        "address": "support@example.com",
        "name": "Support",
        "imap_host": server.host,
        "imap_port": server.port,
        "imap_security": "none",
        "imap_user": server.user,
        "imap_password": server.password,
        **fields,
    }
    return Mailbox.objects.create(**settings)


def taken_message_ids() -> list[str]:
    return sorted(InboundMail.objects.values_list("message_id", flat=True))


def ids(*numbers: int) -> list[str]:
    return sorted(f"order-{number}@customer.example" for number in numbers)


def wait_for(condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> float:
    """Seconds until ``condition`` held; fails when it did not within ``seconds``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            pytest.fail(f"not within {seconds} s")
        time.sleep(0.05)
    return time.monotonic() - started


def written_despite_sqlite_locks(write: Callable[[], object]) -> bool:
    """Whether ``write`` went through. Threads share the in-memory SQLite test database through
    SQLite's shared cache, where a write meeting another thread's is refused at once ("table is
    locked") instead of waiting its turn; so while a watcher runs, the test reads the IMAP server
    rather than the database, and writes through this."""
    try:
        write()
    except OperationalError as error:
        if "locked" not in str(error):
            raise
        return False
    return True


@pytest.fixture
def watching() -> Iterator[Callable[..., threading.Thread]]:
    """Starts ``watch_mailbox`` in threads, and stops them at the end of the test."""
    started: list[tuple[threading.Thread, threading.Event]] = []

    def start(mailbox: Mailbox, **options) -> threading.Thread:
        stop = threading.Event()
        thread = threading.Thread(
            target=watch_mailbox, args=(mailbox.pk, stop), kwargs=options, daemon=True
        )
        thread.stop = stop
        thread.start()
        started.append((thread, stop))
        return thread

    yield start
    for thread, stop in started:
        stop.set()
        thread.join(WAIT_SECONDS)


def test_mail_in_the_inbox_becomes_tickets_and_is_marked_read(db, dovecot):
    # given
    dovecot.append(customer_mail(1), customer_mail(2), customer_mail(3))
    mailbox = imap_mailbox(dovecot)

    # when
    taken = check_mailbox(mailbox)

    # then
    assert taken == 3
    assert taken_message_ids() == ids(1, 2, 3)
    assert set(InboundMail.objects.values_list("source", "state")) == {("imap", MailState.TAKEN)}
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Order 1 never arrived",
        "Order 2 never arrived",
        "Order 3 never arrived",
    ]
    for message_id in ids(1, 2, 3):
        entry = TimelineEntry.objects.get(external_id=message_id)
        assert "still not here" in entry.body
    assert [(uid, "\\Seen" in flags) for uid, flags, _raw in dovecot.messages()] == [
        (1, True),
        (2, True),
        (3, True),
    ]
    mailbox.refresh_from_db()
    assert mailbox.imap_last_uid == 3
    assert mailbox.imap_uidvalidity == dovecot.uidvalidity()
    assert mailbox.last_checked_at is not None
    assert mailbox.last_error == ""


def test_a_second_check_takes_only_what_arrived_since(db, dovecot):
    # given
    dovecot.append(customer_mail(1), customer_mail(2))
    mailbox = imap_mailbox(dovecot)
    check_mailbox(mailbox)

    # when
    nothing_new = check_mailbox(mailbox)
    dovecot.append(customer_mail(3))
    one_new = check_mailbox(mailbox)

    # then
    assert (nothing_new, one_new) == (0, 1)
    assert taken_message_ids() == ids(1, 2, 3)
    assert Ticket.objects.count() == 3
    assert TimelineEntry.objects.filter(external_id__in=ids(1, 2, 3)).count() == 3


def test_taken_mail_is_moved_to_the_archive_folder_which_is_made_when_missing(db, dovecot):
    # given
    dovecot.append(customer_mail(1), customer_mail(2))
    mailbox = imap_mailbox(dovecot, imap_archive_folder="Attenda/Taken")

    # when
    taken = check_mailbox(mailbox)

    # then
    assert taken == 2
    assert dovecot.messages("INBOX") == []
    assert "Attenda/Taken" in dovecot.folders()
    archived = dovecot.messages("Attenda/Taken")
    assert [b"<order-1@" in raw for _uid, _flags, raw in archived] == [True, False]
    assert all("\\Seen" in flags for _uid, flags, _raw in archived)
    assert taken_message_ids() == ids(1, 2)


def test_a_server_without_move_gets_copy_and_expunge_instead(db, dovecot_offering):
    # given
    server = dovecot_offering(WITHOUT_MOVE)
    server.append(customer_mail(1), customer_mail(2))
    server.create_folder("Taken")
    mailbox = imap_mailbox(server, imap_archive_folder="Taken")

    # when
    taken = check_mailbox(mailbox)

    # then
    assert taken == 2
    assert server.messages("INBOX") == []
    assert len(server.messages("Taken")) == 2
    assert taken_message_ids() == ids(1, 2)


def test_without_uidplus_taken_mail_is_copied_and_left_marked_deleted(db, dovecot_offering):
    """A plain EXPUNGE would also remove messages someone else marked \\Deleted, never taken."""
    # given
    server = dovecot_offering(WITHOUT_MOVE_OR_UIDPLUS)
    server.append(customer_mail(1), customer_mail(2))
    mailbox = imap_mailbox(server, imap_archive_folder="Taken")

    # when
    taken = check_mailbox(mailbox)

    # then
    assert taken == 2
    assert [flags for _uid, flags, _raw in server.messages("INBOX")] == [
        {"\\Seen", "\\Deleted"},
        {"\\Seen", "\\Deleted"},
    ]
    assert len(server.messages("Taken")) == 2


def test_a_crash_in_the_middle_of_a_batch_resumes_after_the_last_message_taken(
    db, dovecot, monkeypatch
):
    # given
    dovecot.append(*(customer_mail(number) for number in range(1, 6)))
    mailbox = imap_mailbox(dovecot, imap_archive_folder="Taken")
    calls = []

    def failing_on_the_third(mailbox, raw, *, source):
        calls.append(raw)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return take_mail(mailbox, raw, source=source)

    monkeypatch.setattr(imap, "take_mail", failing_on_the_third)

    # when
    with pytest.raises(MailNotTaken) as failure:
        check_mailbox(mailbox)

    # then
    assert failure.value.uid == 3
    assert taken_message_ids() == ids(1, 2)
    mailbox.refresh_from_db()
    assert mailbox.imap_last_uid == 2
    assert mailbox.last_error == ("Message 3 in the IMAP folder could not be taken: disk full")
    assert [(uid, flags) for uid, flags, _raw in dovecot.messages("INBOX")] == [
        (3, set()),
        (4, set()),
        (5, set()),
    ]
    assert [uid for uid, _flags, _raw in dovecot.messages("Taken")] == [1, 2]

    # when
    monkeypatch.undo()
    taken = check_mailbox(mailbox)

    # then
    assert taken == 3
    assert taken_message_ids() == ids(1, 2, 3, 4, 5)
    assert Ticket.objects.count() == 5
    assert dovecot.messages("INBOX") == []
    assert len(dovecot.messages("Taken")) == 5
    mailbox.refresh_from_db()
    assert (mailbox.imap_last_uid, mailbox.last_error) == (5, "")


def test_mail_taken_before_its_uid_was_saved_is_not_taken_twice(db, dovecot):
    # given
    dovecot.append(*(customer_mail(number) for number in range(1, 6)))
    mailbox = imap_mailbox(dovecot)
    check_mailbox(mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_last_uid=0)
    mailbox.refresh_from_db()

    # when
    taken = check_mailbox(mailbox)

    # then
    assert taken == 0
    assert taken_message_ids() == ids(1, 2, 3, 4, 5)
    assert Ticket.objects.count() == 5
    assert TimelineEntry.objects.filter(external_id__in=ids(1, 2, 3, 4, 5)).count() == 5
    mailbox.refresh_from_db()
    assert mailbox.imap_last_uid == 5


def test_a_recreated_folder_is_read_again_from_its_first_message(db, dovecot):
    # given
    dovecot.create_folder("Support")
    dovecot.append(customer_mail(1), customer_mail(2), folder="Support")
    mailbox = imap_mailbox(dovecot, imap_folder="Support")
    check_mailbox(mailbox)
    old_uidvalidity = mailbox.imap_uidvalidity
    dovecot.delete_folder("Support")
    dovecot.create_folder("Support")
    # Restored from a backup with one old message, then a new one came: UIDs 1 and 2 again.
    dovecot.append(customer_mail(1), customer_mail(3), folder="Support")

    # when
    taken = check_mailbox(mailbox)

    # then
    assert taken == 1
    assert taken_message_ids() == ids(1, 2, 3)
    mailbox.refresh_from_db()
    assert mailbox.imap_uidvalidity == dovecot.uidvalidity("Support") != old_uidvalidity
    assert mailbox.imap_last_uid == 2


def test_a_changed_uidvalidity_rereads_the_folder_without_taking_anything_twice(db, dovecot):
    # given
    dovecot.append(customer_mail(1), customer_mail(2))
    mailbox = imap_mailbox(dovecot, imap_uidvalidity=1, imap_last_uid=99)
    take_mail(mailbox, customer_mail(1), source="smtp")

    # when
    taken = check_mailbox(mailbox)

    # then
    assert taken == 1
    assert taken_message_ids() == ids(1, 2)
    assert InboundMail.objects.get(message_id=ids(1)[0]).source == "smtp"
    mailbox.refresh_from_db()
    assert (mailbox.imap_uidvalidity, mailbox.imap_last_uid) == (dovecot.uidvalidity(), 2)


def test_a_wrong_password_is_reported_on_the_mailbox_and_nothing_is_taken(db, dovecot):
    # given
    dovecot.append(customer_mail(1))
    mailbox = imap_mailbox(dovecot, imap_password="not-the-password")

    # when
    with pytest.raises(LoginError):
        check_mailbox(mailbox)

    # then
    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith("The IMAP server refused the login: ")
    assert "AUTHENTICATIONFAILED" in mailbox.last_error
    assert mailbox.last_checked_at is None
    assert InboundMail.objects.count() == 0
    assert Ticket.objects.count() == 0
    assert dovecot.unread_in_inbox_on_disk() == 1


def test_a_server_that_cannot_be_reached_is_reported_on_the_mailbox(db):
    # given
    port = free_port()
    mailbox = Mailbox.objects.create(
        address="support@example.com",
        name="Support",
        imap_host="127.0.0.1",
        imap_port=port,
        imap_security="none",
        imap_user="support@example.com",
        imap_password="secret",
    )

    # when
    with pytest.raises(ConnectionRefusedError):
        check_mailbox(mailbox)

    # then
    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith(f"Could not read mail from 127.0.0.1:{port}: ")


def test_checking_all_mailboxes_goes_on_past_one_that_fails(db, dovecot):
    # given
    dovecot.append(customer_mail(1))
    working = imap_mailbox(dovecot)
    # Checked after the working one (by address), which so escapes Dovecot's delay for logins
    # that follow a refused one.
    refusing = imap_mailbox(dovecot, address="ventas@example.com", imap_password="wrong")
    switched_off = imap_mailbox(dovecot, address="old@example.com", is_active=False)
    Mailbox.objects.create(address="web@example.com", name="Web form")

    # when
    taken = check_all_mailboxes()

    # then
    assert taken == {"support@example.com": 1}
    assert list(InboundMail.objects.values_list("mailbox__address", flat=True)) == [
        "support@example.com"
    ]
    for mailbox in (working, refusing, switched_off):
        mailbox.refresh_from_db()
    assert working.last_error == ""
    assert refusing.last_error.startswith("The IMAP server refused the login: ")
    assert switched_off.last_checked_at is None


def test_idle_brings_new_mail_in_within_seconds(transactional_db, dovecot, watching):
    # given
    dovecot.append(customer_mail(1))
    mailbox = imap_mailbox(dovecot)
    watcher = watching(mailbox, idle_seconds=60, poll_seconds=600)
    wait_for(lambda: dovecot.unread_in_inbox_on_disk() == 0)

    # when
    dovecot.append(customer_mail(2))
    seconds = wait_for(lambda: dovecot.unread_in_inbox_on_disk() == 0)
    watcher.stop.set()
    watcher.join(WAIT_SECONDS)

    # then
    assert seconds < 5
    assert not watcher.is_alive()
    assert taken_message_ids() == ids(1, 2)
    assert TimelineEntry.objects.filter(external_id=ids(2)[0]).count() == 1


def test_a_watcher_stops_when_its_mailbox_is_switched_off(transactional_db, dovecot, watching):
    # given
    dovecot.append(customer_mail(1))
    mailbox = imap_mailbox(dovecot)
    watcher = watching(mailbox, idle_seconds=1)
    wait_for(lambda: dovecot.unread_in_inbox_on_disk() == 0)

    # when
    wait_for(
        lambda: written_despite_sqlite_locks(
            lambda: Mailbox.objects.filter(pk=mailbox.pk).update(is_active=False)
        )
    )

    # then
    wait_for(lambda: not watcher.is_alive())
    assert not watcher.stop.is_set()


def test_a_watcher_refused_by_the_server_keeps_the_error_and_stops_when_told(
    transactional_db, dovecot, watching
):
    # given
    dovecot.append(customer_mail(1))
    mailbox = imap_mailbox(dovecot, imap_password="wrong")
    watcher = watching(mailbox)
    wait_for(lambda: "auth failed" in dovecot.log())

    # when
    watcher.stop.set()

    # then
    assert wait_for(lambda: not watcher.is_alive(), seconds=3) < imap.BACKOFF_FIRST_SECONDS
    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith("The IMAP server refused the login: ")
    assert InboundMail.objects.count() == 0


def test_one_watcher_per_active_mailbox_is_started_and_all_stop_together(transactional_db, dovecot):
    dovecot.append(customer_mail(1))
    imap_mailbox(dovecot)
    Mailbox.objects.create(address="off@example.com", name="Off", imap_host="x", is_active=False)
    stop = threading.Event()
    supervisor = threading.Thread(
        target=watch_all_mailboxes,
        args=(stop,),
        kwargs={"rescan_seconds": 1, "idle_seconds": 60},
        daemon=True,
    )
    supervisor.start()

    wait_for(lambda: dovecot.unread_in_inbox_on_disk() == 0)
    watchers = [
        thread.name for thread in threading.enumerate() if thread.name.startswith("mailbox-")
    ]
    stop.set()
    supervisor.join(WAIT_SECONDS)

    assert len(watchers) == 1
    assert not supervisor.is_alive()
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("mailbox-")]
    assert taken_message_ids() == ids(1)

"""Attenda's own mail receiver: a mail server (Postfix, Exim…) delivers mail for our mailboxes to
`attenda smtpd` by SMTP or LMTP. A message is accepted only once ``take_mail()`` has kept it, so when
keeping fails the sending server is told to try again later and nothing is lost."""

import logging
import signal
import socket
import threading
from types import FrameType

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.db import close_old_connections

from attenda.channels.email.addresses import mailbox_and_ticket
from attenda.channels.email.inbound import take_mail
from attenda.channels.email.models import Mailbox
from attenda.tickets import arrivals

logger = logging.getLogger(__name__)

# RFC 5321 asks a server to take at least 100 recipients; more in one message is refused with 452,
# which makes the sending server send the rest in another transaction.
MAX_RECIPIENTS = 100
# Larger than the attachment limit (ATTACHMENT_MAX_BYTES), so a mail with one too-large attachment
# still arrives and the timeline says what was not stored; base64 adds a third to the size.
MAX_MESSAGE_BYTES = 50 * 1024 * 1024
SOURCE = "smtp"

RECIPIENT_ACCEPTED = "250 2.1.5 OK"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
# 4xx: the sending server keeps the message and tries again, so a failure here loses nothing.
NOT_NOW = "451 4.3.0 The message could not be kept now; try again later"


def _no_such_mailbox(address: str) -> str:
    return f"550 5.1.1 <{address}>: no such mailbox here"


def _kept_reply(address: str) -> str:
    return f"250 2.0.0 <{address}> Message kept"


def _mailbox_of(address: str) -> str:
    """The mailbox address mail to ``address`` is for: a signed reply address
    (``box+12.token@domain``) is for its mailbox."""
    mailbox_address, _ticket_number = mailbox_and_ticket(address)
    return mailbox_address


def _active_mailbox(mailbox_address: str) -> Mailbox | None:
    return Mailbox.objects.filter(address__iexact=mailbox_address, is_active=True).first()


def _receives_mail(address: str) -> bool:
    close_old_connections()
    try:
        return _active_mailbox(_mailbox_of(address)) is not None
    finally:
        close_old_connections()


def _keep(recipients: list[str], raw: bytes) -> list[bool]:
    """Keeps the message once in each recipient's mailbox; says, per recipient, whether it is kept.
    The connection is released afterwards as Django's request cycle does, so a database restart
    or a connection past its age does not break the next message."""
    close_old_connections()
    try:
        mailboxes = [_mailbox_of(address) for address in recipients]
        kept_in = {
            address: _keep_in(address, raw, recipients) for address in dict.fromkeys(mailboxes)
        }
        return [kept_in[address] for address in mailboxes]
    finally:
        close_old_connections()


def _keep_in(mailbox_address: str, raw: bytes, recipients: list[str]) -> bool:
    try:
        # Looked up again: the mailbox may have been switched off since RCPT; the sender's retry
        # then gets a 550 at RCPT, which is the answer it should have had.
        mailbox = _active_mailbox(mailbox_address)
        if mailbox is None:
            return False
        take_mail(mailbox, raw, source=SOURCE, envelope_recipients=recipients)
    except Exception:
        logger.exception("Mail to %s could not be kept; the sender will retry.", mailbox_address)
        return False
    return True


class MailReceiver:
    """The aiosmtpd handler: refuses unknown recipients at RCPT and answers DATA only once the
    message is kept. Database work runs in worker threads, off the event loop."""

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return TOO_MANY_RECIPIENTS
        try:
            known = await sync_to_async(_receives_mail, thread_sensitive=False)(address)
        except Exception:
            logger.exception("Could not look up the mailbox for %s.", address)
            return NOT_NOW
        if not known:
            return _no_such_mailbox(address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return RECIPIENT_ACCEPTED

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        kept = await sync_to_async(_keep, thread_sensitive=False)(envelope.rcpt_tos, raw)
        if isinstance(server, LMTP):
            # LMTP answers DATA once per accepted recipient, in RCPT order (RFC 2033, 4.2);
            # aiosmtpd sends what we return as it is, so the replies are separate lines.
            return "\r\n".join(
                _kept_reply(address) if ok else NOT_NOW
                for address, ok in zip(envelope.rcpt_tos, kept, strict=True)
            )
        # SMTP has one answer for all recipients: when any mailbox failed the sender retries the
        # whole message, and the mailboxes that kept it see a duplicate and keep it once.
        return "250 2.0.0 Message kept" if all(kept) else NOT_NOW

    async def handle_exception(self, error: Exception) -> str:
        # aiosmtpd would answer 500, a permanent failure that makes the sender bounce the mail.
        logger.error("The mail receiver failed.", exc_info=error)
        return NOT_NOW


class _LMTPController(Controller):
    def factory(self) -> LMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


def mail_receiver(host: str, port: int, *, lmtp: bool = False) -> Controller:
    """A receiver listening on ``host:port`` once ``start()``ed, on a thread of its own, until
    ``stop()``."""
    controller_class = _LMTPController if lmtp else Controller
    return controller_class(
        MailReceiver(),
        hostname=host,
        port=port,
        # The name in the greeting, looked up once rather than on every connection.
        server_hostname=socket.getfqdn(),
        data_size_limit=MAX_MESSAGE_BYTES,
    )


def serve(host: str, port: int, *, lmtp: bool = False) -> None:
    """Receives mail until Ctrl-C or SIGTERM."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Handlers first: a SIGTERM that arrives while the receiver starts must still stop it.
    previous = {
        signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        arrivals.prepare_and_set_aside()
        receiver = mail_receiver(host, port, lmtp=lmtp)
        receiver.start()
        try:
            shown = f"[{host}]" if ":" in host else host
            protocol = "LMTP" if lmtp else "SMTP"
            # The command's own output: the operator needs to see where to point the mail server.
            print(f"Attenda receives mail by {protocol} at {shown}:{port}", flush=True)  # noqa: T201
            print("Press Ctrl-C to stop.", flush=True)  # noqa: T201
            stop.wait()
            print("Stopping the mail receiver…", flush=True)  # noqa: T201
        finally:
            receiver.stop()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

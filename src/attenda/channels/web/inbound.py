"""The contact form's submissions → ``Inbound`` → ``receive()``. Spam is held off without a
third-party captcha: a hidden field people never fill, a signed stamp of when the form was opened
(sent too fast → a program), and a few submissions an hour per network address and per email
address. What looks like spam is held, kept whole, for an admin to release; never dropped.

The stamp stands in for CSRF (the form lives in other sites' frames, where Attenda's cookies are
withheld, and acts for nobody signed in). It is signed with the secret key under this form's own
salt, so no other signed value of Attenda passes for it and nobody can make one; it names the team
the page asked for, so it passes only on that form; it carries a random nonce that one submission
uses up (a database constraint, so also across web processes and at the same moment: a second use
is held as "reused"); and it is good for WEB_FORM_MAX_AGE_SECONDS after the form opened. The view
checks the POST's Origin (or Referer) against Attenda's own address and the sites allowed to embed
the form (views.py)."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.db import IntegrityError, transaction

from attenda.agents.models import Agent, Team
from attenda.core import audit, clock
from attenda.customers.services import IdentityClaim
from attenda.tickets.messages import Inbound, InboundFile
from attenda.tickets.models import Blob, Channel, Ticket
from attenda.tickets.services import receive, store_blob

from .models import HoldReason, SubmissionState, WebSubmission

STAMP_SALT = "attenda.web-form.opened"
RATE_WINDOW = timedelta(hours=1)


class TooManySubmissions(Exception):
    """Beyond the ceiling of one network address: nothing is stored, the visitor is told to wait."""


@dataclass(frozen=True)
class ContactForm:
    name: str
    email: str
    subject: str
    message: str
    kind: str
    language: str
    files: list[InboundFile]
    honeypot: str
    stamp: str
    address: str | None
    team_id: int | None = None


def opened_stamp(*, team_id: int | None = None) -> str:
    """Put in the form when it is shown; signed, so a program cannot claim it opened the form
    earlier than it did, nor for another team's form, and good for one submission."""
    return signing.dumps(
        {"at": clock.now().timestamp(), "nonce": secrets.token_urlsafe(18), "team": team_id},
        salt=STAMP_SALT,
    )


def _read_stamp(stamp: str, team_id: int | None) -> tuple[str, str]:
    """What is wrong with the stamp ("" if nothing), and its nonce."""
    try:
        signed = signing.loads(stamp, salt=STAMP_SALT)
        opened, nonce = float(signed["at"]), str(signed["nonce"])
        team = signed.get("team")
    except (signing.BadSignature, TypeError, ValueError, KeyError):
        return HoldReason.BAD_TIMESTAMP, ""
    if team != team_id or not nonce:
        return HoldReason.BAD_TIMESTAMP, ""
    age = clock.now().timestamp() - opened
    if age < 0 or age > settings.WEB_FORM_MAX_AGE_SECONDS:
        return HoldReason.BAD_TIMESTAMP, nonce
    if age < settings.WEB_FORM_MIN_SECONDS:
        return HoldReason.TOO_FAST, nonce
    return "", nonce


def _count(key: str) -> int:
    """Submissions under ``key`` in this hour of the one clock (so tests can move it)."""
    rates = caches["rates"]
    window = int(clock.now().timestamp() // RATE_WINDOW.total_seconds())
    key = f"web-form:{key}:{window}"
    rates.add(key, 0, timeout=int(RATE_WINDOW.total_seconds()) + 1)
    try:
        return rates.incr(key)
    except ValueError:
        rates.add(key, 1, timeout=int(RATE_WINDOW.total_seconds()) + 1)
        return 1


def _hashed(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def _hold_reason(form: ContactForm) -> tuple[str, str]:
    """Why the submission is held ("" if it is not), and the stamp's nonce it uses up."""
    problem, nonce = _read_stamp(form.stamp, form.team_id)
    if form.honeypot.strip():
        return HoldReason.HONEYPOT, nonce
    if problem:
        return problem, nonce
    if (
        form.address
        and _count(f"address:{_hashed(form.address)}") > settings.WEB_FORM_RATE_PER_ADDRESS
    ):
        return HoldReason.RATE_ADDRESS, nonce
    if _count(f"email:{_hashed(form.email)}") > settings.WEB_FORM_RATE_PER_EMAIL:
        return HoldReason.RATE_EMAIL, nonce
    return "", nonce


def _team_id(asked: int | None) -> int | None:
    """The team a page of the company's site names, if it exists; else the team of the desk's
    first mailbox, the one the acknowledgement leaves from."""
    from attenda.channels.email.models import Mailbox

    if asked is not None and Team.objects.filter(pk=asked).exists():
        return asked
    return (
        Mailbox.objects.filter(is_active=True, team__isnull=False)
        .order_by("pk")
        .values_list("team_id", flat=True)
        .first()
    )


@transaction.atomic
def submit(form: ContactForm) -> WebSubmission:
    """Keeps the submission, then opens its ticket unless it looks like spam. Raises
    TooManySubmissions past the hard ceiling of one network address."""
    if form.address and _count(f"ceiling:{_hashed(form.address)}") > settings.WEB_FORM_CEILING:
        raise TooManySubmissions
    reason, nonce = _hold_reason(form)
    fields = {
        "name": form.name[:200],
        "email": form.email.strip().lower()[:320],
        "subject": form.subject[:300],
        "message": form.message,
        "kind": form.kind,
        "language": form.language,
        "files": [
            {
                "blob": store_blob(file.content).pk,
                "filename": file.filename[:255],
                "content_type": file.content_type[:255],
            }
            for file in form.files
        ],
        "honeypot": form.honeypot[:500],
        "address": form.address,
        "team_id": _team_id(form.team_id),
    }
    try:
        with transaction.atomic():
            submission = WebSubmission.objects.create(
                **fields,
                state=SubmissionState.HELD if reason else SubmissionState.ACCEPTED,
                hold_reason=reason,
                stamp_nonce=nonce,
            )
    except IntegrityError:
        # The stamp made a submission already (a second click, a replay): kept, held.
        reason = HoldReason.REUSED_STAMP
        submission = WebSubmission.objects.create(
            **fields, state=SubmissionState.HELD, hold_reason=reason
        )
    if not reason:
        _open_ticket(submission)
    return submission


@transaction.atomic
def release(*, submission: WebSubmission, actor: Agent) -> WebSubmission:
    """An admin judged a held submission real: it becomes a ticket as if it had passed."""
    submission = WebSubmission.objects.select_for_update().get(pk=submission.pk)
    if submission.state != SubmissionState.HELD:
        return submission
    submission.state = SubmissionState.RELEASED
    submission.released_by = actor
    submission.save(update_fields=["state", "released_by"])
    _open_ticket(submission)
    audit.record(actor=actor, action="web_form.released", target=submission)
    return submission


def _files(submission: WebSubmission) -> list[InboundFile]:
    blobs = Blob.objects.in_bulk([file["blob"] for file in submission.files])
    files = []
    for file in submission.files:
        with blobs[file["blob"]].content.open("rb") as content:
            files.append(
                InboundFile(
                    filename=file["filename"],
                    content_type=file["content_type"],
                    content=content.read(),
                )
            )
    return files


def _open_ticket(submission: WebSubmission) -> Ticket:
    received = receive(
        Inbound(
            channel=Channel.WEB,
            claims=[IdentityClaim(kind="email", value=submission.email)],
            sender_name=submission.name,
            subject=submission.subject,
            body=submission.message,
            language=submission.language,
            kind=submission.kind or None,
            team_id=submission.team_id,
            files=_files(submission),
            external_id=f"web-form-{submission.pk}",
            received_at=submission.created_at,
            entry_data={"web_form": submission.pk},
        )
    )
    submission.ticket = received.ticket
    submission.save(update_fields=["ticket"])
    if received.opened:
        _acknowledge(received.ticket, submission.email)
    return received.ticket


def _acknowledge(ticket: Ticket, address: str) -> None:
    """By email, through the email channel's one acknowledgement (its wording, its limits)."""
    from attenda.channels.email.outbound import acknowledge, mailbox_for

    mailbox = mailbox_for(ticket)
    if mailbox is not None:
        acknowledge(ticket=ticket, mailbox=mailbox, to=address)

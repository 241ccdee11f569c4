"""Every write to mailboxes: admins create and change them (passwords kept unless a new one is
given), let held mail through and reprocess the mail of the unprocessable store."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from attenda.agents.models import Agent
from attenda.channels.email.inbound import take_again, ticket_entry
from attenda.channels.email.models import InboundMail, Mailbox, MailState
from attenda.channels.email.parsing import Address, parse_message
from attenda.core import audit

PASSWORDS = ("imap_password", "smtp_password")


def _require_admin(actor: Agent) -> None:
    if not actor.is_admin:
        raise PermissionDenied


@transaction.atomic
def save_mailbox(*, mailbox: Mailbox, actor: Agent, **fields) -> Mailbox:
    """Creates (an unsaved ``mailbox``) or changes a mailbox. An empty password keeps the one stored;
    the audit trail records which settings changed, never a password itself."""
    _require_admin(actor)
    creating = mailbox.pk is None
    if "address" in fields:
        fields["address"] = fields["address"].strip().lower()
    changed = []
    for name, value in fields.items():
        if name in PASSWORDS and not value:
            continue
        if getattr(mailbox, name) != value:
            changed.append(name)
            setattr(mailbox, name, value)
    if {"imap_host", "imap_user", "imap_folder"} & set(changed):
        # Another server or folder: its UIDs mean something else.
        mailbox.imap_uidvalidity, mailbox.imap_last_uid = None, 0
    mailbox.full_clean()
    mailbox.save()
    audit.record(
        actor=actor,
        action="mailbox.created" if creating else "mailbox.changed",
        target=mailbox,
        changed=sorted(changed),
    )
    return mailbox


@transaction.atomic
def let_through(*, mail: InboundMail, actor: Agent) -> InboundMail:
    """Puts a held message on its ticket, as if it had not been held."""
    _require_admin(actor)
    mail = InboundMail.objects.select_for_update().get(pk=mail.pk)
    if mail.state != MailState.HELD:
        return mail
    with mail.raw.content.open("rb") as source:
        raw = source.read()
    mail.state = MailState.TAKEN
    mail.save(update_fields=["state"])
    ticket_entry(mail, parse_message(raw), raw)
    audit.record(actor=actor, action="mail.let_through", target=mail)
    return mail


def reprocess(*, mail: InboundMail, actor: Agent, sender: str = "") -> InboundMail:
    """Runs a message of the unprocessable store through the intake again and records who did it
    and what became of it. ``sender`` is the address a person chose for a message whose From was
    unclear: it is then put on that customer's ticket, without an acknowledgement."""
    _require_admin(actor)
    if mail.state != MailState.UNPROCESSABLE:
        return mail
    chosen = Address(name="", address=sender.strip()) if sender.strip() else None
    # Not one transaction with the intake: a message that fails again stays in the store, and
    # that attempt is recorded too.
    result = take_again(mail, sender=chosen)
    audit.record(
        actor=actor,
        action="mail.reprocessed",
        target=result,
        state=result.state,
        reason=result.set_aside_reason,
        sender=sender.strip(),
        entry=result.entry_id,
    )
    return result

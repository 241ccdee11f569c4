"""Messaging apps in: the webhook stores each event of a body before answering (``record``), and
a task turns each stored event into an ``Inbound`` for ``receive()`` or applies its receipts
(``take_event``). What cannot be read stays stored, raw, for an admin; nothing is dropped."""

import base64
import json
import logging
from dataclasses import replace
from types import ModuleType

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attenda.channels.social import messenger, telegram, whatsapp, x
from attenda.channels.social.models import (
    EventKind,
    EventState,
    Provider,
    SocialAccount,
    SocialEvent,
    SocialReply,
)
from attenda.channels.social.wire import (
    MediaRef,
    ProviderError,
    Receipt,
    Unsupported,
    WireEvent,
    WireMessage,
    canonical_id,
)
from attenda.core.tasks import background, give_way, run_with_retries
from attenda.customers.services import identify
from attenda.tickets.messages import Inbound, InboundFile
from attenda.tickets.models import Channel, Delivery, TimelineEntry
from attenda.tickets.services import delivery_failed, receive, store_blob

logger = logging.getLogger(__name__)

PROVIDERS: dict[str, ModuleType] = {
    Provider.WHATSAPP: whatsapp,
    Provider.TELEGRAM: telegram,
    Provider.MESSENGER: messenger,
    Provider.X: x,
}
# A receipt only moves a reply forward: a late "delivered" after "read" leaves it read.
PROGRESS = {"": 0, Delivery.QUEUED: 1, Delivery.SENT: 2, Delivery.DELIVERED: 3, Delivery.READ: 4}
RECEIPT_STATES = {"delivered": Delivery.DELIVERED, "read": Delivery.READ}


def record(*, account: SocialAccount, body: bytes) -> list[SocialEvent]:
    """Stores each event of a signed webhook body and queues the readable ones; returns those new
    here. The same event again (a provider's retry, also at the same moment) is stored once."""
    try:
        if b"\\u0000" in body:
            # PostgreSQL's JSON cannot hold a NUL character: such a body is kept as its text.
            raise ValueError("a NUL character")
        payload = json.loads(body)
        events = PROVIDERS[account.provider].split(account, payload)
    except (ValueError, TypeError, KeyError, AttributeError):
        payload, events = None, []
    if not events:
        # Not a body this provider's module knows: kept whole, as text, for an admin.
        kept = payload if payload is not None else _as_text(body)
        events = [WireEvent(canonical_id(kept), EventKind.UNSUPPORTED, {"body": kept})]
    stored = []
    for event in events:
        created = _store(account, event)
        if created is not None:
            stored.append(created)
    return stored


def _as_text(body: bytes) -> dict:
    """A body that is not JSON, as its text, or byte for byte (base64) when it is not UTF-8 or
    holds a NUL, which PostgreSQL's JSON cannot."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = "\0"
    if "\0" in text:
        return {"base64": base64.b64encode(body).decode()}
    return {"body": text}


def _store(account: SocialAccount, event: WireEvent) -> SocialEvent | None:
    """One transaction: the event, and on the database queue its task with it (one write, and a
    stored event always has its task); on another queue the task follows the commit."""
    waiting = event.kind in (EventKind.MESSAGE, EventKind.STATUS)
    state = {
        EventKind.UNSUPPORTED: EventState.UNSUPPORTED,
        EventKind.IGNORED: EventState.TAKEN,
    }.get(event.kind, EventState.PENDING)
    try:
        with transaction.atomic():
            stored = SocialEvent.objects.create(
                account=account,
                provider=account.provider,
                event_id=event.event_id[:255],
                kind=event.kind,
                conversation=event.conversation[:64],
                payload=event.payload,
                state=state,
            )
            if waiting and settings.TASK_BACKEND == "database":
                run_with_retries.enqueue(take_event.path, [stored.pk], {}, 1)
            elif waiting:
                take_event.enqueue_on_commit(stored.pk)
    except IntegrityError:
        return None  # the same event, stored already (or at this very moment by another request)
    return stored


@background(
    gave_up=lambda event_id, *, error: _failed(event_id, error),
    label=gettext_lazy("Taking a messaging-app message"),
)
def take_event(event_id: int) -> None:
    """Reads one stored event. Files are fetched, and the message made ready for receive(), before
    its transaction, so a slow provider does not hold the database (on SQLite, the lock webhooks
    wait for); a file that fails leaves a reference on the message, shown to the agent."""
    event = SocialEvent.objects.select_related("account").get(pk=event_id)
    if event.state != EventState.PENDING:
        return
    provider = PROVIDERS[event.provider]
    try:
        if event.kind == EventKind.STATUS:
            receipts = provider.read_receipts(event.account, event.payload)
        else:
            message = provider.read_message(event.account, event.payload)
    except Unsupported as unsupported:
        _mark(event, EventState.UNSUPPORTED, problem=str(unsupported))
        return
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
        # Not the shape the provider documents: trying again would read the same bytes.
        _mark(event, EventState.UNSUPPORTED, problem=f"not readable: {error!r}")
        return
    if event.kind == EventKind.STATUS:
        with transaction.atomic():
            for receipt in receipts:
                apply_receipt(account=event.account, receipt=receipt)
            _mark(event, EventState.TAKEN)
        return
    files, pending = _fetch(event.account, provider, message.media)
    inbound = _inbound(event, message, files, pending)
    with transaction.atomic():
        # The customer and the raw body are written in a short transaction of their own, so that
        # receive()'s, which holds SQLite's one write lock, is shorter by as much. Both are found
        # again, not written twice, when a failed attempt is run again.
        customer = identify(
            claims=inbound.claims, name=inbound.sender_name, language=inbound.language
        )
        raw = store_blob(inbound.raw)
    give_way()
    with transaction.atomic():
        # One conditional update takes the event: a second worker at the same moment waits for
        # this row (PostgreSQL) or for the lock (SQLite), then finds it taken.
        if not SocialEvent.objects.filter(pk=event_id, state=EventState.PENDING).update(
            state=EventState.TAKEN, problem=""
        ):
            return
        received = receive(replace(inbound, customer_id=customer.pk, raw_blob_id=raw.pk))
        SocialEvent.objects.filter(pk=event_id).update(entry=received.entry)
    give_way()


def _mark(event: SocialEvent, state: str, *, problem: str = "") -> None:
    event.state, event.problem = state, problem
    event.save(update_fields=["state", "problem", "entry"])


def _failed(event_id: int, error: Exception) -> None:
    SocialEvent.objects.filter(pk=event_id, state=EventState.PENDING).update(
        state=EventState.FAILED, problem=repr(error)[:2000]
    )


def _fetch(
    account: SocialAccount, provider: ModuleType, media: list[MediaRef]
) -> tuple[list[InboundFile], list[dict]]:
    files, pending = [], []
    for ref in media:
        try:
            files.append(provider.fetch_media(account, ref))
        except ProviderError as error:
            logger.warning("A %s file could not be fetched: %s", account.provider, error)
            pending.append({"kind": ref.kind, "reference": ref.reference, "error": str(error)})
    return files, pending


def _kind_label(kind: str) -> str:
    return {
        "image": _("an image"),
        "document": _("a document"),
        "audio": _("an audio message"),
        "video": _("a video"),
        "sticker": _("a sticker"),
    }.get(kind, _("a file"))


def _body(account: SocialAccount, message: WireMessage, files: list, pending: list[dict]) -> str:
    """The customer's words, then what else came, in the account's language: agents read it on the
    timeline and customers never see it."""
    lines = [message.text.strip()] if message.text.strip() else []
    provider = account.get_provider_display()
    with translation.override(account.language):
        if message.location:
            place = message.location
            lines.append(
                (
                    _("Location: %(latitude)s, %(longitude)s %(name)s")
                    % {
                        "latitude": place.get("latitude"),
                        "longitude": place.get("longitude"),
                        "name": " ".join(
                            str(part) for part in (place.get("name"), place.get("address")) if part
                        ),
                    }
                ).strip()
            )
            lines.append(
                f"https://www.openstreetmap.org/?mlat={place.get('latitude')}"
                f"&mlon={place.get('longitude')}"
            )
        if files and not lines:
            lines.append(
                _("The customer sent %(what)s by %(provider)s.")
                % {"what": _kind_label(message.media[0].kind), "provider": provider}
            )
        for item in pending:
            lines.append(
                _(
                    "The customer sent %(what)s that could not be fetched from %(provider)s yet "
                    "(%(error)s). Reference: %(reference)s"
                )
                % {
                    "what": _kind_label(item["kind"]),
                    "provider": provider,
                    "error": item["error"],
                    "reference": item["reference"],
                }
            )
    return "\n\n".join(lines)


def _inbound(
    event: SocialEvent, message: WireMessage, files: list[InboundFile], pending: list[dict]
) -> Inbound:
    account = event.account
    external_id = f"{account.provider}:{message.message_id}"
    return Inbound(
        channel=Channel.SOCIAL,
        claims=message.claims,
        body=_body(account, message, files, pending),
        sender_name=message.name,
        external_id=external_id[:998],
        # The latest message of this conversation threads this one into its ticket, if still open.
        references=_earlier_in_conversation(event),
        received_at=message.sent_at or event.received_at,
        files=files,
        raw=json.dumps(event.payload, ensure_ascii=False).encode(),
        team_id=account.team_id,
        entry_data={
            "provider": account.provider,
            "account": account.pk,
            "conversation": message.conversation,
            "pending_media": pending,
            **{key: value for key, value in message.details.items() if value},
        },
    )


def _earlier_in_conversation(event: SocialEvent) -> list[str]:
    earlier = (
        SocialEvent.objects.filter(
            account=event.account,
            conversation=event.conversation,
            entry__isnull=False,
            received_at__lte=event.received_at,
        )
        .exclude(pk=event.pk)
        .order_by("-received_at", "-id")
        .values_list("entry__external_id", flat=True)
        .first()
    )
    return [earlier] if earlier else []


def apply_receipt(*, account: SocialAccount, receipt: Receipt) -> int:
    """Moves the replies a receipt names forward (sent → delivered → read), never back; a failure
    is said on a reply not yet delivered. Returns how many replies changed."""
    replies = SocialReply.objects.filter(account=account)
    named = replies.filter(message_id__in=[mid for mid in receipt.message_ids if mid])
    entry_ids = set(named.values_list("entry_id", flat=True))
    if receipt.recipient and receipt.up_to is not None:
        entry_ids |= set(
            replies.filter(
                recipient=receipt.recipient, sent_at__isnull=False, sent_at__lte=receipt.up_to
            ).values_list("entry_id", flat=True)
        )
    if receipt.recipient and account.provider == Provider.X and receipt.message_ids:
        # X names the last message read: everything sent to them before it was read too.
        last = named.exclude(sent_at=None).order_by("-sent_at").first()
        if last is not None:
            entry_ids |= set(
                replies.filter(recipient=receipt.recipient, sent_at__lte=last.sent_at).values_list(
                    "entry_id", flat=True
                )
            )
    if receipt.state == "failed":
        failing = TimelineEntry.objects.filter(
            pk__in=entry_ids, delivery__in=[Delivery.QUEUED, Delivery.SENT]
        ).values_list("pk", flat=True)
        for entry_id in failing:
            delivery_failed(
                entry_id=entry_id,
                state=Delivery.FAILED,
                note=_("%(provider)s did not deliver it: %(reason)s")
                % {"provider": account.get_provider_display(), "reason": receipt.note or "—"},
            )
        return len(failing)
    state = RECEIPT_STATES[receipt.state]
    behind = [value for value, rank in PROGRESS.items() if rank < PROGRESS[state]]
    # One conditional update: a concurrent or late receipt can only move an entry forward.
    return TimelineEntry.objects.filter(pk__in=entry_ids, delivery__in=behind).update(
        delivery=state
    )

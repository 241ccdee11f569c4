"""Facebook Messenger (Messenger Platform): the same handshake and signature as WhatsApp (both are
Meta's), messaging events of a page, attachments by URL, and the Send API with its 24-hour rule."""

import json

from django.http import HttpResponse, QueryDict

from attenda.channels.social import whatsapp
from attenda.channels.social.models import EventKind, SocialAccount, SocialReply
from attenda.channels.social.wire import (
    MediaRef,
    MediaRule,
    OutboundFile,
    ProviderError,
    Receipt,
    Unsupported,
    WireEvent,
    WireMessage,
    api_url,
    call,
    canonical_id,
    fetch_url,
    media_kind,
    moment,
)
from attenda.customers.models import IdentityKind
from attenda.customers.services import IdentityClaim
from attenda.tickets.messages import InboundFile

PROVIDER = "messenger"
MEDIA_KINDS = {"image": "image", "audio": "audio", "video": "video", "file": "document"}


# Attachment Upload API: images, audio, video and any other file, up to 25 MB.
OUTBOUND_MEDIA = [
    MediaRule("image", ("image/",), 25 * 1024 * 1024),
    MediaRule("audio", ("audio/",), 25 * 1024 * 1024),
    MediaRule("video", ("video/",), 25 * 1024 * 1024),
    MediaRule("file", ("*",), 25 * 1024 * 1024),
]


def handshake(account: SocialAccount, query: QueryDict) -> HttpResponse | None:
    return whatsapp.handshake(account, query)


def signed(account: SocialAccount, body: bytes, headers) -> bool:
    return whatsapp.signed(account, body, headers)


def split(account: SocialAccount, payload: object) -> list[WireEvent]:
    if not isinstance(payload, dict) or payload.get("object") != "page":
        return []
    events = []
    for entry in payload.get("entry") or []:
        for item in entry.get("messaging") or []:
            events.append(_event(item))
        # Events a page's secondary receiver sees while another app holds the thread.
        for item in entry.get("standby") or []:
            events.append(WireEvent(canonical_id(item), EventKind.UNSUPPORTED, {"item": item}))
    return events


def _readable(message: dict) -> bool:
    kinds = {attachment.get("type") for attachment in message.get("attachments") or []}
    return bool(message.get("text")) or bool(kinds and kinds <= {*MEDIA_KINDS, "location"})


def _event(item: dict) -> WireEvent:
    sender = str((item.get("sender") or {}).get("id", ""))
    payload = {"item": item}
    message = item.get("message")
    if isinstance(message, dict) and message.get("mid"):
        if message.get("is_echo"):
            return WireEvent(message["mid"], EventKind.IGNORED, payload, conversation=sender)
        kind = EventKind.MESSAGE if _readable(message) else EventKind.UNSUPPORTED
        return WireEvent(message["mid"], kind, payload, conversation=sender)
    if isinstance(item.get("postback"), dict) and item["postback"].get("title"):
        postback = item["postback"]
        event_id = postback.get("mid") or f"postback:{sender}:{item.get('timestamp')}"
        return WireEvent(event_id, EventKind.MESSAGE, payload, conversation=sender)
    if isinstance(item.get("delivery"), dict):
        delivery = item["delivery"]
        event_id = f"delivery:{sender}:{delivery.get('watermark')}:{canonical_id(delivery)[7:23]}"
        return WireEvent(event_id, EventKind.STATUS, payload, conversation=sender)
    if isinstance(item.get("read"), dict):
        event_id = f"read:{sender}:{item['read'].get('watermark')}"
        return WireEvent(event_id, EventKind.STATUS, payload, conversation=sender)
    return WireEvent(canonical_id(item), EventKind.UNSUPPORTED, payload, conversation=sender)


def read_message(account: SocialAccount, payload: dict) -> WireMessage:
    item = payload["item"]
    sender = str(item["sender"]["id"])
    text, media, location = "", [], None
    if "postback" in item and "message" not in item:
        text = item["postback"]["title"]
        message_id = item["postback"].get("mid") or f"postback:{sender}:{item.get('timestamp')}"
    else:
        message = item["message"]
        message_id = message["mid"]
        text = message.get("text", "")
        for attachment in message.get("attachments") or []:
            kind = attachment.get("type")
            content = attachment.get("payload") or {}
            if kind == "location":
                coordinates = content.get("coordinates") or {}
                location = {
                    "latitude": coordinates.get("lat"),
                    "longitude": coordinates.get("long"),
                    "name": attachment.get("title", ""),
                }
            elif kind in MEDIA_KINDS and content.get("url"):
                media.append(MediaRef(kind=MEDIA_KINDS[kind], reference=content["url"]))
        if not (text or media or location):
            raise Unsupported("a message without text, file or location")
    return WireMessage(
        message_id=message_id,
        conversation=sender,
        claims=[IdentityClaim(IdentityKind.SOCIAL, f"messenger:{sender}")],
        text=text,
        media=media,
        location=location,
        sent_at=moment(item.get("timestamp"), milliseconds=True),
        details={"page": str((item.get("recipient") or {}).get("id", ""))},
    )


def read_receipts(account: SocialAccount, payload: dict) -> list[Receipt]:
    item = payload["item"]
    sender = str(item["sender"]["id"])
    if "delivery" in item:
        delivery = item["delivery"]
        return [
            Receipt(
                state="delivered",
                message_ids=[str(mid) for mid in delivery.get("mids") or []],
                recipient=sender,
                up_to=moment(delivery.get("watermark"), milliseconds=True),
            )
        ]
    watermark = moment(item["read"].get("watermark"), milliseconds=True)
    return [Receipt(state="read", recipient=sender, up_to=watermark)]


def fetch_media(account: SocialAccount, media: MediaRef) -> InboundFile:
    response = fetch_url(media.reference)
    name = media.reference.split("?", 1)[0].rsplit("/", 1)[-1][:100] or media.kind
    return InboundFile(
        filename=name,
        content_type=response.headers.get("content-type", "").split(";")[0].strip(),
        content=response.content,
    )


def _messaging(reply: SocialReply) -> dict:
    if reply.tag:
        return {"messaging_type": "MESSAGE_TAG", "tag": reply.tag}
    return {"messaging_type": "RESPONSE"}


def send(account: SocialAccount, reply: SocialReply, text: str) -> str:
    """POST /me/messages with the page token: a RESPONSE within 24 hours of the customer's last
    message, later (up to 7 days) tagged HUMAN_AGENT, as the platform's policy allows."""
    body: dict = {"recipient": {"id": reply.recipient}, "message": {"text": text}}
    body.update(_messaging(reply))
    response = call(
        "POST",
        f"{api_url(PROVIDER)}/me/messages",
        params={"access_token": account.access_token},
        json=body,
    )
    return str(response.json()["message_id"])


def send_file(account: SocialAccount, reply: SocialReply, file: OutboundFile) -> str:
    """POST /me/message_attachments (multipart: ``message`` naming the attachment's type,
    ``filedata``) gives an attachment id, which the Send API then sends."""
    kind = media_kind("Messenger", file, OUTBOUND_MEDIA)
    uploaded = call(
        "POST",
        f"{api_url(PROVIDER)}/me/message_attachments",
        params={"access_token": account.access_token},
        data={
            "message": json.dumps({"attachment": {"type": kind, "payload": {"is_reusable": False}}})
        },
        files={"filedata": (file.filename, file.content, file.content_type)},
    )
    attachment_id = str(uploaded.json().get("attachment_id") or "")
    if not attachment_id:
        raise ProviderError("the provider gave no id for the uploaded file")
    body: dict = {
        "recipient": {"id": reply.recipient},
        "message": {"attachment": {"type": kind, "payload": {"attachment_id": attachment_id}}},
    }
    body.update(_messaging(reply))
    response = call(
        "POST",
        f"{api_url(PROVIDER)}/me/messages",
        params={"access_token": account.access_token},
        json=body,
    )
    return str(response.json()["message_id"])

"""WhatsApp Cloud API: the webhook's verification handshake and signature, its messages and
statuses, media by id, and sending text or an approved template from the account's number."""

import hmac

from django.http import HttpResponse, QueryDict
from django.utils.translation import gettext as _

from attenda.channels.social.models import EventKind, SocialAccount, SocialReply
from attenda.channels.social.wire import (
    FileRefused,
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
    hmac_sha256,
    media_kind,
    moment,
)
from attenda.customers.models import IdentityKind
from attenda.customers.services import IdentityClaim
from attenda.tickets.messages import InboundFile

PROVIDER = "whatsapp"
MEDIA_KINDS = {"image": "image", "document": "document", "audio": "audio", "video": "video"}
MESSAGE_TYPES = {*MEDIA_KINDS, "sticker", "text", "location", "button", "interactive"}
MB = 1024 * 1024
# Cloud API, "Supported media types": what an upload takes, by kind, and how large.
OUTBOUND_MEDIA = [
    MediaRule("image", ("image/jpeg", "image/png"), 5 * MB),
    MediaRule("video", ("video/mp4", "video/3gpp"), 16 * MB),
    MediaRule("audio", ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"), 16 * MB),
    MediaRule(
        "document",
        (
            "text/plain",
            "application/pdf",
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        100 * MB,
    ),
]
STATUSES = {"delivered": "delivered", "read": "read", "played": "read", "failed": "failed"}


def handshake(account: SocialAccount, query: QueryDict) -> HttpResponse | None:
    """Meta's subscription check: echo hub.challenge when hub.verify_token is ours."""
    token = query.get("hub.verify_token", "")
    if (
        query.get("hub.mode") == "subscribe"
        and account.verify_token
        and hmac.compare_digest(token.encode(), account.verify_token.encode())
    ):
        return HttpResponse(query.get("hub.challenge", ""), content_type="text/plain")
    return None


def signed(account: SocialAccount, body: bytes, headers) -> bool:
    """X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>."""
    given = headers.get("X-Hub-Signature-256", "")
    if not account.app_secret or not given.startswith("sha256="):
        return False
    expected = "sha256=" + hmac_sha256(account.app_secret, body).hex()
    return hmac.compare_digest(given.encode(), expected.encode())


def split(account: SocialAccount, payload: object) -> list[WireEvent]:
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return []
    events = []
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            found = []
            if change.get("field") == "messages":
                found = _messages(value) + _statuses(value)
            events += found or [
                WireEvent(canonical_id(change), EventKind.UNSUPPORTED, {"change": change})
            ]
    return events


def _messages(value: dict) -> list[WireEvent]:
    context = {"contacts": value.get("contacts") or [], "metadata": value.get("metadata") or {}}
    return [
        WireEvent(
            message["id"],
            EventKind.MESSAGE if message.get("type") in MESSAGE_TYPES else EventKind.UNSUPPORTED,
            {"message": message, **context},
            conversation=str(message.get("from", "")),
        )
        for message in value.get("messages") or []
        if message.get("id")
    ]


def _statuses(value: dict) -> list[WireEvent]:
    return [
        WireEvent(
            f"status:{status['id']}:{status.get('status')}",
            EventKind.STATUS if status.get("status") in STATUSES else EventKind.IGNORED,
            {"status": status},
            conversation=str(status.get("recipient_id", "")),
        )
        for status in value.get("statuses") or []
        if status.get("id")
    ]


def read_message(account: SocialAccount, payload: dict) -> WireMessage:
    message = payload["message"]
    kind = message.get("type")
    sender = str(message["from"])
    profile = next(
        (c.get("profile") or {} for c in payload.get("contacts", []) if c.get("wa_id") == sender),
        {},
    )
    text, media, location = "", [], None
    if kind == "text":
        text = message["text"]["body"]
    elif kind in MEDIA_KINDS or kind == "sticker":
        part = message[kind]
        text = part.get("caption", "")
        media.append(
            MediaRef(
                kind=MEDIA_KINDS.get(kind, "sticker"),
                reference=str(part["id"]),
                filename=part.get("filename", ""),
                content_type=part.get("mime_type", ""),
            )
        )
    elif kind == "location":
        location = message["location"]
    elif kind == "button":
        text = message["button"].get("text", "")
    elif kind == "interactive":
        interactive = message["interactive"]
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        text = reply.get("title", "")
        if not text:
            raise Unsupported(f"interactive {interactive.get('type')}")
    else:
        raise Unsupported(str(kind))
    return WireMessage(
        message_id=message["id"],
        conversation=sender,
        claims=[IdentityClaim(IdentityKind.PHONE, "+" + sender.lstrip("+"))],
        name=profile.get("name", ""),
        text=text,
        media=media,
        location=location,
        sent_at=moment(message.get("timestamp")),
        details={"phone_number_id": payload.get("metadata", {}).get("phone_number_id", "")},
    )


def read_receipts(account: SocialAccount, payload: dict) -> list[Receipt]:
    status = payload["status"]
    errors = status.get("errors") or []
    note = "; ".join(str(error.get("title") or error.get("message") or "") for error in errors)
    return [Receipt(state=STATUSES[status["status"]], message_ids=[status["id"]], note=note)]


def _auth(account: SocialAccount) -> dict:
    return {"Authorization": f"Bearer {account.access_token}"}


def fetch_media(account: SocialAccount, media: MediaRef) -> InboundFile:
    """GET /{media-id} gives a short-lived URL, fetched with the same token."""
    described = call("GET", f"{api_url(PROVIDER)}/{media.reference}", headers=_auth(account))
    url = described.json().get("url")
    if not url:
        raise ProviderError("the provider gave no address for the file")
    content = fetch_url(url, headers=_auth(account)).content
    content_type = media.content_type or described.json().get("mime_type", "")
    return InboundFile(
        filename=media.filename or f"{media.kind}-{media.reference}",
        content_type=content_type.split(";")[0].strip(),
        content=content,
    )


def send(account: SocialAccount, reply: SocialReply, text: str) -> str:
    """POST /{phone-number-id}/messages: free text inside the 24-hour window, else the approved
    template with the reply as its one text parameter."""
    body: dict = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    body["to"] = reply.recipient
    if reply.template:
        body["type"] = "template"
        body["template"] = {
            "name": reply.template,
            "language": {"code": account.template_language or account.language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": text}]}],
        }
    else:
        body["type"] = "text"
        body["text"] = {"body": text, "preview_url": False}
    response = call(
        "POST",
        f"{api_url(PROVIDER)}/{account.external_id}/messages",
        headers=_auth(account),
        json=body,
    )
    return str(response.json()["messages"][0]["id"])


def send_file(account: SocialAccount, reply: SocialReply, file: OutboundFile) -> str:
    """POST /{phone-number-id}/media (multipart: messaging_product, type, file) gives a media id,
    then POST /{phone-number-id}/messages sends it by that id. Outside the 24-hour window WhatsApp
    takes only the approved template, which carries no file."""
    if reply.template:
        raise FileRefused(
            _("outside WhatsApp's 24-hour window only the approved template's text can be sent.")
        )
    kind = media_kind("WhatsApp", file, OUTBOUND_MEDIA)
    uploaded = call(
        "POST",
        f"{api_url(PROVIDER)}/{account.external_id}/media",
        headers=_auth(account),
        data={"messaging_product": "whatsapp", "type": file.content_type},
        files={"file": (file.filename, file.content, file.content_type)},
    )
    media_id = str(uploaded.json().get("id") or "")
    if not media_id:
        raise ProviderError("the provider gave no id for the uploaded file")
    media: dict = {"id": media_id}
    if kind == "document":
        media["filename"] = file.filename
    response = call(
        "POST",
        f"{api_url(PROVIDER)}/{account.external_id}/messages",
        headers=_auth(account),
        json={
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": reply.recipient,
            "type": kind,
            kind: media,
        },
    )
    return str(response.json()["messages"][0]["id"])

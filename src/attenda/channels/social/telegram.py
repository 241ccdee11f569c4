"""Telegram Bot API: the webhook's secret token header, updates of private chats, files by id
(getFile), and sendMessage."""

import hmac

from django.http import HttpResponse, QueryDict

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
    media_kind,
    moment,
)
from attenda.customers.models import IdentityKind
from attenda.customers.services import IdentityClaim
from attenda.tickets.messages import InboundFile

PROVIDER = "telegram"
MEDIA_KINDS = {
    "document": "document",
    "voice": "audio",
    "audio": "audio",
    "video": "video",
    "sticker": "sticker",
}
MB = 1024 * 1024
# Bot API: sendPhoto takes photos up to 10 MB, sendDocument any file up to 50 MB (multipart).
OUTBOUND_MEDIA = [
    MediaRule("photo", ("image/jpeg", "image/png", "image/webp"), 10 * MB),
    MediaRule("document", ("*",), 50 * MB),
]
METHODS = {"photo": "sendPhoto", "document": "sendDocument"}
CONTENT = {"text", "photo", "location", *MEDIA_KINDS}


def handshake(account: SocialAccount, query: QueryDict) -> HttpResponse | None:
    return None  # Telegram has no handshake: setWebhook registers the address and secret token.


def signed(account: SocialAccount, body: bytes, headers) -> bool:
    """X-Telegram-Bot-Api-Secret-Token: the secret_token given to setWebhook, sent as is."""
    given = headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    return bool(account.app_secret) and hmac.compare_digest(
        given.encode(), account.app_secret.encode()
    )


def split(account: SocialAccount, payload: object) -> list[WireEvent]:
    if not isinstance(payload, dict) or "update_id" not in payload:
        return []
    # Update ids count per bot: the bot's id makes them unique among Attenda's bots.
    event_id = f"{account.external_id}:{payload['update_id']}"
    message = payload.get("message")
    if (
        isinstance(message, dict)
        and (message.get("chat") or {}).get("type") == "private"
        and CONTENT & set(message)
    ):
        conversation = str(message["chat"]["id"])
        return [WireEvent(event_id, EventKind.MESSAGE, payload, conversation=conversation)]
    return [WireEvent(event_id, EventKind.UNSUPPORTED, payload)]


def read_message(account: SocialAccount, payload: dict) -> WireMessage:
    message = payload["message"]
    sender = message.get("from") or message["chat"]
    name = " ".join(part for part in (sender.get("first_name"), sender.get("last_name")) if part)
    text = message.get("text") or message.get("caption") or ""
    media, location = [], None
    if message.get("photo"):
        largest = message["photo"][-1]
        media.append(
            MediaRef(kind="image", reference=largest["file_id"], content_type="image/jpeg")
        )
    for key, kind in MEDIA_KINDS.items():
        part = message.get(key)
        if isinstance(part, dict) and part.get("file_id"):
            media.append(
                MediaRef(
                    kind=kind,
                    reference=part["file_id"],
                    filename=part.get("file_name", ""),
                    content_type=part.get("mime_type", ""),
                )
            )
    if isinstance(message.get("location"), dict):
        location = message["location"]
    if not (text or media or location):
        raise Unsupported("a message without text, file or location")
    return WireMessage(
        message_id=f"{account.external_id}:{message['chat']['id']}:{message['message_id']}",
        conversation=str(message["chat"]["id"]),
        claims=[IdentityClaim(IdentityKind.SOCIAL, f"telegram:{sender['id']}")],
        name=name or sender.get("username", ""),
        text=text,
        media=media,
        location=location,
        sent_at=moment(message.get("date")),
        details={"username": sender.get("username", "")},
    )


def read_receipts(account: SocialAccount, payload: dict) -> list[Receipt]:
    return []  # Bots are not told when their messages are delivered or read.


def _bot(account: SocialAccount) -> str:
    return f"{api_url(PROVIDER)}/bot{account.access_token}"


def fetch_media(account: SocialAccount, media: MediaRef) -> InboundFile:
    """getFile gives the file's path, downloaded from /file/bot<token>/<path>."""
    described = call("GET", f"{_bot(account)}/getFile", params={"file_id": media.reference})
    path = (described.json().get("result") or {}).get("file_path")
    if not path:
        raise ProviderError("the provider gave no path for the file")
    content = call("GET", f"{api_url(PROVIDER)}/file/bot{account.access_token}/{path}").content
    return InboundFile(
        filename=media.filename or path.rsplit("/", 1)[-1],
        content_type=media.content_type or "application/octet-stream",
        content=content,
    )


def send(account: SocialAccount, reply: SocialReply, text: str) -> str:
    response = call(
        "POST", f"{_bot(account)}/sendMessage", json={"chat_id": reply.recipient, "text": text}
    )
    result = response.json()
    if not result.get("ok"):
        raise ProviderError(str(result.get("description", "refused")), permanent=True)
    return str(result["result"]["message_id"])


def send_file(account: SocialAccount, reply: SocialReply, file: OutboundFile) -> str:
    """sendPhoto or sendDocument, multipart/form-data: chat_id, and the file as ``photo`` or
    ``document``. A photo too large for sendPhoto goes as a document, as Telegram allows."""
    try:
        kind = media_kind("Telegram", file, OUTBOUND_MEDIA[:1])
    except FileRefused:
        kind = media_kind("Telegram", file, OUTBOUND_MEDIA[1:])
    response = call(
        "POST",
        f"{_bot(account)}/{METHODS[kind]}",
        data={"chat_id": reply.recipient},
        files={kind: (file.filename, file.content, file.content_type)},
    )
    result = response.json()
    if not result.get("ok"):
        raise ProviderError(str(result.get("description", "refused")), permanent=True)
    return str(result["result"]["message_id"])

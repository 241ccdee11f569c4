"""X (Twitter) direct messages through the Account Activity API: the CRC handshake and the
x-twitter-webhooks-signature, direct-message events, and sending with the v2 DM endpoint."""

import base64
import hmac

from django.http import HttpResponse, JsonResponse, QueryDict

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
    hmac_sha256,
    media_kind,
    moment,
)
from attenda.customers.models import IdentityKind
from attenda.customers.services import IdentityClaim
from attenda.tickets.messages import InboundFile

PROVIDER = "x"
# Direct messages carry one image or GIF, uploaded once (POST /2/media/upload, simple upload).
OUTBOUND_MEDIA = [
    MediaRule("dm_image", ("image/jpeg", "image/png", "image/webp"), 5 * 1024 * 1024),
    MediaRule("dm_gif", ("image/gif",), 15 * 1024 * 1024),
]
# Events about public tweets, likes and follows: not direct messages, kept for an admin.
OTHER_EVENTS = (
    "tweet_create_events",
    "favorite_events",
    "follow_events",
    "unfollow_events",
    "block_events",
    "unblock_events",
    "mute_events",
    "unmute_events",
    "tweet_delete_events",
    "user_event",
)


def _signature(account: SocialAccount, content: bytes) -> str:
    return "sha256=" + base64.b64encode(hmac_sha256(account.app_secret, content)).decode()


def handshake(account: SocialAccount, query: QueryDict) -> HttpResponse | None:
    """The challenge-response check: crc_token signed with the consumer secret."""
    token = query.get("crc_token")
    if not token or not account.app_secret:
        return None
    return JsonResponse({"response_token": _signature(account, token.encode())})


def signed(account: SocialAccount, body: bytes, headers) -> bool:
    given = headers.get("x-twitter-webhooks-signature", "")
    if not account.app_secret or not given.startswith("sha256="):
        return False
    return hmac.compare_digest(given.encode(), _signature(account, body).encode())


def split(account: SocialAccount, payload: object) -> list[WireEvent]:
    if not isinstance(payload, dict) or "for_user_id" not in payload:
        return []
    ours = str(payload["for_user_id"])
    users = payload.get("users") or {}
    events = []
    for event in payload.get("direct_message_events") or []:
        create = event.get("message_create") or {}
        sender = str(create.get("sender_id", ""))
        item = {"event": event, "users": {sender: users.get(sender, {})}, "for_user_id": ours}
        if event.get("type") != "message_create" or not event.get("id"):
            kind = EventKind.UNSUPPORTED
        else:
            kind = EventKind.IGNORED if sender == ours else EventKind.MESSAGE
        events.append(
            WireEvent(str(event.get("id") or canonical_id(event)), kind, item, conversation=sender)
        )
    for read in payload.get("direct_message_mark_read_events") or []:
        sender = str(read.get("sender_id", ""))
        event_id = f"read:{sender}:{read.get('last_read_event_id')}"
        events.append(WireEvent(event_id, EventKind.STATUS, {"read": read}, conversation=sender))
    for typing in payload.get("direct_message_indicate_typing_events") or []:
        events.append(WireEvent(canonical_id(typing), EventKind.IGNORED, {"typing": typing}))
    for name in OTHER_EVENTS:
        for other in payload.get(name) or []:
            key = other.get("id_str") or other.get("id") if isinstance(other, dict) else None
            event_id = f"{name}:{key}" if key else canonical_id(other)
            events.append(WireEvent(event_id, EventKind.UNSUPPORTED, {name: other}))
    return events


def read_message(account: SocialAccount, payload: dict) -> WireMessage:
    event = payload["event"]
    create = event["message_create"]
    sender = str(create["sender_id"])
    user = payload.get("users", {}).get(sender) or {}
    data = create.get("message_data") or {}
    text = data.get("text", "")
    media = []
    attachment = data.get("attachment") or {}
    if attachment.get("type") == "media":
        found = attachment.get("media") or {}
        url = found.get("media_url_https") or found.get("media_url")
        if url:
            media.append(MediaRef(kind="image", reference=url))
            # The text ends with the t.co link of the attachment itself.
            text = text.replace(found.get("url", "\0"), "").strip()
    if not (text or media):
        raise Unsupported("a direct message without text or media")
    handle = user.get("screen_name", "")
    name = user.get("name", "")
    return WireMessage(
        message_id=str(event["id"]),
        conversation=sender,
        claims=[IdentityClaim(IdentityKind.SOCIAL, f"x:{sender}")],
        name=f"{name} (@{handle})" if name and handle else name or handle,
        text=text,
        media=media,
        sent_at=moment(event.get("created_timestamp"), milliseconds=True),
        details={"handle": handle},
    )


def read_receipts(account: SocialAccount, payload: dict) -> list[Receipt]:
    read = payload["read"]
    return [
        Receipt(
            state="read",
            recipient=str(read.get("sender_id", "")),
            message_ids=[str(read.get("last_read_event_id", ""))],
            up_to=moment(read.get("created_timestamp"), milliseconds=True),
        )
    ]


def _auth(account: SocialAccount) -> dict:
    return {"Authorization": f"Bearer {account.access_token}"}


def fetch_media(account: SocialAccount, media: MediaRef) -> InboundFile:
    response = fetch_url(media.reference, headers=_auth(account))
    return InboundFile(
        filename=media.reference.split("?", 1)[0].rsplit("/", 1)[-1][:100] or "image",
        content_type=response.headers.get("content-type", "").split(";")[0].strip(),
        content=response.content,
    )


def send(account: SocialAccount, reply: SocialReply, text: str) -> str:
    """POST /2/dm_conversations/with/{participant_id}/messages with the account's user token."""
    response = call(
        "POST",
        f"{api_url(PROVIDER)}/dm_conversations/with/{reply.recipient}/messages",
        headers=_auth(account),
        json={"text": text},
    )
    return str(response.json()["data"]["dm_event_id"])


def send_file(account: SocialAccount, reply: SocialReply, file: OutboundFile) -> str:
    """POST /2/media/upload (multipart: media, media_category, media_type) gives a media id; a DM
    carries it as its one attachment."""
    category = media_kind("X", file, OUTBOUND_MEDIA)
    uploaded = call(
        "POST",
        f"{api_url(PROVIDER)}/media/upload",
        headers=_auth(account),
        data={"media_category": category, "media_type": file.content_type},
        files={"media": (file.filename, file.content, file.content_type)},
    )
    media_id = str((uploaded.json().get("data") or {}).get("id") or "")
    if not media_id:
        raise ProviderError("the provider gave no id for the uploaded file")
    response = call(
        "POST",
        f"{api_url(PROVIDER)}/dm_conversations/with/{reply.recipient}/messages",
        headers=_auth(account),
        json={"attachments": [{"media_id": media_id}]},
    )
    return str(response.json()["data"]["dm_event_id"])

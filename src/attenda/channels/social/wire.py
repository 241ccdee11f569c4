"""What every provider module (whatsapp, telegram, messenger, x) gives the rest of the channel:
events split from a webhook body, the message or receipts read from one event, and the one HTTP
client their APIs are called with, whose errors never carry a URL (Telegram's hold the bot token)."""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from attenda.customers.services import IdentityClaim

TIMEOUT_SECONDS = 10
MAX_MEDIA_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class WireEvent:
    """One event of a webhook body: its provider id (the same twice is the same event), its kind
    (EventKind) and the customer's conversation it belongs to."""

    event_id: str
    kind: str
    payload: dict
    conversation: str = ""


@dataclass(frozen=True)
class MediaRef:
    """A file a message points to at the provider, fetched by the task that takes the message."""

    kind: str  # image, document, audio, video, sticker
    reference: str  # a media id, a file id or a URL
    filename: str = ""
    content_type: str = ""


@dataclass(frozen=True)
class WireMessage:
    message_id: str
    conversation: str
    claims: list[IdentityClaim]
    name: str = ""
    text: str = ""
    media: list[MediaRef] = field(default_factory=list)
    location: dict | None = None
    sent_at: datetime | None = None
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """A provider saying a reply reached the customer or was read: by our message ids, or (Messenger,
    X) for everything sent to ``recipient`` up to ``up_to`` (a moment, or our last read message)."""

    state: str  # delivered, read, failed
    message_ids: list[str] = field(default_factory=list)
    recipient: str = ""
    up_to: datetime | None = None
    note: str = ""


class Unsupported(Exception):
    """The event is of a kind Attenda does not read; it stays raw for an admin."""


class ProviderError(Exception):
    """The provider's API failed. ``permanent`` when asking again would be refused again."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def api_url(provider: str) -> str:
    return settings.SOCIAL_API_URLS[provider].rstrip("/")


def canonical_id(value: object) -> str:
    """An id for an event the provider gave none: the same content gives the same id."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256-" + hashlib.sha256(text.encode()).hexdigest()


def hmac_sha256(secret: str, content: bytes) -> bytes:
    return hmac.new(secret.encode(), content, hashlib.sha256).digest()


def moment(seconds: float | str | None, *, milliseconds: bool = False) -> datetime | None:
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(value / 1000 if milliseconds else value, tz=UTC)


def _describe(response: httpx.Response) -> str:
    try:
        detail = response.json()
    except ValueError:
        detail = response.text[:200]
    if isinstance(detail, dict):
        error = detail.get("error") or detail.get("errors") or detail.get("description") or detail
        if isinstance(error, dict):
            error = error.get("message") or error
        detail = error
    return f"HTTP {response.status_code}: {str(detail)[:300]}"


def call(method: str, url: str, **kwargs) -> httpx.Response:
    """One request to a provider, redirects not followed. A refusal (4xx but 408 and 429) is
    permanent; anything else may pass on a later try."""
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            response = client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        # The error's own text names the URL; only its kind is kept.
        raise ProviderError(f"{type(error).__name__}: the provider did not answer") from None
    if response.is_success:
        return response
    permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
    raise ProviderError(_describe(response), permanent=permanent)


def fetch_url(url: str, **kwargs) -> httpx.Response:
    """A media URL taken from a payload: only from the providers' own hosts, so a payload cannot
    make Attenda fetch from the local network."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    allowed = any(
        host == allowed or host.endswith("." + allowed) for allowed in settings.SOCIAL_MEDIA_HOSTS
    )
    if parts.scheme not in ("http", "https") or not allowed:
        raise ProviderError(f"the file's address is not one of the provider's hosts ({host})")
    response = call("GET", url, **kwargs)
    if len(response.content) > MAX_MEDIA_BYTES:
        raise ProviderError("the file is larger than Attenda takes", permanent=True)
    return response


@dataclass(frozen=True)
class OutboundFile:
    """An agent's attachment on its way to the customer."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class MediaRule:
    """One kind of file a provider takes (``kind`` as its API names it): these types (a type ending
    in "/" takes the whole family), up to this size, per the provider's documentation."""

    kind: str
    types: tuple[str, ...]
    max_bytes: int


class FileRefused(Exception):
    """The provider does not take this file (its type or size); said to the agent, never retried."""


def media_kind(provider_name: str, file: OutboundFile, rules: list[MediaRule]) -> str:
    """The provider's kind for the file, or ``FileRefused`` with the reason in the reader's words."""
    content_type = file.content_type.split(";")[0].strip().lower()
    for rule in rules:
        if (
            any(
                content_type.startswith(allowed)
                if allowed.endswith("/")
                else content_type == allowed
                for allowed in rule.types
            )
            or "*" in rule.types
        ):
            if len(file.content) > rule.max_bytes:
                raise FileRefused(
                    _("%(provider)s takes files of this type up to %(size)s.")
                    % {"provider": provider_name, "size": filesizeformat(rule.max_bytes)}
                )
            return rule.kind
    raise FileRefused(
        _("%(provider)s does not take files of type %(type)s.")
        % {"provider": provider_name, "type": content_type or "?"}
    )

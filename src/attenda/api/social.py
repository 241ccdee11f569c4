"""Messaging apps over the API, for admins: the accounts (never their secrets) and the events kept
without being read, to monitor what customers sent that Attenda does not read."""

from datetime import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from attenda.api.schemas import ErrorOut, PageQuery
from attenda.channels.social import queries
from attenda.channels.social.models import SocialAccount
from attenda.core.pagination import Page

router = Router(tags=["messaging apps"])


class SocialAccountOut(Schema):
    id: int
    provider: Literal["whatsapp", "telegram", "messenger", "x"]
    name: str
    external_id: str = Field(description="The account's id at the provider.")
    team_id: int | None
    language: str
    is_active: bool
    webhook_path: str = Field(description="Where the provider sends its webhooks.")
    has_access_token: bool
    has_app_secret: bool
    template_name: str = Field(description="WhatsApp's approved template after 24 hours.")

    @staticmethod
    def resolve_webhook_path(account: SocialAccount) -> str:
        return f"/social/webhooks/{account.webhook_key}/"

    @staticmethod
    def resolve_has_access_token(account: SocialAccount) -> bool:
        return bool(account.access_token)

    @staticmethod
    def resolve_has_app_secret(account: SocialAccount) -> bool:
        return bool(account.app_secret)


class KeptEventOut(Schema):
    id: int
    account_id: int
    provider: str
    event_id: str
    state: str = Field(description="unsupported (a kind Attenda does not read) or failed.")
    problem: str
    received_at: datetime
    payload: dict = Field(description="The event as it came.")


class KeptEventPageOut(Schema):
    items: list[KeptEventOut]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


class KeptQuery(PageQuery):
    state: Literal["unsupported", "failed"] = "unsupported"


def _require_admin(request: HttpRequest) -> None:
    if not request.auth.is_admin:
        raise PermissionDenied


@router.get(
    "/accounts",
    response={200: list[SocialAccountOut], **dict.fromkeys((401, 403, 422), ErrorOut)},
    summary="List the messaging accounts",
)
def accounts(request: HttpRequest) -> list[SocialAccount]:
    """Every WhatsApp number, Telegram bot, Facebook page and X account (admins' tokens only)."""
    _require_admin(request)
    return list(SocialAccount.objects.order_by("provider", "name", "id"))


@router.get(
    "/kept-events",
    response={200: KeptEventPageOut, **dict.fromkeys((401, 403, 422), ErrorOut)},
    summary="List the messaging events kept without being read",
)
def kept_events(request: HttpRequest, query: Query[KeptQuery]) -> Page:
    """Newest first (admins' tokens only)."""
    _require_admin(request)
    return queries.kept_page(state=query.state, cursor=query.cursor, size=query.limit)

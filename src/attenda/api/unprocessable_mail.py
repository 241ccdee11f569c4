"""The unprocessable store over the API, for admins' monitoring: mail kept byte for byte because
Attenda failed on it, it cost more than its budget, or its sender was unclear."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from attenda.api.schemas import ErrorOut, PageQuery
from attenda.channels.email import queries
from attenda.core.pagination import Page

router = Router(tags=["mail"])


class UnprocessableMailOut(Schema):
    id: int
    mailbox: str = Field(alias="mailbox.address")
    received_at: datetime
    source: str = Field(description="imap, smtp or api.")
    sender: str
    subject: str
    reason: str = Field(
        alias="set_aside_reason",
        description="budget (too large or too costly), failed (Attenda failed on it) or sender "
        "(its sender is unclear).",
    )
    problems: list[str]
    size: int = Field(alias="raw.size", description="Bytes of the message as it arrived.")


class UnprocessableMailPageOut(Schema):
    items: list[UnprocessableMailOut]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


@router.get(
    "",
    response={200: UnprocessableMailPageOut, **dict.fromkeys((401, 403, 422), ErrorOut)},
    summary="List the unprocessable mail",
)
def unprocessable_mail(request: HttpRequest, page: Query[PageQuery]) -> Page:
    """Newest first (admins' tokens only); read, download and reprocess each one on its page in
    Attenda, /settings/mail/{id}/."""
    if not request.auth.is_admin:
        raise PermissionDenied
    return queries.unprocessable_page(cursor=page.cursor, size=page.limit)

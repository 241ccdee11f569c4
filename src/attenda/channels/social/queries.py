"""Reads of messaging events for admins: the events Attenda kept without reading (unsupported or
failed), newest first, by keyset so an old page costs what the first does."""

from attenda.channels.social.models import EventState, SocialEvent
from attenda.core.pagination import Page, keyset_page

KEPT_ORDER = ("-received_at", "-id")
KEPT_STATES = (EventState.UNSUPPORTED, EventState.FAILED)


def kept_page(*, state: str, cursor: str | None, size: int = 50) -> Page:
    """social_event_state_idx (state, received_at, id): one state per page, so one index range."""
    events = SocialEvent.objects.filter(state=state).select_related("account")
    return keyset_page(events, order=KEPT_ORDER, cursor=cursor, size=size)

"""Reads of the messaging channel: the account a webhook address belongs to, kept a few seconds per
web process; and for admins the events Attenda kept without reading (unsupported or failed), newest
first, by keyset so an old page costs what the first does."""

import threading
import time

from attenda.channels.social.models import EventState, SocialAccount, SocialEvent
from attenda.core.pagination import Page, keyset_page

KEPT_ORDER = ("-received_at", "-id")
KEPT_STATES = (EventState.UNSUPPORTED, EventState.FAILED)


def kept_page(*, state: str, cursor: str | None, size: int = 50) -> Page:
    """social_event_state_idx (state, received_at, id): one state per page, so one index range."""
    events = SocialEvent.objects.filter(state=state).select_related("account")
    return keyset_page(events, order=KEPT_ORDER, cursor=cursor, size=size)


# A webhook's account is read once per web process and kept this long; a change saved in this
# process clears it at once (apps.py), other processes read it again within this. It holds the
# secrets, so it is kept briefly: a secret replaced because it leaked stops working everywhere
# within it. A request the kept secret refuses is checked again against the stored one (views.py).
ACCOUNT_KEPT_SECONDS = 10.0

_kept: dict[str, tuple[float, SocialAccount]] = {}
_kept_lock = threading.Lock()


def forget_accounts(**_signal) -> None:
    """Every kept account is read again at its next webhook (an account was changed or deleted)."""
    with _kept_lock:
        _kept.clear()


def webhook_account(key: str, *, kept: bool = True) -> SocialAccount | None:
    """The active account whose webhook address carries ``key`` (its unique index), or None: read
    at most once in ACCOUNT_KEPT_SECONDS, or now with kept=False. Unknown keys are not kept, so
    that made-up addresses cannot fill the memory."""
    now = time.monotonic()
    held = _kept.get(key) if kept else None
    if held is not None and now - held[0] < ACCOUNT_KEPT_SECONDS:
        return held[1]
    account = SocialAccount.objects.filter(webhook_key=key, is_active=True).first()
    with _kept_lock:
        if account is None:
            _kept.pop(key, None)
        else:
            _kept[key] = (now, account)
    return account

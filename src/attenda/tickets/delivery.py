"""How replies leave. A channel app registers, when Attenda starts, the function that takes a reply
entry of its channel on its way and the function that says whether and how it can reach a ticket's
customer (``register``). The composer shows that route before the agent writes, and ``reply()`` hands
every reply to ``deliver``; a channel that registered nothing (a web form, a call) cannot send, and
says so instead of pretending it did."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from attenda.tickets.models import Channel, Delivery, Ticket, TimelineEntry


@dataclass(frozen=True)
class Route:
    """Whether a reply on ``channel`` reaches the ticket's customer, to which address and from which
    of our addresses; ``reason`` says why it cannot."""

    channel: str
    can_deliver: bool
    address: str = ""
    sender: str = ""
    reason: str = ""

    @property
    def channel_label(self) -> str:
        return str(dict(Channel.choices).get(self.channel, self.channel))


_DELIVERERS: dict[str, Callable[[TimelineEntry], None]] = {}
_ROUTES: dict[str, Callable[[Ticket], Route]] = {}
_SETS_ENTRY: set[str] = set()


def register(
    channel: str,
    deliver_entry: Callable[[TimelineEntry], None],
    route: Callable[[Ticket], Route],
    *,
    sets_entry: bool = False,
) -> None:
    """``sets_entry``: the deliverer sets the entry's ``delivery`` and ``delivery_note`` on it as
    it writes them, so ``deliver`` does not read them back (a chat's reply, whose visitor waits)."""
    _DELIVERERS[channel] = deliver_entry
    _ROUTES[channel] = route
    if sets_entry:
        _SETS_ENTRY.add(channel)
    else:
        _SETS_ENTRY.discard(channel)


def route(ticket: Ticket, channel: str | None = None) -> Route:
    """How a reply on ``channel`` (by default the ticket's own) would reach the customer."""
    channel = channel or ticket.channel
    find_route = _ROUTES.get(channel)
    if find_route is None:
        label = dict(Channel.choices).get(channel, channel)
        return Route(
            channel=channel,
            can_deliver=False,
            reason=_("Attenda cannot send replies by %(channel)s.") % {"channel": label},
        )
    return find_route(ticket)


def routes(ticket: Ticket) -> list[Route]:
    """The ticket's own route when it delivers; else it first, then every other channel that can
    reach the customer: what the composer offers instead. Other channels are asked only then, so a
    ticket whose own way works costs no look at the others."""
    own = route(ticket)
    if own.can_deliver:
        return [own]
    others = [route(ticket, channel) for channel in _ROUTES if channel != own.channel]
    return [own, *(other for other in others if other.can_deliver)]


def deliver(entry: TimelineEntry, chosen: Route) -> None:
    """Starts sending ``entry`` on its channel, inside the caller's transaction; a route that cannot
    deliver marks the entry not sent, with the reason, so nobody reads it as sent."""
    deliver_entry = _DELIVERERS.get(entry.channel)
    if deliver_entry is None or not chosen.can_deliver:
        entry.delivery = Delivery.FAILED
        entry.delivery_note = chosen.reason[:500]
        TimelineEntry.objects.filter(pk=entry.pk).update(
            delivery=entry.delivery, delivery_note=entry.delivery_note
        )
        return
    deliver_entry(entry)
    if entry.channel not in _SETS_ENTRY:
        entry.refresh_from_db(fields=["delivery", "delivery_note"])

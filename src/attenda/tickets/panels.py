"""What other apps add to the ticket page: a panel of what they know about the ticket, marks on
the timeline's entries, a reply draft, a sentence for the entries they wrote. An app registers
its providers when Attenda starts (triage does, in its AppConfig.ready), as channels register
deliverers in delivery.py and readers in arrivals.py: tickets ask, and import nothing of them."""

from collections.abc import Callable

from attenda.agents.models import Agent
from attenda.tickets.models import Ticket, TimelineEntry

# provider(agent, ticket, entries) -> names and values added to the ticket page's context.
PageProvider = Callable[[Agent, Ticket, list[TimelineEntry]], dict]
# provider(agent, entries) -> names and values added to the whole-timeline page's context.
TimelineProvider = Callable[[Agent, list[TimelineEntry]], dict]
# draft(ticket) -> the text put in the reply box.
Draft = Callable[[Ticket], str]

_PAGE: list[PageProvider] = []
_TIMELINE: list[TimelineProvider] = []
_DRAFTS: dict[str, Draft] = {}


def register_page(provider: PageProvider) -> None:
    if provider not in _PAGE:
        _PAGE.append(provider)


def register_timeline(provider: TimelineProvider) -> None:
    if provider not in _TIMELINE:
        _TIMELINE.append(provider)


def register_draft(name: str, draft: Draft) -> None:
    """A reply draft the ticket page offers as ``?reply=<name>``."""
    _DRAFTS[name] = draft


def page_context(agent: Agent, ticket: Ticket, entries: list[TimelineEntry]) -> dict:
    context: dict = {}
    for provider in _PAGE:
        context.update(provider(agent, ticket, entries))
    return context


def timeline_context(agent: Agent, entries: list[TimelineEntry]) -> dict:
    context: dict = {}
    for provider in _TIMELINE:
        context.update(provider(agent, entries))
    return context


def draft(name: str, ticket: Ticket) -> str | None:
    """The named draft for this ticket, or None when no app offers one by that name."""
    write = _DRAFTS.get(name)
    return write(ticket) if write is not None else None

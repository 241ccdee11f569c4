"""What triage adds to the ticket page, given when the page asks (registered with tickets.panels
in TriageConfig.ready): the panel, the marks on abusive entries, the hand-off note and the
boundary-setting reply draft."""

from attenda.agents.models import Agent
from attenda.tickets.models import Ticket, TimelineEntry
from attenda.triage import queries, services


def page_context(agent: Agent, ticket: Ticket, entries: list[TimelineEntry]) -> dict:
    return {
        "triage": queries.ticket_panel(agent, ticket, entries),
        "handoff_note": services.handoff_note(),
    }


def timeline_context(agent: Agent, entries: list[TimelineEntry]) -> dict:
    """The abusive entries of a page of the whole timeline, and those hidden from this agent."""
    abusive, hidden = queries.abusive_entries(agent, entries)
    return {"triage": {"hidden_entries": hidden, "abusive_entries": abusive}}


def boundary_draft(ticket: Ticket) -> str:
    return services.boundary_reply(ticket=ticket)

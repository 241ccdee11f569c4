"""The rows of the inbox table, written in Python the way Django's admin writes its change-list rows.
As a template, each row was some twenty nodes to resolve and render — half of the inbox page's time
for fifty rows. Everything a row shows is escaped here, as the template's autoescaping would."""

from django.urls import reverse
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince, timeuntil
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from attenda.core import clock
from attenda.routing.clocks import ServiceClock
from attenda.routing.deadlines import CONSEQUENCE_LABELS
from attenda.tickets.models import Priority, Status, Ticket


def inbox_rows(tickets: list[Ticket]) -> list[SafeString]:
    """One ``<tr>`` per ticket: number, subject (the row's link), customer, status, priority, team,
    owner, time left, waiting since and tags. Tickets come with ``owner``, ``team`` and ``tags``
    loaded."""
    now = clock.now()
    statuses = {value: conditional_escape(label) for value, label in Status.choices}
    priorities = {value: conditional_escape(label) for value, label in Priority.choices}
    no_team = f'<span class="muted">{conditional_escape(_("No team"))}</span>'
    nobody = f'<span class="muted">{conditional_escape(_("Nobody"))}</span>'
    # Every ticket's address is this prefix and its number.
    link = reverse("ticket", args=[0]).removesuffix("0/")
    rows = []
    for ticket in tickets:
        waiting = template_localtime(ticket.waiting_since)
        status = conditional_escape(ticket.status)
        priority = conditional_escape(ticket.priority)
        tags = "".join(
            f'<span class="tag">{conditional_escape(name)}</span> ' for name in ticket.tag_names
        )
        rows.append(
            "<tr>"
            f'<td class="number">#{ticket.number}</td>'
            f'<td class="subject"><a href="{link}{ticket.number}/" data-row-link>'
            f"{conditional_escape(_truncated(ticket.subject))}</a></td>"
            f"<td>{conditional_escape(ticket.customer_name)}</td>"
            f'<td><span class="badge status-{status}">{statuses.get(ticket.status, status)}'
            "</span></td>"
            f'<td><span class="badge priority-{priority}">'
            f"{priorities.get(ticket.priority, priority)}</span></td>"
            f"<td>{conditional_escape(ticket.team.name) if ticket.team else no_team}</td>"
            f"<td>{conditional_escape(ticket.owner.display_name) if ticket.owner else nobody}</td>"
            f"<td>{time_left_html(ticket, now)}</td>"
            f'<td><time datetime="{waiting.isoformat()}">'
            f"{formats.date_format(waiting, 'SHORT_DATETIME_FORMAT')}</time></td>"
            f"<td>{tags}</td>"
            "</tr>"
        )
    # Safe: every value from the database or a translation went through conditional_escape above.
    return [mark_safe(row) for row in rows]  # noqa: S308


def time_left(ticket: Ticket, now) -> tuple[str, str]:
    """What the nearest deadline (service level or legal) says now, and its state: "missed" once
    the legal deadline passed unanswered, "overdue", "legal" for a legal deadline still ahead,
    "paused" while waiting on the customer, "due" for a service level ahead, "" for none. The
    text says the state too, so it is never told by colour alone."""
    if ticket.legal_missed_at is not None:
        return str(CONSEQUENCE_LABELS.get(ticket.legal_consequence, _("Legal deadline missed"))), (
            "missed"
        )
    due = ticket.due_at
    if due is None:
        if ServiceClock(ticket.service_clock).paused:
            return _("Paused while waiting on the customer"), "paused"
        return "", ""
    return describe_due(due, now, legal=due == ticket.legal_deadline)


def describe_due(due, now, *, legal: bool = False) -> tuple[str, str]:
    if due <= now:
        return _("Overdue by %(time)s") % {"time": timesince(due, now, depth=2)}, "overdue"
    if legal:
        return _("Legal deadline in %(time)s") % {"time": timeuntil(due, now, depth=2)}, "legal"
    return _("%(time)s left") % {"time": timeuntil(due, now, depth=2)}, "due"


def time_left_html(ticket: Ticket, now) -> str:
    text, state = time_left(ticket, now)
    if not state:
        return '<span class="muted">—</span>'
    return f'<span class="time-left time-left-{state}">{conditional_escape(text)}</span>'


def _truncated(subject: str) -> str:
    """As the template's ``truncatechars:120``, without its cost for the many subjects that fit."""
    return subject if len(subject) <= 120 else Truncator(subject).chars(120)

"""The rows of the inbox table, written in Python the way Django's admin writes its change-list rows.
As a template, each row was some twenty nodes to resolve and render — half of the inbox page's time
for fifty rows. Everything a row shows is escaped here, as the template's autoescaping would."""

import html

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince, timeuntil
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from attenda.core import clock
from attenda.core.escaping import escape
from attenda.routing.clocks import ServiceClock
from attenda.routing.deadlines import CONSEQUENCE_LABELS
from attenda.tickets.models import Priority, Status, Ticket
from attenda.tickets.queries import InboxRow
from attenda.tickets.templatetags.desk import Ages, initials, local_format


def inbox_rows(tickets: list[InboxRow]) -> SafeString:
    """The inbox table's ``<tr>``s, one per ticket, one line high: a checkbox for bulk actions, the
    customer, the number, subject (the row's link), preview of the last message and tags, status,
    priority, owner, time left and how long it has waited, from what ``queries.inbox_rows_page``
    reads. Values from the database are text, escaped by ``html.escape`` as Django escapes."""
    now = clock.now()
    ages = Ages(now)
    statuses = {value: escape(label) for value, label in Status.choices}
    priorities = {value: escape(label) for value, label in Priority.choices}
    nobody = f'<span class="muted owner-name">{escape(_("Nobody"))}</span>'
    select = _("Select ticket #%(number)s")
    # Every ticket's address is this prefix and its number.
    link = reverse("ticket", args=[0]).removesuffix("0/")
    # A page has a few owners for its fifty rows.
    owners = {"": nobody}
    rows = []
    for ticket in tickets:
        number = ticket.id
        status = html.escape(ticket.status)
        priority = int(ticket.priority)
        customer = ticket.customer_name
        owner = owners.get(ticket.owner_name)
        if owner is None:
            name = ticket.owner_name
            owner = owners[name] = (
                f'<span class="avatar small" aria-hidden="true">'
                f"{html.escape(initials(name))}</span>"
                f'<span class="owner-name">{html.escape(name)}</span>'
            )
        preview = (
            f' <span class="preview">{html.escape(ticket.preview)}</span>' if ticket.preview else ""
        )
        if ticket.tag_names:
            tags = "".join(
                f'<span class="tag">{html.escape(name)}</span>' for name in ticket.tag_names
            )
            tags = f'<span class="tags">{tags}</span>'
        else:
            tags = ""
        due_text, due_state = time_left(ticket, now)
        due_title = f' title="{escape(due_text)}"' if due_text else ""
        due = (
            f'<span class="time-left time-left-{due_state}">{escape(due_text)}</span>'
            if due_state
            else '<span class="muted">—</span>'
        )
        rows.append(
            f'<tr data-ticket="{number}">'
            f'<td class="select"><input type="checkbox" name="tickets" value="{number}"'
            f' form="bulk-form" aria-label="{html.escape(select % {"number": number})}">'
            "</td>"
            f'<td class="customer"><span class="avatar" aria-hidden="true">'
            f"{html.escape(initials(customer))}</span>"
            f'<span class="who">{html.escape(customer)}</span></td>'
            f'<td class="subject"><div class="cell"><div class="line">'
            f'<span class="number">#{number}</span> '
            f'<a href="{link}{number}/" data-row-link>'
            f"{html.escape(_truncated(ticket.subject))}</a>"
            f"{preview}</div>{tags}</div></td>"
            f'<td><span class="badge status-{status}">{statuses.get(ticket.status, status)}'
            "</span></td>"
            f'<td><span class="badge priority-{priority}">'
            f"{priorities.get(ticket.priority, priority)}</span></td>"
            f'<td class="owner">{owner}</td>'
            f'<td class="due"{due_title}>{due}</td>'
            f'<td class="age">{ages.html(ticket.waiting_since)}</td>'
            "</tr>"
        )
    # Safe: every value from the database or a translation went through escape above.
    return mark_safe("\n".join(rows))  # noqa: S308


def ticket_table_rows(
    tickets: list[Ticket], *, show_customer: bool = False, show_handoffs: bool = False
) -> SafeString:
    """The rows of ``tickets/ticket_table.html`` (search, a customer's tickets, passed around): number,
    subject, customer, status, team, owner, hand-offs and last activity. Tickets come with their
    team and owner (``select_related``)."""
    statuses = {value: escape(label) for value, label in Status.choices}
    nobody = f'<span class="muted">{escape(_("Nobody"))}</span>'
    link = reverse("ticket", args=[0]).removesuffix("0/")
    rows = []
    for ticket in tickets:
        status = escape(ticket.status)
        customer = f"<td>{escape(ticket.customer_name)}</td>" if show_customer else ""
        handoffs = f'<td class="number">{ticket.handoff_count}</td>' if show_handoffs else ""
        team = escape(ticket.team.name) if ticket.team_id and ticket.team.name else "—"
        owner = escape(ticket.owner.display_name) if ticket.owner_id else nobody
        updated = template_localtime(ticket.updated_at)
        rows.append(
            f'<tr><td class="number">#{ticket.number}</td>'
            f'<td class="subject"><a href="{link}{ticket.number}/" data-row-link>'
            f"{escape(_truncated(ticket.subject))}</a></td>{customer}"
            f'<td><span class="badge status-{status}">{statuses.get(ticket.status, status)}'
            f"</span></td><td>{team}</td><td>{owner}</td>{handoffs}"
            f'<td><time datetime="{updated.isoformat()}">'
            f"{escape(local_format(updated, 'SHORT_DATETIME_FORMAT'))}</time></td></tr>"
        )
    # Safe: every value from the database or a translation went through escape above.
    return mark_safe("\n".join(rows))  # noqa: S308


def time_left(ticket: InboxRow, now) -> tuple[str, str]:
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


def _truncated(subject: str) -> str:
    """As the template's ``truncatechars:120``, without its cost for the many subjects that fit."""
    return subject if len(subject) <= 120 else Truncator(subject).chars(120)

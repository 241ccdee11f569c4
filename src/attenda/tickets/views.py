"""The agent's ticket pages: the inbox, a ticket with its timeline and actions, logging a phone call or
office visit, and search. Each view parses input, calls one service or query and renders a page, or
for htmx the `template#partial` that changed."""

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import PurePosixPath

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from attenda.agents.models import Agent
from attenda.core import clock
from attenda.core.pagination import InvalidCursor, Page
from attenda.customers.forms import CustomerSearchForm, NewCustomerForm
from attenda.customers.models import Customer
from attenda.customers.services import create_customer, survivor
from attenda.routing import assignment
from attenda.routing.clocks import FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION, ServiceClock
from attenda.routing.deadlines import CONSEQUENCE_LABELS
from attenda.tickets import delivery, panels, queries, search, services
from attenda.tickets.forms import (
    INBOX_VIEW_LABELS,
    AgentPageForm,
    AssignForm,
    BulkForm,
    ChoosesColleagues,
    Colleagues,
    ContactForm,
    CopiesForm,
    MergeForm,
    NoteForm,
    PropertiesForm,
    ReplyForm,
    TransferForm,
    filter_teams,
    inbox_listing,
)
from attenda.tickets.headlines import headline
from attenda.tickets.models import (
    MANY_HANDS,
    Activity,
    Attachment,
    Delivery,
    EntryKind,
    Priority,
    Status,
    Ticket,
    TimelineEntry,
)
from attenda.tickets.permissions import can_view, receives_handoff, visible_tickets
from attenda.tickets.rows import describe_due, inbox_rows


def wants_partial(request: HttpRequest) -> bool:
    """An htmx swap, not a history restore (which needs the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """A page that answers htmx with a part must not be cached as the whole, nor the other way."""
    patch_vary_headers(response, ["HX-Request"])
    return response


def form_errors_status(request: HttpRequest) -> int:
    """422 for a form sent back with its errors; but 200 to htmx, which swaps in only successes, and
    because browsers report every 4xx answer to a script as an error in their console."""
    return 200 if request.htmx else 422


def next_page_url(request: HttpRequest, page: Page) -> str | None:
    """The current address with the cursor of the next page, keeping every filter."""
    if page.next_cursor is None:
        return None
    query = request.GET.copy()
    query["cursor"] = page.next_cursor
    return f"?{query.urlencode()}"


# Inbox


EMPTY_INBOX = {
    "mine": gettext_lazy("No open tickets are assigned to you."),
    "unassigned": gettext_lazy("Every open ticket of your teams has an owner."),
    "open": gettext_lazy("Your teams have no open tickets."),
    "waiting": gettext_lazy("No ticket is waiting on a customer or a third party."),
    "solved": gettext_lazy("No solved tickets here yet."),
}


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    agent = request.user
    people = queries.inbox_people(agent)
    listing = inbox_listing(request.GET, teams=people.teams)
    notices = []
    if not listing.understood:
        notices.append(_("Some filters were not understood and were left out."))
    view = listing.view
    listed = {"view": view, "filters": listing.filters, "sort": listing.sort}
    try:
        page = queries.inbox_rows_page(agent, cursor=request.GET.get("cursor") or None, **listed)
    except InvalidCursor:
        notices.append(_("That page link is no longer valid, so the first page is shown."))
        page = queries.inbox_rows_page(agent, cursor=None, **listed)
    live_query = request.GET.copy()
    live_query.pop("cursor", None)
    live_query["view"] = view
    live_query["since"] = clock.now().isoformat()
    context = {
        "nav": "inbox",
        "listing": listing,
        "view": view,
        "view_label": INBOX_VIEW_LABELS[view],
        "view_counts": queries.inbox_counts(agent),
        "bulk_fields": BulkForm.fields_shown(owners=people.owners) if page.items else "",
        "page": page,
        "rows": inbox_rows(page.items),
        "next_url": next_page_url(request, page),
        "notices": notices,
        "filtered": listing.filtered,
        "empty_text": EMPTY_INBOX[view],
        "live_url": f"{reverse('inbox_live')}?{live_query.urlencode()}",
        "this_url": request.get_full_path(),
    }
    template = "tickets/inbox.html#inbox" if wants_partial(request) else "tickets/inbox.html"
    return vary_on_htmx(render(request, template, context))


@login_required
def inbox_counts(request: HttpRequest) -> HttpResponse:
    """The sidebar's bounded counts, loaded after the page on pages other than the inbox."""
    current = request.GET.get("current", "")
    context = {
        "view_counts": queries.inbox_counts(request.user),
        "view": current,
        "nav": "inbox" if current in queries.INBOX_VIEWS else "",
    }
    return render(request, "core/base.html#sidebar_views", context)


@login_required
@require_POST
def inbox_bulk(request: HttpRequest) -> HttpResponse:
    """One change to the tickets ticked on the inbox, each through its own service; says what was
    done and what was refused, and returns to the same list."""
    agent = request.user
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("inbox")
    back = back or reverse("inbox")
    form = BulkForm(request.POST, agent=agent, owners=list(queries.inbox_people(agent).owners))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    tickets = list(
        visible_tickets(agent)
        .filter(pk__in=form.cleaned_data["tickets"])
        .prefetch_related(queries.WITH_TAGS)
        .order_by("id")
    )
    missing = set(form.cleaned_data["tickets"]) - {ticket.pk for ticket in tickets}
    outcomes = []
    change_owner, owner = form.owner_change()
    if change_owner:
        outcome = services.bulk_assign(tickets=tickets, owner=owner, actor=agent)
        count = len(outcome.done)
        done = ngettext(
            "Owner changed on %(count)s ticket.", "Owner changed on %(count)s tickets.", count
        )
        outcomes.append((outcome, done))
    if form.cleaned_data["status"]:
        status = Status(form.cleaned_data["status"])
        outcome = services.bulk_set_status(tickets=tickets, status=status, actor=agent)
        count = len(outcome.done)
        done = ngettext(
            "Status changed on %(count)s ticket.", "Status changed on %(count)s tickets.", count
        )
        outcomes.append((outcome, done))
    if form.cleaned_data["add_tags"]:
        outcome = services.bulk_add_tags(
            tickets=tickets, names=form.cleaned_data["add_tags"], actor=agent
        )
        count = len(outcome.done)
        done = ngettext(
            "Tags added to %(count)s ticket.", "Tags added to %(count)s tickets.", count
        )
        outcomes.append((outcome, done))
    if form.cleaned_data["merge"]:
        try:
            outcome = services.bulk_merge(tickets=tickets, actor=agent)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            count = len(outcome.done)
            done = ngettext(
                "%(count)s ticket merged into the oldest one.",
                "%(count)s tickets merged into the oldest one.",
                count,
            )
            outcomes.append((outcome, done))
    for outcome, done in outcomes:
        if outcome.done:
            messages.success(request, done % {"count": len(outcome.done)})
        for number, reason in outcome.refused.items():
            messages.error(
                request,
                _("Ticket #%(number)s was not changed: %(reason)s")
                % {"number": number, "reason": reason},
            )
    for number in sorted(missing):
        messages.error(
            request, _("There is no ticket #%(number)s that you can see.") % {"number": number}
        )
    return redirect(back)


def _live_filters(query: QueryDict, agent: Agent) -> tuple[str, str, queries.InboxFilters]:
    listing = inbox_listing(query, teams=filter_teams(agent))
    return listing.view, listing.sort, listing.filters


LIVE_POLL_SECONDS = 2
LIVE_WAIT_SECONDS = 25
LIVE_RETRY_MS = 1000


async def inbox_live(request: HttpRequest) -> HttpResponse:
    """Server-sent events for an open inbox: how many of its tickets changed since the page was
    shown. Under ASGI each response waits until that number differs from the one the page last
    heard (the event id, which the browser sends back as Last-Event-ID) or LIVE_WAIT_SECONDS pass,
    then ends; the browser reconnects after LIVE_RETRY_MS. So a response is bounded in time, holds
    no thread, and each look is one index range read of at most 100 ids."""
    agent = await request.auser()
    if not agent.is_authenticated:
        return HttpResponse(status=401)
    view, _sort, filters = await sync_to_async(_live_filters)(request.GET, agent)
    try:
        since = datetime.fromisoformat(request.GET.get("since", ""))
    except ValueError:
        return HttpResponse(status=400)
    if timezone.is_naive(since):
        return HttpResponse(status=400)
    heard = request.headers.get("Last-Event-ID", "0")
    heard = int(heard) if heard.isdigit() else 0

    async def news() -> str:
        changed = await sync_to_async(queries.changed_since)(
            agent, view=view, filters=filters, since=since
        )
        count = len(changed)
        if count == heard:
            return ""
        text = ngettext(
            "%(count)s ticket is new or changed.", "%(count)s tickets are new or changed.", count
        ) % {"count": "100+" if count >= 100 else count}
        return f"id: {count}\ndata: {json.dumps({'count': count, 'text': text})}\n\n"

    async def events():
        yield f"retry: {LIVE_RETRY_MS}\n\n"
        for _look in range(LIVE_WAIT_SECONDS // LIVE_POLL_SECONDS):
            event = await news()
            if event:
                yield event
                return
            await asyncio.sleep(LIVE_POLL_SECONDS)
        yield ": still here\n\n"

    if not isinstance(request, ASGIRequest):
        # Under WSGI a waiting response would hold a thread: look once, and let the browser
        # come back after LIVE_RETRY_MS.
        body = f"retry: {LIVE_RETRY_MS}\n\n{await news()}"
        response = HttpResponse(body, content_type="text/event-stream")
    else:
        response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    return response


def _query_with(query: QueryDict, **values: str) -> str:
    query = query.copy()
    for key, value in values.items():
        query[key] = value
    return query.urlencode()


# The ticket page


@dataclass(frozen=True)
class TimelineItem:
    entry: TimelineEntry
    headline: str
    internal: bool
    from_ticket: int | None


def _visible_ticket(agent: Agent, number: int) -> Ticket:
    """Tickets the agent may not see are missing, exactly as tickets that do not exist."""
    ticket = visible_tickets(agent).select_related("pinned_handoff").filter(pk=number).first()
    if ticket is None:
        raise Http404(_("No ticket has that number."))
    return ticket


def _timeline_items(
    ticket: Ticket, entries: list[TimelineEntry], colleagues: Colleagues
) -> list[TimelineItem]:
    return [
        TimelineItem(
            entry=entry,
            headline=headline(entry, colleagues),
            internal=entry.kind in (EntryKind.NOTE, EntryKind.TRANSFER),
            from_ticket=entry.ticket_id if entry.ticket_id != ticket.pk else None,
        )
        for entry in entries
    ]


def _ticket_context(
    request: HttpRequest,
    page: queries.TicketPage,
    *,
    colleagues: Colleagues | None = None,
    bound: dict | None = None,
) -> dict:
    agent = request.user
    ticket = page.ticket
    colleagues = colleagues or Colleagues.around(ticket)
    routes = delivery.routes(ticket)
    forms = {
        "reply_form": ReplyForm(prefix="reply", routes=routes),
        "note_form": NoteForm(prefix="note"),
        "assign_form": AssignForm(
            prefix="assign", colleagues=colleagues, agent=agent, initial={"owner": ticket.owner_id}
        ),
        "transfer_form": TransferForm(prefix="transfer", colleagues=colleagues, agent=agent),
        "merge_form": MergeForm(prefix="merge"),
        "properties_form": PropertiesForm(
            prefix="properties",
            colleagues=colleagues,
            agent=agent,
            ticket=ticket,
            can_pick_owner=agent.manages_team(ticket.team_id),
        ),
        **(bound or {}),
    }
    languages = dict(settings.LANGUAGES)
    ticket_link = _url_templates(get_script_prefix())["ticket"]
    for other in page.other_tickets:
        other.url = ticket_link.format(number=other.pk)
    return {
        "nav": "inbox",
        "urls": ticket_urls(ticket.pk, page.customer.pk),
        # What other apps show beside the ticket (triage: its panel and the hand-off note).
        **panels.page_context(agent, ticket, page.timeline),
        "ticket": ticket,
        "delivery_routes": routes,
        "customer": page.customer,
        "customer_language": languages.get(page.customer.language, page.customer.language),
        "ticket_language": languages.get(ticket.language, ticket.language),
        "timeline": _timeline_items(ticket, page.timeline, colleagues),
        "pending_copies": services.pending_copies(page.timeline),
        "timeline_truncated": len(page.timeline) >= queries.TIMELINE_LIMIT,
        "other_tickets": page.other_tickets,
        "others_present": page.others_present,
        "presence_shown": _presence_signature(page.others_present),
        "pinned_for_me": receives_handoff(agent, ticket),
        "legal_deadline_passed": ticket.legal_missed_at is not None
        or (
            ticket.legal_deadline is not None
            and ticket.legal_deadline < clock.now()
            and not ServiceClock(ticket.service_clock).legal_answered
        ),
        "service_levels": _service_level_facts(ticket),
        "legal_consequence": CONSEQUENCE_LABELS.get(ticket.legal_consequence, ""),
        "can_pick_owner": agent.manages_team(ticket.team_id),
        "can_assign_automatically": ticket.team_id is not None
        and (agent.manages_team(ticket.team_id) or ticket.owner_id in (None, agent.pk)),
        **forms,
    }


SERVICE_LEVEL_LABELS = {
    FIRST_RESPONSE: gettext_lazy("First response due"),
    NEXT_RESPONSE: gettext_lazy("Next response due"),
    RESOLUTION: gettext_lazy("Resolution due"),
}


def _service_level_facts(ticket: Ticket) -> list[dict]:
    """Each running or paused service-level target, with its time left."""
    now = clock.now()
    facts = []
    for target, label in SERVICE_LEVEL_LABELS.items():
        state = ticket.service_clock.get(target)
        if not state:
            continue
        due = getattr(ticket, f"{target}_due")
        if due is None:
            text, kind = _("Paused while waiting on the customer"), "paused"
        else:
            text, kind = describe_due(due, now)
        facts.append({"label": label, "due": due, "text": text, "state": kind})
    return facts


# The ticket page's forms and links, each the address of its view for the ticket's number.
TICKET_URLS = (
    "ticket",
    "ticket_handoff_read",
    "ticket_presence",
    "ticket_timeline",
    "ticket_reply",
    "ticket_note",
    "ticket_assign",
    "ticket_assign_automatically",
    "ticket_properties",
    "ticket_transfer",
    "ticket_merge",
)
URL_MARK = 987654321


@lru_cache(maxsize=8)
def _url_templates(script_prefix: str) -> dict[str, str]:
    """Each of TICKET_URLS as a ``str.format`` template of the number, for this script prefix."""
    return {
        name: reverse(name, args=[URL_MARK])
        .replace("{", "{{")
        .replace("}", "}}")
        .replace(str(URL_MARK), "{number}")
        for name in (*TICKET_URLS, "customer")
    }


def ticket_urls(number: int, customer_id: int) -> dict[str, str]:
    """The addresses the ticket page links to, by name without "ticket_": some fifteen ``{% url %}``
    a page, each resolving the view's pattern again, cost more than filling these in."""
    templates = _url_templates(get_script_prefix())
    urls = {
        name.removeprefix("ticket_"): templates[name].format(number=number) for name in TICKET_URLS
    }
    urls["customer"] = templates["customer"].format(number=customer_id)
    return urls


def _ticket_page_or_404(agent: Agent, number: int) -> queries.TicketPage:
    try:
        return queries.ticket_page(agent, number)
    except Ticket.DoesNotExist as missing:
        raise Http404(_("No ticket has that number.")) from missing


@login_required
def ticket(request: HttpRequest, number: int) -> HttpResponse:
    page = _ticket_page_or_404(request.user, number)
    bound = None
    # A draft another app offers (triage: the calm boundary-setting answer to abuse, in the
    # customer's language, to adapt and send).
    body = panels.draft(request.GET.get("reply", ""), page.ticket)
    if body is not None:
        bound = {
            "reply_form": ReplyForm(
                prefix="reply", initial={"body": body}, routes=delivery.routes(page.ticket)
            )
        }
    return render(request, "tickets/ticket.html", _ticket_context(request, page, bound=bound))


@login_required
def whole_timeline(request: HttpRequest, number: int) -> HttpResponse:
    """Every entry of a ticket, oldest first, a page at a time; the ticket page shows the latest."""
    ticket = _visible_ticket(request.user, number)
    try:
        page = queries.timeline_page(ticket, cursor=request.GET.get("cursor") or None)
    except InvalidCursor:
        messages.error(request, _("That page link is no longer valid; here is the first page."))
        page = queries.timeline_page(ticket, cursor=None)
    context = {
        "nav": "inbox",
        "ticket": ticket,
        **panels.timeline_context(request.user, page.items),
        "timeline": _timeline_items(ticket, page.items, Colleagues.around(ticket)),
        "next_url": next_page_url(request, page),
    }
    return render(request, "tickets/timeline.html", context)


@dataclass(frozen=True)
class Action:
    """A form of the ticket page: its name and prefix in the template, and the part of the page an
    htmx request swaps once it is done."""

    form: str
    prefix: str
    form_class: type[AgentPageForm]
    swap: str


REPLY = Action("reply_form", "reply", ReplyForm, swap="reply_form")
NOTE = Action("note_form", "note", NoteForm, swap="note_form")
ASSIGN = Action("assign_form", "assign", AssignForm, swap="ticket_actions")
TRANSFER = Action("transfer_form", "transfer", TransferForm, swap="handover")
MERGE = Action("merge_form", "merge", MergeForm, swap="handover")
PROPERTIES = Action("properties_form", "properties", PropertiesForm, swap="ticket_actions")


def _act(
    request: HttpRequest,
    number: int,
    action: Action,
    perform: Callable[[Ticket, dict], Ticket | None],
    done: str | Callable[[], tuple[int, str]],
) -> HttpResponse:
    """Runs one form of the ticket page. ``perform`` calls the service and may return the ticket as it
    now is, for actions after which the agent may no longer see it (a transfer, letting it go).
    PermissionDenied from the service becomes a 403 and leaves everything as it was."""
    agent = request.user
    ticket = _visible_ticket(agent, number)
    colleagues = None
    extra = {}
    if issubclass(action.form_class, ChoosesColleagues):
        colleagues = Colleagues.around(ticket)
        extra = {"colleagues": colleagues, "agent": agent}
    if action.form_class is PropertiesForm:
        extra |= {"ticket": ticket, "can_pick_owner": agent.manages_team(ticket.team_id)}
    if action is REPLY:
        extra |= {"routes": delivery.routes(ticket)}
    form = action.form_class(request.POST, request.FILES, prefix=action.prefix, **extra)
    if form.is_valid():
        try:
            after = perform(ticket, form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            level, said = done() if callable(done) else (messages.SUCCESS, done)
            messages.add_message(request, level, said)
            return _after_action(request, number, action.swap, after)
    page = _ticket_page_or_404(agent, number)
    context = _ticket_context(request, page, colleagues=colleagues, bound={action.form: form})
    return _render_action(request, context, action.swap, status=form_errors_status(request))


def _after_action(
    request: HttpRequest, number: int, swap: str, after: Ticket | None
) -> HttpResponse:
    agent = request.user
    if after is not None and not can_view(agent, after):
        messages.info(
            request, _("Ticket #%(number)s is no longer in your lists.") % {"number": number}
        )
        if request.htmx:
            return HttpResponseClientRedirect(reverse("inbox"))
        return redirect("inbox")
    if not request.htmx:
        return redirect("ticket", number=number)
    page = _ticket_page_or_404(agent, number)
    return _render_action(request, _ticket_context(request, page), swap, status=200)


def _render_action(request: HttpRequest, context: dict, swap: str, *, status: int) -> HttpResponse:
    """The whole page without htmx; with it, the swapped part and, out of band, every other part
    that may have changed (summary, timeline, pinned note, actions, messages)."""
    if not request.htmx:
        return render(request, "tickets/ticket.html", context, status=status)
    context["swap"] = swap
    context["swap_template"] = f"tickets/ticket.html#{swap}"
    return render(request, "tickets/ticket.html#after_action", context, status=status)


@login_required
@require_POST
def reply(request: HttpRequest, number: int) -> HttpResponse:
    sent = []

    def perform(ticket: Ticket, data: dict) -> None:
        sent.append(
            services.reply(
                ticket=ticket,
                agent=request.user,
                body=data["body"],
                status=Status(data["status"]),
                channel=data["channel"] or None,
                cc=data.get("cc") or [],
                files=data["files"],
                once=data["once"],
            )
        )

    def said() -> tuple[int, str]:
        """Only what really happened: a reply that cannot reach the customer is not "sent"."""
        entry = sent[0]
        if entry.delivery == Delivery.FAILED:
            return messages.ERROR, _("Your reply was not sent: %(reason)s") % {
                "reason": entry.delivery_note
            }
        if entry.delivery == Delivery.SENT:
            return messages.SUCCESS, _("Your reply was sent.")
        return messages.SUCCESS, _("Your reply is on its way to %(address)s.") % {
            "address": entry.data.get("to", "")
        }

    return _act(request, number, REPLY, perform, said)


@login_required
@require_POST
def confirm_copies(request: HttpRequest, number: int) -> HttpResponse:
    """The agent ticks who, of the people a mail copied, receives the replies too."""
    ticket = _visible_ticket(request.user, number)
    form = CopiesForm(request.POST, prefix="copies")
    if not form.is_valid():
        raise Http404(_("There is no such proposal on this ticket."))
    try:
        services.confirm_copies(
            ticket=ticket,
            agent=request.user,
            proposal_id=form.cleaned_data["proposal"],
            addresses=form.cleaned_data["addresses"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Saved who receives the replies."))
    return _after_action(request, number, "ticket_actions", None)


@login_required
@require_POST
def add_note(request: HttpRequest, number: int) -> HttpResponse:
    def perform(ticket: Ticket, data: dict) -> None:
        services.add_note(
            ticket=ticket,
            agent=request.user,
            body=data["body"],
            files=data["files"],
            once=data["once"],
        )

    return _act(request, number, NOTE, perform, _("Your note was added."))


@login_required
@require_POST
def assign(request: HttpRequest, number: int) -> HttpResponse:
    def perform(ticket: Ticket, data: dict) -> Ticket:
        return services.assign(ticket=ticket, owner=data["owner"], actor=request.user)

    return _act(request, number, ASSIGN, perform, _("The owner was changed."))


@login_required
@require_POST
def assign_automatically(request: HttpRequest, number: int) -> HttpResponse:
    """Attenda chooses the owner by the team's rules and writes why on the timeline."""
    ticket = _visible_ticket(request.user, number)
    try:
        decision = assignment.assign_automatically(ticket=ticket, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if decision.owner_id is None:
            messages.info(request, _("Nobody can take the ticket now; it stays in the team queue."))
        else:
            messages.success(request, _("The ticket was assigned automatically."))
    return _after_action(request, number, "ticket_actions", None)


@login_required
@require_POST
def transfer(request: HttpRequest, number: int) -> HttpResponse:
    def perform(ticket: Ticket, data: dict) -> Ticket:
        entry = services.transfer(
            ticket=ticket,
            actor=request.user,
            note=data["note"],
            to_agent=data["to_agent"],
            to_team=data["to_team"],
        )
        return entry.ticket

    return _act(request, number, TRANSFER, perform, _("The ticket was handed over with your note."))


@login_required
@require_POST
def change_properties(request: HttpRequest, number: int) -> HttpResponse:
    """The properties panel: status, priority, kind, owner and tags, saved at once."""

    def perform(ticket: Ticket, data: dict) -> Ticket:
        return services.update_properties(
            ticket=ticket,
            actor=request.user,
            status=Status(data["status"]),
            priority=Priority(data["priority"]),
            kind=data["kind"],
            owner=data["owner"],
            tags=data["tags"],
        )

    return _act(request, number, PROPERTIES, perform, _("The ticket was saved."))


@login_required
@require_POST
def merge(request: HttpRequest, number: int) -> HttpResponse:
    def perform(ticket: Ticket, data: dict) -> None:
        target = visible_tickets(request.user).filter(pk=data["into"]).first()
        if target is None:
            raise ValidationError(
                {
                    "into": _("There is no ticket #%(number)s that you can see.")
                    % {"number": data["into"]}
                }
            )
        services.merge_tickets(target=target, absorbed=ticket, actor=request.user)

    return _act(request, number, MERGE, perform, _("The ticket was merged."))


@login_required
@require_POST
def acknowledge_handoff(request: HttpRequest, number: int) -> HttpResponse:
    agent = request.user
    ticket = _visible_ticket(agent, number)
    services.acknowledge_handoff(ticket=ticket, agent=agent)
    return _after_action(request, number, "pinned", None)


def _presence_signature(present: list) -> str:
    return ",".join(f"{presence.agent_id}:{presence.activity}" for presence in present)


@require_POST
def presence(request: HttpRequest, number: int) -> HttpResponse:
    """The ticket page's heartbeat: says this agent is here, and answers who else is. An unchanged
    answer is 204, so the page's live region is not read out again every few seconds."""
    agent = request.user
    if not agent.is_authenticated:
        return HttpResponse(status=401)
    ticket = _visible_ticket(agent, number)
    activity = (
        Activity.REPLYING if request.POST.get("activity") == Activity.REPLYING else Activity.VIEWING
    )
    services.mark_presence(ticket=ticket, agent=agent, activity=activity)
    present = queries.present_on(ticket, excluding=agent)
    shown = _presence_signature(present)
    if request.htmx and request.POST.get("shown") == shown:
        return HttpResponse(status=204)
    return render(
        request,
        "tickets/ticket.html#presence",
        {"ticket": ticket, "others_present": present, "presence_shown": shown},
    )


SAFE_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")


@login_required
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Served as a download only, under a name made here: the sender chose the file's name and type,
    and neither may turn it into a page of Attenda (stored XSS through SVG or HTML attachments)."""
    agent = request.user
    found = get_object_or_404(
        Attachment.objects.select_related("blob", "entry__ticket__merged_into"), pk=attachment_id
    )
    ticket = found.entry.ticket
    if not (
        can_view(agent, ticket) or (ticket.merged_into and can_view(agent, ticket.merged_into))
    ):
        raise Http404(_("No attachment has that number."))
    extension = PurePosixPath(found.filename).suffix.lower()
    filename = f"ticket-{ticket.pk}-attachment-{found.pk}"
    if SAFE_EXTENSION.fullmatch(extension):
        filename += extension
    response = FileResponse(
        found.blob.content.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private"
    return response


@login_required
def entry_source(request: HttpRequest, entry_id: int) -> FileResponse:
    """The message exactly as it arrived (an email's source), as plain text that no browser renders
    as a page, for the agent who wants to see what the timeline made of it."""
    entry = get_object_or_404(
        TimelineEntry.objects.select_related("raw", "ticket__merged_into"), pk=entry_id
    )
    ticket = entry.ticket
    visible = can_view(request.user, ticket) or (
        ticket.merged_into and can_view(request.user, ticket.merged_into)
    )
    if not visible or entry.raw is None:
        raise Http404(_("That message has no original to show."))
    response = FileResponse(
        entry.raw.content.open("rb"),
        filename=f"ticket-{ticket.pk}-entry-{entry.pk}.txt",
        content_type="text/plain; charset=utf-8",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# Logging a phone call or an office visit


@login_required
def log_contact(request: HttpRequest) -> HttpResponse:
    """First find the customer (or create them), then record what they said on a ticket."""
    agent = request.user
    customer_id = request.POST.get("customer") or request.GET.get("customer")
    if not customer_id:
        return _find_customer_step(request, NewCustomerForm(prefix="new"))
    if not customer_id.isdigit():
        raise Http404(_("No customer has that number."))
    customer = get_object_or_404(Customer.objects.select_related("merged_into"), pk=customer_id)
    if customer.merged_into_id is not None:
        return redirect(f"{reverse('log_contact')}?customer={survivor(customer).pk}")
    open_tickets = [
        ticket
        for ticket in queries.customer_tickets(agent, customer, cursor=None).items
        if ticket.is_open
    ]
    form = ContactForm(
        request.POST or None,
        initial={"customer": customer.pk},
        open_tickets=open_tickets,
        teams=list(agent.teams.all()),
    )
    if request.method == "POST" and form.is_valid():
        try:
            received = services.log_contact(
                agent=agent,
                customer=customer,
                channel=form.cleaned_data["channel"],
                body=form.cleaned_data["body"],
                subject=form.cleaned_data["subject"],
                ticket=form.cleaned_data["ticket"],
                team=form.cleaned_data["team"],
                solved=form.cleaned_data["solved"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("The contact was logged on ticket #%(number)s.") % {"number": received.ticket.pk},
            )
            return redirect("ticket", number=received.ticket.pk)
    return render(
        request,
        "tickets/log_contact.html",
        {"nav": "log_contact", "customer": customer, "form": form, "step": "contact"},
        status=form_errors_status(request) if form.errors else 200,
    )


def _find_customer_step(
    request: HttpRequest, new_customer_form: NewCustomerForm, *, status: int = 200
) -> HttpResponse:
    search_form = CustomerSearchForm(request.GET)
    found = None
    if search_form.is_valid() and search_form.cleaned_data["q"]:
        found = search_form.results(agent=request.user, cursor=None)
    if found is not None and not new_customer_form.is_bound:
        new_customer_form = NewCustomerForm(
            prefix="new", initial=search_form.new_customer_initial()
        )
    return render(
        request,
        "tickets/log_contact.html",
        {
            "nav": "log_contact",
            "step": "find",
            "search_form": search_form,
            "found": found,
            "new_customer_form": new_customer_form,
        },
        status=status,
    )


@login_required
@require_POST
def log_contact_new_customer(request: HttpRequest) -> HttpResponse:
    form = NewCustomerForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            customer = create_customer(
                name=form.cleaned_data["name"],
                claims=form.claims(),
                language=form.cleaned_data["language"],
                country=form.cleaned_data["country"],
                organization_name=form.cleaned_data["organization"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("%(name)s was added as a customer.") % {"name": customer.name}
            )
            return redirect(f"{reverse('log_contact')}?customer={customer.pk}")
    return _find_customer_step(request, form, status=form_errors_status(request))


# Search


@login_required
def passed_around(request: HttpRequest) -> HttpResponse:
    """For supervisors: open tickets of their teams that changed hands more than twice."""
    if not request.user.is_supervisor:
        raise PermissionDenied
    notices = []
    try:
        page = queries.passed_around(request.user, cursor=request.GET.get("cursor") or None)
    except InvalidCursor:
        notices.append(_("That page link is no longer valid, so the first page is shown."))
        page = queries.passed_around(request.user, cursor=None)
    context = {
        "nav": "passed_around",
        "page": page,
        "next_url": next_page_url(request, page),
        "notices": notices,
        "many_hands": MANY_HANDS,
    }
    return render(request, "tickets/passed_around.html", context)


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    if "\x00" in query:
        # PostgreSQL's text holds no NUL, and only an edited address can carry one.
        context = {
            "search_query": query.replace("\x00", ""),
            "search_error": _("Search text cannot contain the NUL character; remove it."),
        }
        return render(request, "tickets/search.html", context, status=400)
    notices = []
    try:
        results = search.find(request.user, query, cursor=request.GET.get("cursor") or None)
    except search.InvalidSearchCursor:
        notices.append(_("That page link is no longer valid, so the first page is shown."))
        results = search.find(request.user, query)
    number = query.removeprefix("#")
    if number.isdigit() and [ticket.pk for ticket in results.tickets] == [int(number)]:
        return redirect("ticket", number=int(number))
    return render(
        request,
        "tickets/search.html",
        {
            "search_query": query,
            "results": results,
            "notices": notices,
            "next_url": next_page_url(request, results),
        },
    )

"""The customer portal's pages. A customer is not a Django user: the session holds the customer
and the address they signed in with, and every page reads them through ``customer_required``."""

import json
import zoneinfo
from collections.abc import Callable
from functools import wraps
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from attenda.core.middleware import client_ip
from attenda.portal import queries, services
from attenda.portal.forms import ReplyForm, SignInForm
from attenda.routing.waiting import describe_wait, expected_first_response
from attenda.tickets.models import OPEN_STATUSES, Status

SESSION_CUSTOMER = "portal_customer"
SESSION_ADDRESS = "portal_address"
# The language the customer picked on a portal page (?lang=xx), kept for the rest of the visit.
SESSION_LANGUAGE = "portal_language"
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}
ZONES = {
    "PT": "Europe/Lisbon",
    "ES": "Europe/Madrid",
    "PL": "Europe/Warsaw",
    "RO": "Europe/Bucharest",
}
SAFE_EXTENSION = {
    "pdf",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "txt",
    "csv",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "odt",
    "zip",
    "eml",
}


def _activate(request: HttpRequest, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = language


def speaks(view: Callable) -> Callable:
    """Every portal page, signed in or not: ``?lang=xx`` (one of the five) chooses the language and
    the session keeps it; else the one chosen earlier in this visit; else the browser's, which the
    locale middleware has taken (or, once signed in, that of the customer's record)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        chosen = request.GET.get("lang", "")
        if chosen in LANGUAGE_CODES and request.session.get(SESSION_LANGUAGE) != chosen:
            request.session[SESSION_LANGUAGE] = chosen
        if request.session.get(SESSION_LANGUAGE) in LANGUAGE_CODES:
            _activate(request, request.session[SESSION_LANGUAGE])
        # The switcher's links come back to this page, or (after a form's POST) to the start.
        request.portal_language_base = (
            request.path if request.method in ("GET", "HEAD") else reverse("portal_home")
        )
        return view(request, *args, **kwargs)

    return wrapped


def _speak(request: HttpRequest, language: str) -> None:
    """The language the customer chose (on the portal, or Attenda's language cookie) wins; else
    that of their record."""
    if request.session.get(SESSION_LANGUAGE) in LANGUAGE_CODES:
        return
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and language:
        _activate(request, language)


def customer_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        customer_id = request.session.get(SESSION_CUSTOMER)
        address = request.session.get(SESSION_ADDRESS, "")
        customer = (
            services.signed_in_customer(customer_id=customer_id, address=address)
            if customer_id
            else None
        )
        if customer is None:
            for key in (SESSION_CUSTOMER, SESSION_ADDRESS):
                request.session.pop(key, None)
            return redirect("portal_sign_in")
        request.customer = customer
        _speak(request, customer.language)
        zone = ZONES.get(customer.country)
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        return view(request, *args, **kwargs)

    return wrapped


@speaks
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_sign_in_link(
            address=form.cleaned_data["email"], network_address=client_ip(request)
        )
        return redirect("portal_link_sent")
    return render(
        request, "portal/sign_in.html", {"form": form}, status=422 if form.errors else 200
    )


@speaks
@require_GET
def link_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/link_sent.html", {"minutes": settings.PORTAL_LINK_SECONDS // 60})


@speaks
def use_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners open links, and must not use up a single-use one."""
    if request.method != "POST":
        return render(request, "portal/use_link.html", {"token": token})
    signed_in = services.use_sign_in_link(token=token)
    if signed_in is None:
        return render(request, "portal/link_invalid.html", status=410)
    customer, address = signed_in
    request.session.cycle_key()
    request.session[SESSION_CUSTOMER] = customer.pk
    request.session[SESSION_ADDRESS] = address
    return redirect("portal_home")


@speaks
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    language = request.session.get(SESSION_LANGUAGE)
    request.session.flush()
    if language:
        request.session[SESSION_LANGUAGE] = language  # signing out keeps the language chosen
    messages.success(request, _("You are signed out."))
    return redirect("portal_sign_in")


@speaks
@customer_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    tickets = list(queries.customer_tickets(request.customer))
    return render(
        request,
        "portal/home.html",
        {
            "customer": request.customer,
            "tickets": tickets,
            "shown": queries.TICKETS_SHOWN,
            "nav": "home",
        },
    )


def _ticket_or_404(request: HttpRequest, number: int):
    ticket = queries.customer_ticket(request.customer, number)
    if ticket is None:
        raise Http404(_("You have no ticket with that number."))
    return ticket


def _ticket_page(request: HttpRequest, ticket, form: ReplyForm, status: int = 200) -> HttpResponse:
    wait = None
    if ticket.status in OPEN_STATUSES and ticket.first_response_at is None and ticket.team:
        wait = expected_first_response(ticket.team, ahead_of=ticket)
    entries = list(queries.customer_timeline(ticket))
    labels = dict(Status.choices)
    for entry in entries:
        entry.status_label = labels.get(entry.data.get("to"), "")
    answer_due = None
    if ticket.status in (Status.NEW, Status.OPEN):
        answer_due = ticket.next_response_due or ticket.first_response_due
    return render(
        request,
        "portal/ticket.html",
        {
            "customer": request.customer,
            "ticket": ticket,
            "entries": entries,
            "form": form,
            "wait": describe_wait(wait) if wait else "",
            "answer_due": answer_due,
            "is_open": ticket.status in OPEN_STATUSES and ticket.merged_into_id is None,
        },
        status=status,
    )


@speaks
@customer_required
@require_GET
def ticket_page(request: HttpRequest, number: int) -> HttpResponse:
    return _ticket_page(request, _ticket_or_404(request, number), ReplyForm())


@speaks
@customer_required
@require_POST
def reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            received = services.reply_as_customer(
                customer=request.customer,
                ticket=ticket,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["files"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if received.ticket.pk != ticket.pk:
                messages.success(
                    request,
                    _("Your message is on ticket #%(number)s.") % {"number": received.ticket.pk},
                )
            else:
                messages.success(request, _("Your message was sent."))
            return redirect("portal_ticket", received.ticket.pk)
    return _ticket_page(request, ticket, form, status=422)


@speaks
@customer_required
@require_POST
def solved(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    ticket = services.mark_solved(customer=request.customer, ticket=ticket)
    messages.success(request, _("Thank you. The ticket is marked as solved."))
    return redirect("portal_ticket", ticket.pk)


@speaks
@customer_required
@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """A download only, under a name made here (as for agents): the sender chose the name and type."""
    found = queries.customer_attachment(request.customer, attachment_id)
    if found is None:
        raise Http404(_("No attachment has that number."))
    extension = PurePosixPath(found.filename).suffix.lower().lstrip(".")
    filename = f"ticket-{found.entry.ticket_id}-attachment-{found.pk}"
    if extension in SAFE_EXTENSION:
        filename += f".{extension}"
    response = FileResponse(
        found.blob.content.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@speaks
@customer_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """The customer's data as one JSON file (GDPR art. 15 and 20)."""
    data = queries.customer_data(request.customer)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response["Cache-Control"] = "private, no-store"
    return response

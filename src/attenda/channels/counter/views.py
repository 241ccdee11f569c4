"""Pages of the office counter: the offices' settings (admins), the kiosk and the waiting-room
display (signed in by nobody: a secret address per office), and the counter page for agents, with
the live streams the display and counters follow. Views parse, check and call one service."""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from attenda.channels.counter import queries, services
from attenda.channels.counter.forms import (
    ContactForm,
    CounterForm,
    FinishForm,
    OfficeForm,
    ServiceForm,
    TransferForm,
)
from attenda.channels.counter.models import Counter, Office, Service, Visit
from attenda.core import clock, live
from attenda.core.middleware import ApiRateLimitMiddleware, client_ip
from attenda.customers.models import Customer
from attenda.customers.queries import find_customers
from attenda.routing.waiting import describe_wait
from attenda.tickets.permissions import visible_tickets

KIOSK_LANGUAGES = [
    ("en", "English"),
    ("pt", "Português"),
    ("es", "Español"),
    ("ro", "Română"),
    ("pl", "Polski"),
]


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


# Settings (admins) ----------------------------------------------------------------------------


@login_required
def office_list(request: HttpRequest) -> HttpResponse:
    offices = Office.objects.select_related("team").order_by("name")
    if not request.user.is_admin:
        offices = [office for office in offices if services.may_work_at(request.user, office)]
    return render(request, "counter/office_list.html", {"offices": offices, "nav": "offices"})


@login_required
def office_form(request: HttpRequest, office_id: int | None = None) -> HttpResponse:
    services.require_admin(request.user)
    office = get_object_or_404(Office, pk=office_id) if office_id else Office()
    form = OfficeForm(request.POST or None, initial=OfficeForm.initial_for(office))
    if request.method == "POST" and form.is_valid():
        try:
            services.save_office(office=form.fill(office), actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The office %(name)s was saved.") % {"name": office.name})
            return redirect("office_form", office.pk)
    return render(
        request,
        "counter/office_form.html",
        {
            "office": office,
            "form": form,
            "services": office.services.all() if office.pk else [],
            "counters": office.counters.all() if office.pk else [],
            "kiosk_url": request.build_absolute_uri(reverse("kiosk", args=[office.kiosk_token]))
            if office.pk
            else "",
            "display_url": request.build_absolute_uri(
                reverse("display", args=[office.display_token])
            )
            if office.pk
            else "",
            "nav": "offices",
        },
    )


@login_required
@require_POST
def renew_addresses(request: HttpRequest, office_id: int) -> HttpResponse:
    office = get_object_or_404(Office, pk=office_id)
    services.renew_tokens(office=office, actor=request.user)
    messages.success(request, _("The kiosk and display have new addresses."))
    return redirect("office_form", office.pk)


@login_required
def service_form(
    request: HttpRequest, office_id: int, service_id: int | None = None
) -> HttpResponse:
    services.require_admin(request.user)
    office = get_object_or_404(Office, pk=office_id)
    service = (
        get_object_or_404(Service, pk=service_id, office=office)
        if service_id
        else Service(office=office)
    )
    form = ServiceForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_service(service=form.instance, actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The service %(name)s was saved.") % {"name": service})
            return redirect("office_form", office.pk)
    return render(
        request,
        "counter/part_form.html",
        {
            "office": office,
            "form": form,
            "title": _("Service of %(office)s") % {"office": office.name},
            "nav": "offices",
        },
    )


@login_required
def counter_form(
    request: HttpRequest, office_id: int, counter_id: int | None = None
) -> HttpResponse:
    services.require_admin(request.user)
    office = get_object_or_404(Office, pk=office_id)
    counter = (
        get_object_or_404(Counter, pk=counter_id, office=office)
        if counter_id
        else Counter(office=office)
    )
    form = CounterForm(request.POST or None, instance=counter)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_counter(counter=form.instance, actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The counter %(name)s was saved.") % {"name": counter})
            return redirect("office_form", office.pk)
    return render(
        request,
        "counter/part_form.html",
        {
            "office": office,
            "form": form,
            "title": _("Counter of %(office)s") % {"office": office.name},
            "nav": "offices",
        },
    )


# The kiosk ------------------------------------------------------------------------------------


def _kiosk_language(request: HttpRequest) -> str:
    chosen = request.POST.get("lang") or request.GET.get("lang", "")
    return chosen if chosen in dict(KIOSK_LANGUAGES) else "pt"


def _kiosk_wait(request: HttpRequest, office: Office) -> int | None:
    """Seconds to wait when this network address, or this office's kiosk, has taken numbers or
    left contacts beyond its limit this minute (counted in the shared "rates" cache)."""
    rates = caches["rates"]
    now = clock.now().timestamp()
    minute = int(now // 60)
    counters = [
        (
            f"kiosk-address:{client_ip(request) or 'unknown'}:{minute}",
            settings.KIOSK_RATE_PER_ADDRESS,
        ),
        (f"kiosk-office:{office.pk}:{minute}", settings.KIOSK_RATE_PER_KIOSK),
    ]
    for counter, limit in counters:
        if ApiRateLimitMiddleware._count(rates, counter, 60) > limit:
            return max(1, int(60 - now % 60 + 0.999))
    return None


def _too_many(response: HttpResponse, wait: int | None) -> HttpResponse:
    if wait is not None:
        response.status_code = 429
        response["Retry-After"] = str(wait)
    return response


def _too_many_text(wait: int) -> str:
    return ngettext(
        "Too many requests from this kiosk. Please try again in %(seconds)d second.",
        "Too many requests from this kiosk. Please try again in %(seconds)d seconds.",
        wait,
    ) % {"seconds": wait}


def kiosk(request: HttpRequest, token: str) -> HttpResponse:
    office = get_object_or_404(Office, kiosk_token=token)
    language = _kiosk_language(request)
    wait = _kiosk_wait(request, office) if request.method == "POST" else None
    with translation.override(language):
        error = _too_many_text(wait) if wait is not None else ""
        if request.method == "POST" and wait is None:
            service = get_object_or_404(Service, pk=_posted_id(request, "service"), office=office)
            try:
                visit = services.take_number(service=service, language=language)
            except ValidationError as refused:
                error = " ".join(refused.messages)
            else:
                return redirect(
                    reverse("kiosk_visit", args=[token, visit.pk]) + f"?lang={language}"
                )
        response = render(
            request,
            "counter/kiosk.html",
            {
                "office": office,
                "services": office.services.filter(is_active=True),
                "languages": KIOSK_LANGUAGES,
                "language": language,
                "error": error,
                "is_open": services.is_open(office, clock.now()),
            },
            status=422 if error else 200,
        )
        return _too_many(response, wait)


def kiosk_visit(request: HttpRequest, token: str, visit_id: int) -> HttpResponse:
    office = get_object_or_404(Office, kiosk_token=token)
    visit = get_object_or_404(Visit.objects.select_related("service"), pk=visit_id, office=office)
    language = _kiosk_language(request)
    wait = _kiosk_wait(request, office) if request.method == "POST" else None
    with translation.override(language):
        form = ContactForm(request.POST or None)
        told = False
        if wait is not None:
            form.is_valid()
            form.add_error(None, _too_many_text(wait))
        elif request.method == "POST" and form.is_valid():
            try:
                visit = services.leave_contact(
                    visit=visit,
                    phone=form.cleaned_data["phone"],
                    email=form.cleaned_data["email"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                told = True
        estimate = services.expected_wait(visit)
        response = render(
            request,
            "counter/kiosk_visit.html",
            {
                "office": office,
                "visit": visit,
                "estimate": estimate,
                "wait_text": describe_wait(estimate.wait) if estimate.wait else "",
                "form": form,
                "told": told,
                "language": language,
                "languages": KIOSK_LANGUAGES,
            },
            status=422 if form.errors else 200,
        )
        return _too_many(response, wait)


# The waiting-room display ---------------------------------------------------------------------


def display(request: HttpRequest, token: str) -> HttpResponse:
    office = get_object_or_404(Office, display_token=token)
    now = clock.now()
    calls = queries.recent_calls(office, at=now, day=services.local_day(office, now))
    return render(
        request,
        "counter/display.html",
        {
            "office": office,
            "calls": calls,
            "after": live.newest_id(),
            "events_url": reverse("display_events", args=[token]),
        },
    )


async def display_events(request: HttpRequest, token: str) -> HttpResponse:
    office = await Office.objects.filter(display_token=token).afirst()
    if office is None:
        raise Http404
    return await live.event_stream(request, [office.stream])


# The counter ----------------------------------------------------------------------------------


def _office_for(request: HttpRequest, office_id: int) -> Office:
    office = get_object_or_404(Office, pk=office_id)
    services.require_counter_agent(request.user, office)
    return office


@login_required
def counter_choice(request: HttpRequest, office_id: int) -> HttpResponse:
    office = _office_for(request, office_id)
    return render(
        request,
        "counter/counter_choice.html",
        {"office": office, "counters": office.counters.filter(is_active=True), "nav": "offices"},
    )


def context_search(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()


def _counter_context(request: HttpRequest, office: Office, counter: Counter) -> dict:
    visit = services.current_visit(counter)
    waiting = queries.waiting_by_service(office)
    context = {
        "office": office,
        "counter": counter,
        "visit": visit,
        "waiting": queries.waiting_visits(office),
        "by_service": [(service, waiting.get(service.pk, 0)) for service in office.services.all()],
        "after": live.newest_id(),
        "events_url": reverse("counter_events", args=[office.pk]),
        "nav": "offices",
    }
    if visit is not None:
        search = context_search(request) or visit.phone or visit.email
        customers = find_customers(request.user, search, limit=8) if search else []
        if visit.customer is not None and visit.customer not in customers:
            customers.insert(0, visit.customer)
        tickets = list(
            visible_tickets(request.user)
            .filter(customer__in=customers, is_open=True)
            .order_by("-updated_at")[:10]
        )
        context["search"] = context_search(request)
        # The record the kiosk's phone or address found best is offered first, already chosen.
        initial = {"customer": customers[0].pk} if customers and not context_search(request) else {}
        context["finish_form"] = FinishForm(customers=customers, tickets=tickets, initial=initial)
        context["transfer_form"] = TransferForm(office=office, exclude=visit.service_id)
    return context


@login_required
def counter_page(request: HttpRequest, office_id: int, counter_id: int) -> HttpResponse:
    office = _office_for(request, office_id)
    counter = get_object_or_404(Counter, pk=counter_id, office=office)
    template = "counter/counter.html"
    if request.GET.get("part") == "queue":
        template += "#queue"
    return render(request, template, _counter_context(request, office, counter))


async def counter_events(request: HttpRequest, office_id: int) -> HttpResponse:
    agent = await request.auser()
    office = await Office.objects.filter(pk=office_id).afirst()
    if not agent.is_authenticated or office is None:
        raise Http404
    if not await sync_to_async(services.may_work_at)(agent, office):
        raise PermissionDenied
    return await live.event_stream(request, [office.stream, office.queue_stream])


def _done(request: HttpRequest, counter: Counter) -> HttpResponse:
    return redirect("counter_page", counter.office_id, counter.pk)


@login_required
@require_POST
def call_next(request: HttpRequest, office_id: int, counter_id: int) -> HttpResponse:
    office = _office_for(request, office_id)
    counter = get_object_or_404(Counter, pk=counter_id, office=office, is_active=True)
    try:
        visit = services.call_next(counter=counter, agent=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if visit is None:
            messages.info(request, _("Nobody is waiting."))
    return _done(request, counter)


def _visit_at(request: HttpRequest, office_id: int, counter_id: int, visit_id: int):
    office = _office_for(request, office_id)
    counter = get_object_or_404(Counter, pk=counter_id, office=office)
    visit = get_object_or_404(Visit, pk=visit_id, office=office, counter=counter)
    return office, counter, visit


@login_required
@require_POST
def recall(request: HttpRequest, office_id: int, counter_id: int, visit_id: int) -> HttpResponse:
    _office, counter, visit = _visit_at(request, office_id, counter_id, visit_id)
    try:
        services.recall(visit=visit, agent=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _done(request, counter)


@login_required
@require_POST
def no_show(request: HttpRequest, office_id: int, counter_id: int, visit_id: int) -> HttpResponse:
    _office, counter, visit = _visit_at(request, office_id, counter_id, visit_id)
    try:
        services.no_show(visit=visit, agent=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _done(request, counter)


@login_required
@require_POST
def transfer(request: HttpRequest, office_id: int, counter_id: int, visit_id: int) -> HttpResponse:
    office, counter, visit = _visit_at(request, office_id, counter_id, visit_id)
    form = TransferForm(request.POST, office=office, exclude=visit.service_id)
    if form.is_valid():
        try:
            moved = services.transfer(
                visit=visit,
                to_service=form.cleaned_data["to_service"],
                note=form.cleaned_data["note"],
                agent=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(number)s waits for %(service)s now.")
                % {"number": moved.label, "service": moved.service.name},
            )
            return _done(request, counter)
    context = _counter_context(request, office, counter)
    context["transfer_form"] = form
    return render(request, "counter/counter.html", context, status=422)


@login_required
@require_POST
def finish(request: HttpRequest, office_id: int, counter_id: int, visit_id: int) -> HttpResponse:
    office, counter, visit = _visit_at(request, office_id, counter_id, visit_id)
    # The records and ticket the agent chose, as the page offered them (found by any search).
    customers = list(Customer.objects.filter(pk=_posted_id(request, "customer")))
    tickets = list(visible_tickets(request.user).filter(pk=_posted_id(request, "ticket")))
    form = FinishForm(request.POST, customers=customers, tickets=tickets)
    if form.is_valid():
        data = form.cleaned_data
        customer = customers[0] if data["customer"] else None
        ticket = tickets[0] if data["ticket"] else None
        try:
            received = services.finish(
                visit=visit,
                agent=request.user,
                body=data["body"],
                customer=customer,
                name=data["name"],
                ticket=ticket,
                solved=data["solved"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("The visit is on ticket #%(number)s of %(customer)s.")
                % {"number": received.ticket.pk, "customer": received.ticket.customer_name},
            )
            return _done(request, counter)
    context = _counter_context(request, office, counter)
    context["finish_form"] = form
    return render(request, "counter/counter.html", context, status=422)


def _posted_id(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else 0

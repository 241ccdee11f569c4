"""The agent's customer pages: find a customer, see one with every ticket the agent may see, correct
their details, add an identity, and (supervisors) merge a duplicate into them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attenda.core.pagination import InvalidCursor
from attenda.customers.forms import (
    CustomerEditForm,
    CustomerSearchForm,
    IdentityForm,
    MergeForm,
    StandingAgentForm,
)
from attenda.customers.models import Customer
from attenda.customers.services import merge_customers, set_standing_agent, update_customer
from attenda.tickets import queries
from attenda.tickets.views import form_errors_status, next_page_url, vary_on_htmx, wants_partial
from attenda.triage.queries import abuse_flags


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerSearchForm(request.GET)
    found = None
    notices = []
    if form.is_valid():
        try:
            found = form.results(agent=request.user, cursor=request.GET.get("cursor") or None)
        except InvalidCursor:
            notices.append(_("That page link is no longer valid, so the first page is shown."))
            found = form.results(agent=request.user, cursor=None)
    context = {
        "nav": "customers",
        "form": form,
        "found": found,
        "notices": notices,
        "next_url": next_page_url(request, found) if found else None,
    }
    template = "customers/list.html"
    if wants_partial(request):
        template += "#results"
    return vary_on_htmx(render(request, template, context))


def _customer_or_404(customer_id: int) -> Customer:
    return get_object_or_404(
        Customer.objects.select_related("organization", "merged_into").prefetch_related(
            "identities"
        ),
        pk=customer_id,
    )


def _customer_page(
    request: HttpRequest, customer: Customer, *, bound: dict | None = None, status: int = 200
) -> HttpResponse:
    notices = []
    cursor = request.GET.get("cursor") or None
    try:
        tickets = queries.customer_tickets(request.user, customer, cursor=cursor)
    except InvalidCursor:
        notices.append(_("That page link is no longer valid, so the first page is shown."))
        tickets = queries.customer_tickets(request.user, customer, cursor=None)
    forms = {
        "edit_form": CustomerEditForm(
            prefix="edit",
            initial={
                "name": customer.name,
                "language": customer.language,
                "country": customer.country,
                "notes": customer.notes,
            },
        ),
        "identity_form": IdentityForm(prefix="identity"),
        "merge_form": MergeForm(prefix="merge"),
        "standing_agent_form": StandingAgentForm(
            prefix="owner", initial={"agent": customer.standing_agent_id}
        ),
        **(bound or {}),
    }
    context = {
        "nav": "customers",
        "customer": customer,
        "tickets": tickets,
        "next_url": next_page_url(request, tickets),
        "notices": notices,
        "can_merge": request.user.is_supervisor,
        **abuse_flags(customer),
        **forms,
    }
    template = "customers/customer.html"
    if wants_partial(request) and request.method == "GET":
        template += "#tickets"
    return vary_on_htmx(render(request, template, context, status=status))


@login_required
def customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _customer_page(request, _customer_or_404(customer_id))


@login_required
@require_POST
def edit_customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    found = _customer_or_404(customer_id)
    form = CustomerEditForm(request.POST, prefix="edit")
    if form.is_valid():
        try:
            update_customer(customer=found, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The customer's details were saved."))
            return redirect("customer", customer_id=found.pk)
    found.refresh_from_db()
    return _customer_page(
        request, found, bound={"edit_form": form}, status=form_errors_status(request)
    )


@login_required
@require_POST
def add_identity(request: HttpRequest, customer_id: int) -> HttpResponse:
    found = _customer_or_404(customer_id)
    form = IdentityForm(request.POST, prefix="identity")
    if form.is_valid():
        claim = form.claim()
        try:
            update_customer(customer=found, add_claims=[claim], actor=request.user)
        except ValidationError as error:
            # The service names the kind of identity that was refused; here that is the value.
            form.add_service_errors(error, **{claim.kind: "value"})
        else:
            messages.success(request, _("The identity was added."))
            return redirect("customer", customer_id=found.pk)
    found.refresh_from_db()
    return _customer_page(
        request, found, bound={"identity_form": form}, status=form_errors_status(request)
    )


@login_required
@require_POST
def merge(request: HttpRequest, customer_id: int) -> HttpResponse:
    found = _customer_or_404(customer_id)
    form = MergeForm(request.POST, prefix="merge")
    if form.is_valid():
        absorbed = Customer.objects.filter(pk=form.cleaned_data["absorbed"]).first()
        if absorbed is None:
            form.add_error("absorbed", _("No customer has that number."))
        else:
            try:
                merge_customers(survivor_customer=found, absorbed=absorbed, actor=request.user)
            except ValidationError as error:
                form.add_error("absorbed", error)
            else:
                messages.success(
                    request,
                    _("%(absorbed)s was merged into %(survivor)s.")
                    % {"absorbed": absorbed.name, "survivor": found.name},
                )
                return redirect("customer", customer_id=found.pk)
    return _customer_page(
        request, found, bound={"merge_form": form}, status=form_errors_status(request)
    )


@login_required
@require_POST
def standing_agent(request: HttpRequest, customer_id: int) -> HttpResponse:
    found = _customer_or_404(customer_id)
    form = StandingAgentForm(request.POST, prefix="owner")
    if form.is_valid():
        try:
            set_standing_agent(customer=found, agent=form.cleaned_data["agent"], actor=request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The customer's account owner was saved."))
            return redirect("customer", customer_id=found.pk)
    found.refresh_from_db()
    return _customer_page(
        request,
        found,
        bound={"standing_agent_form": form},
        status=form_errors_status(request),
    )

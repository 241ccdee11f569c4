"""Triage's pages: revealing an abusive message, accepting a suggestion, a supervisor taking a
conversation over, the supervisors' lists (tickets flagged for them, abuse each agent received),
and the admins' page of rules, threshold and learning."""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attenda.core.pagination import InvalidCursor
from attenda.customers.models import Customer
from attenda.tickets.models import Kind, TimelineEntry
from attenda.tickets.views import _after_action, _visible_ticket, next_page_url
from attenda.triage import queries, services
from attenda.triage.forms import KindRuleForm, PeriodForm, ResetRuleForm, ThresholdForm
from attenda.triage.tasks import retrain_now


@login_required
@require_POST
def reveal(request: HttpRequest, entry_id: int) -> HttpResponse:
    """htmx swaps the warning for the words; without it, the ticket page opens at the message."""
    try:
        entry = services.reveal(entry_id=entry_id, agent=request.user)
    except TimelineEntry.DoesNotExist as missing:
        raise Http404(_("No message has that number.")) from missing
    if request.htmx:
        return render(request, "triage/revealed_entry.html", {"entry": entry})
    number = entry.ticket.merged_into_id or entry.ticket_id
    return redirect(f"{reverse('ticket', args=[number])}#entry-{entry.pk}")


@login_required
@require_POST
def accept(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _visible_ticket(request.user, number)
    try:
        after = services.accept_suggestion(ticket=ticket, agent=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("ticket", number=number)
    messages.success(request, _("The suggestion was applied."))
    # Accepting a team suggestion may move the ticket out of the agent's lists.
    return _after_action(request, number, "ticket_actions", after)


@login_required
@require_POST
def take_over(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _visible_ticket(request.user, number)
    try:
        services.take_over(ticket=ticket, supervisor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The conversation is yours now."))
    return redirect("ticket", number=number)


def _require_supervisor(request: HttpRequest) -> None:
    if not request.user.is_supervisor:
        raise PermissionDenied


@login_required
def flagged(request: HttpRequest) -> HttpResponse:
    """For supervisors: open tickets of their teams flagged for them, the newest first."""
    _require_supervisor(request)
    notices = []
    try:
        page = queries.flagged_page(request.user, cursor=request.GET.get("cursor") or None)
    except InvalidCursor:
        notices.append(_("That page link is no longer valid, so the first page is shown."))
        page = queries.flagged_page(request.user, cursor=None)
    context = {
        "nav": "flagged",
        "page": page,
        "next_url": next_page_url(request, page),
        "notices": notices,
    }
    return render(request, "triage/flagged.html", context)


@login_required
@require_POST
def clear_flag(request: HttpRequest, flag_id: int) -> HttpResponse:
    services.clear_flag(flag_id=flag_id, supervisor=request.user)
    messages.success(request, _("The flag was cleared."))
    return redirect("triage_flagged")


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@login_required
def abuse_by_agent(request: HttpRequest) -> HttpResponse:
    """For supervisors: how many abusive messages each agent of their teams received in a period,
    the most first, to spread the load."""
    _require_supervisor(request)
    form = PeriodForm(request.GET)
    since, until = form.period()
    rows = queries.abuse_received(
        request.user, since=_start_of(since), until=_start_of(until + timedelta(days=1))
    )
    context = {"nav": "abuse_by_agent", "form": form, "rows": rows, "since": since, "until": until}
    return render(request, "triage/abuse_by_agent.html", context)


@login_required
@require_POST
def lift_customer_flags(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_id)
    services.lift_customer_flags(customer=customer, supervisor=request.user)
    messages.success(request, _("The abuse flag was lifted; its history stays."))
    return redirect(f"{reverse('customer', args=[customer.pk])}#abuse-flags")


# The admins' page


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


def _settings_page(request: HttpRequest, *, bound: dict | None = None, status: int = 200):
    state = queries.learning_state()
    rules = services.configuration().rules
    own = {(rule.kind, rule.language) for rule in queries.own_rules()}
    forms = {
        "threshold_form": ThresholdForm(
            prefix="threshold", initial={"threshold": state.settings.auto_apply_threshold}
        ),
        "rule_form": KindRuleForm(prefix="rule"),
        **(bound or {}),
    }
    context = {
        "nav": "triage_settings",
        "state": state,
        "rules": [
            {
                "kind": rule.kind,
                "kind_label": Kind(rule.kind).label if rule.kind in Kind.values else rule.kind,
                "language": rule.language,
                "keywords": ", ".join(rule.keywords),
                "weight": rule.weight,
                "own": (rule.kind, rule.language) in own,
            }
            for rule in sorted(rules, key=lambda rule: (rule.kind, rule.language))
        ],
        **forms,
    }
    return render(request, "triage/settings.html", context, status=status)


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return _settings_page(request)


@login_required
@require_POST
def set_threshold(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = ThresholdForm(request.POST, prefix="threshold")
    if form.is_valid():
        try:
            services.set_threshold(admin=request.user, threshold=form.cleaned_data["threshold"])
        except ValidationError as error:
            form.add_service_errors(error, threshold="threshold")
        else:
            messages.success(request, _("The threshold was saved."))
            return redirect("triage_settings")
    return _settings_page(request, bound={"threshold_form": form}, status=422)


@login_required
@require_POST
def save_rule(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = KindRuleForm(request.POST, prefix="rule")
    if form.is_valid():
        try:
            services.save_kind_rule(admin=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The rule was saved."))
            return redirect("triage_settings")
    return _settings_page(request, bound={"rule_form": form}, status=422)


@login_required
@require_POST
def reset_rule(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = ResetRuleForm(request.POST)
    if form.is_valid():
        services.reset_kind_rule(admin=request.user, **form.cleaned_data)
        messages.success(request, _("Attenda's own rule applies again."))
    return redirect("triage_settings")


@login_required
@require_POST
def retrain(request: HttpRequest) -> HttpResponse:
    """Learning takes a while, so it runs on the worker; the page shows the new model once done."""
    _require_admin(request)
    retrain_now.enqueue_on_commit(request.user.pk)
    messages.success(
        request, _("Attenda is learning from the labelled tickets; reload this page in a minute.")
    )
    return redirect("triage_settings")

"""Settings pages for routing: business calendars (admins, and supervisors for their own teams) and
service-level policies (admins edit; supervisors read). Each view parses, calls one service and
renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from attenda.agents.models import Team
from attenda.routing import services
from attenda.routing.deadlines import CONSEQUENCE_LABELS, DayCount
from attenda.routing.forms import DAY_NAMES, CalendarForm, PolicyForm
from attenda.routing.models import ServiceLevelPolicy, TeamCalendar
from attenda.routing.queries import statutory_rules
from attenda.routing.services import require_supervisor
from attenda.tickets.models import Channel, Kind


def _add_errors(form, error: ValidationError) -> None:
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)


@login_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    teams = Team.objects.select_related("calendar").order_by("name")
    if not request.user.is_admin:
        teams = teams.filter(pk__in=request.user.team_ids())
    rows = []
    for team in teams:
        calendar = getattr(team, "calendar", None)
        rows.append(
            {
                "team": team,
                "calendar": calendar,
                "days": [
                    (DAY_NAMES[day], ", ".join(f"{start}-{end}" for start, end in shifts))
                    for day, shifts in enumerate(calendar.week if calendar else [])
                ],
            }
        )
    return render(request, "routing/calendar_list.html", {"rows": rows, "nav": "calendars"})


@login_required
def edit_calendar(request: HttpRequest, team_id: int) -> HttpResponse:
    require_supervisor(request.user)
    team = get_object_or_404(Team, pk=team_id)
    if not request.user.manages_team(team.pk):
        raise PermissionDenied
    calendar = TeamCalendar.objects.filter(team=team).first()
    form = CalendarForm(request.POST or None, initial=CalendarForm.initial_from(calendar))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_calendar(
                team=team,
                calendar=services.CalendarInput(
                    time_zone=data["time_zone"],
                    week=form.week(),
                    country=data["country"],
                    subdivision=data["subdivision"],
                    closed_days=data["closed_days"],
                ),
                actor=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("The business hours of %(team)s were saved.") % {"team": team.name}
            )
            return redirect("calendar_list")
    return render(
        request,
        "routing/calendar_form.html",
        {"form": form, "team": team, "calendar": calendar, "nav": "calendars"},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def remove_calendar(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_id)
    services.remove_calendar(team=team, actor=request.user)
    messages.success(
        request, _("%(team)s now counts every hour of every day.") % {"team": team.name}
    )
    return redirect("calendar_list")


@login_required
def policy_list(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    policies = ServiceLevelPolicy.objects.select_related("team", "reassign_to").order_by(
        "position", "id"
    )
    return render(
        request,
        "routing/policy_list.html",
        {
            "policies": [
                {
                    "policy": policy,
                    "kind": KIND_LABELS.get(policy.kind, policy.kind),
                    "channel": CHANNEL_LABELS.get(policy.channel, policy.channel),
                }
                for policy in policies
            ],
            "rules": [_rule_row(rule) for rule in statutory_rules()],
            "consequences": CONSEQUENCE_LABELS,
            "nav": "service_levels",
        },
    )


# What the statutory table shows instead of the codes the rules are written in.
COUNTRY_NAMES = {
    "PT": gettext_lazy("Portugal"),
    "ES": gettext_lazy("Spain"),
    "PL": gettext_lazy("Poland"),
    "RO": gettext_lazy("Romania"),
}
DAY_COUNT_LABELS = {
    DayCount.CALENDAR: gettext_lazy("calendar days"),
    DayCount.CALENDAR_CLEAR: gettext_lazy("calendar days, the first and last not counted"),
    DayCount.WORKING: gettext_lazy("working days"),
    DayCount.BUSINESS: gettext_lazy("business days"),
}
CONDITION_LABELS = {"wrong_charge": gettext_lazy("money charged wrongly")}
KIND_LABELS = dict(Kind.choices)
CHANNEL_LABELS = dict(Channel.choices)


def _rule_row(rule) -> dict:
    return {
        "country": COUNTRY_NAMES.get(rule.country, rule.country),
        "condition": CONDITION_LABELS.get(rule.condition, rule.condition),
        "kinds": ", ".join(str(KIND_LABELS.get(kind, kind)) for kind in sorted(rule.kinds)),
        "days": rule.days,
        "count": DAY_COUNT_LABELS.get(rule.count, rule.count),
        "escalate_days_before": rule.escalate_days_before,
        "valid_from": rule.valid_from,
        "source": rule.source,
    }


@login_required
def edit_policy(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    if not request.user.is_admin:
        raise PermissionDenied
    policy = get_object_or_404(ServiceLevelPolicy, pk=policy_id) if policy_id else None
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_policy(policy=form.save(commit=False), actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The policy %(name)s was saved.") % {"name": saved.name})
            return redirect("policy_list")
    return render(
        request,
        "routing/policy_form.html",
        {"form": form, "policy": policy, "nav": "service_levels"},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def delete_policy(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = get_object_or_404(ServiceLevelPolicy, pk=policy_id)
    services.delete_policy(policy=policy, actor=request.user)
    messages.success(request, _("The policy %(name)s was deleted.") % {"name": policy.name})
    return redirect("policy_list")

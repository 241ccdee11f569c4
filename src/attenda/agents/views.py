"""Pages about the people who work tickets: each agent's API tokens, status and availability, and
for admins the teams and agents of the help desk (supervisors see and set up their own teams)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attenda.agents.forms import (
    AgentForm,
    ApiTokenForm,
    AvailabilityForm,
    NewAgentForm,
    StatusForm,
    TeamForm,
    TeamRoutingForm,
)
from attenda.agents.models import Agent, ApiToken, Skill, Team
from attenda.agents.services import (
    create_agent,
    create_team,
    issue_api_token,
    manages_agent,
    revoke_api_token,
    set_availability,
    set_status,
    update_agent,
    update_team_routing,
)
from attenda.routing.waiting import describe_wait, expected_first_response


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        # Rendered straight away, never redirected: the key is not stored anywhere to show later.
        token, key = issue_api_token(agent=request.user, name=form.cleaned_data["name"])
        issued = {"token": token, "key": key}
        form = ApiTokenForm()
    response = render(
        request,
        "agents/api_tokens.html",
        {
            "form": form,
            "issued": issued,
            "tokens": request.user.api_tokens.order_by("-created_at", "-id"),
            "nav": "api_tokens",
        },
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, agent=request.user, revoked_at__isnull=True)
    revoke_api_token(token=token, actor=request.user)
    messages.success(
        request,
        _("The token %(name)s was revoked; programs using it can no longer connect.")
        % {"name": token.name},
    )
    return redirect("api_tokens")


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
def teams(request: HttpRequest) -> HttpResponse:
    """Admins see and create every team; supervisors see the members of the teams they manage."""
    if not request.user.is_supervisor:
        raise PermissionDenied
    form = TeamForm(request.POST or None)
    if request.method == "POST":
        _require_admin(request)
        if form.is_valid():
            try:
                team = create_team(name=form.cleaned_data["name"], actor=request.user)
            except ValidationError as error:
                form.add_error("name", error.message_dict.get("name", error.messages))
            else:
                messages.success(request, _("The team %(name)s was created.") % {"name": team.name})
                return redirect("teams")
    shown = Team.objects.prefetch_related("agents").order_by("name")
    if not request.user.is_admin:
        shown = shown.filter(pk__in=request.user.team_ids())
    return render(request, "agents/teams.html", {"teams": shown, "form": form, "nav": "teams"})


@login_required
def agent_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    agents = Agent.objects.prefetch_related("teams").order_by("-is_active", "username")
    return render(request, "agents/agent_list.html", {"agents": agents, "nav": "agents"})


@login_required
def new_agent(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = NewAgentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agent = create_agent(
                username=data["username"],
                password=data["password"],
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                languages_spoken=data["languages_spoken"],
                teams=data["teams"],
                actor=request.user,
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            messages.success(request, _("%(agent)s can now log in.") % {"agent": agent})
            return redirect("agent_list")
    return render(request, "agents/agent_form.html", {"form": form, "nav": "agents"})


@login_required
def edit_agent(request: HttpRequest, agent_id: int) -> HttpResponse:
    _require_admin(request)
    agent = get_object_or_404(Agent, pk=agent_id)
    initial = {
        "full_name": agent.get_full_name(),
        "email": agent.email,
        "role": agent.role,
        "teams": agent.teams.all(),
        "languages_spoken": agent.languages_spoken,
        "is_active": agent.is_active,
    }
    form = AgentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_agent(agent=agent, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            messages.success(request, _("The changes to %(agent)s were saved.") % {"agent": agent})
            return redirect("agent_list")
    return render(
        request, "agents/agent_form.html", {"form": form, "agent": agent, "nav": "agents"}
    )


@login_required
@require_POST
def change_status(request: HttpRequest) -> HttpResponse:
    """The header's status switch: back to the page it was used on."""
    form = StatusForm(request.POST)
    if form.is_valid():
        set_status(agent=request.user, status=form.cleaned_data["status"], actor=request.user)
        messages.success(
            request,
            _("Your status is now: %(status)s.") % {"status": request.user.get_status_display()},
        )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("inbox")
    return redirect(back)


@login_required
def availability(request: HttpRequest, agent_id: int | None = None) -> HttpResponse:
    """An agent's own status, absence and backup; supervisors' for the members of their teams (and
    their skills). Anyone else's answers 404, as if the agent did not exist."""
    agent = request.user if agent_id is None else get_object_or_404(Agent, pk=agent_id)
    if not manages_agent(request.user, agent):
        raise Http404
    sets_skills = request.user.is_admin or request.user.manages_any(agent.team_ids())
    initial = {
        "status": agent.status,
        "absent_from": agent.absent_from,
        "absent_until": agent.absent_until,
        "backup": agent.backup_id,
        "skills": agent.skills,
    }
    form = AvailabilityForm(
        request.POST or None, initial=initial, agent=agent, sets_skills=sets_skills
    )
    if request.method == "POST" and form.is_valid():
        try:
            set_availability(agent=agent, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("The availability of %(agent)s was saved.") % {"agent": agent}
            )
            return redirect(request.path)
    return render(
        request,
        "agents/availability.html",
        {"form": form, "agent": agent, "nav": "availability" if agent_id is None else "teams"},
    )


@login_required
def team_settings(request: HttpRequest, team_id: int) -> HttpResponse:
    """How a team's tickets are assigned, for its supervisors and admins."""
    team = get_object_or_404(Team, pk=team_id)
    if not request.user.manages_team(team.pk):
        raise Http404
    form = TeamRoutingForm(
        request.POST or None,
        initial={
            "assignment_mode": team.assignment_mode,
            "capacity": team.capacity,
            "languages": team.languages,
            "skills": team.skills,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_team_routing(team=team, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The settings of %(team)s were saved.") % {"team": team})
            return redirect("team_settings", team_id=team.pk)
    members = (
        team.agents.filter(is_active=True)
        .select_related("backup")
        .order_by("first_name", "last_name", "username")
    )
    skill_labels = dict(Skill.choices)
    estimate = expected_first_response(team)
    return render(
        request,
        "agents/team_settings.html",
        {
            "form": form,
            "team": team,
            "members": [
                (member, [skill_labels.get(skill, skill) for skill in member.skills])
                for member in members
            ],
            "estimate": estimate,
            "estimate_text": describe_wait(estimate) if estimate else "",
            "nav": "teams",
        },
    )

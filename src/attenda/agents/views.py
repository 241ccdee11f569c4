"""Pages about the people who work tickets: each agent's API tokens, and for admins the teams and
agents of the help desk (supervisors see their own teams)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attenda.agents.forms import AgentForm, ApiTokenForm, NewAgentForm, TeamForm
from attenda.agents.models import Agent, ApiToken, Team
from attenda.agents.services import (
    create_agent,
    create_team,
    issue_api_token,
    revoke_api_token,
    update_agent,
)


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

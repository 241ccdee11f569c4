"""Pages about the people who work tickets: each agent's API tokens, status and availability, and
for admins the teams and agents of the help desk (supervisors see and set up their own teams)."""

import time
from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token

from attenda.agents.forms import (
    AgentForm,
    ApiTokenForm,
    AvailabilityForm,
    CodeForm,
    NewAgentForm,
    NewPasswordForm,
    PasswordChangeForm,
    PasswordResetForm,
    SignInPolicyForm,
    StatusForm,
    TeamForm,
    TeamRoutingForm,
)
from attenda.agents.models import Agent, ApiToken, SignInPolicy, Skill, Team
from attenda.agents.services import (
    agent_for_link,
    change_password,
    confirm_authenticator,
    create_agent,
    create_team,
    has_second_factor,
    invite_agent,
    issue_api_token,
    manages_agent,
    pending_authenticator,
    request_password_reset,
    reset_second_factor,
    revoke_api_token,
    set_availability,
    set_password_from_link,
    set_sign_in_policy,
    set_status,
    update_agent,
    update_team_routing,
)
from attenda.core.middleware import SECOND_FACTOR_DUE
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
                password=None,
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
            messages.success(
                request,
                _("An invitation to choose a password was mailed to %(email)s.")
                % {"email": agent.email},
            )
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
        request,
        "agents/agent_form.html",
        {
            "form": form,
            "agent": agent,
            "has_second_factor": has_second_factor(agent),
            "nav": "agents",
        },
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


# Signing in, passwords and the second factor.

PENDING_SIGN_IN = "attenda_pending_sign_in"
# A password accepted waits this long for its code; a few wrong codes send the agent back to the
# password, which the sign-in throttle counts.
PENDING_SIGN_IN_SECONDS = 300
PENDING_SIGN_IN_TRIES = 5


def _next_page(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters()
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    """Username and password; then, for an agent with an authenticator, a code (sign_in_code)."""
    next_page = request.POST.get("next") or request.GET.get("next", "")
    if request.user.is_authenticated:
        return redirect(_next_page(request, next_page))
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        agent = form.get_user()
        if has_second_factor(agent):
            request.session[PENDING_SIGN_IN] = {
                "agent": agent.pk,
                "backend": agent.backend,
                "since": time.time(),
                "tries": 0,
                "next": next_page,
            }
            return redirect("sign_in_code")
        login(request, agent)
        if SignInPolicy.current().require_two_factor:
            request.session[SECOND_FACTOR_DUE] = True
        return redirect(_next_page(request, next_page))
    return render(request, "registration/login.html", {"form": form, "next": next_page})


@sensitive_post_parameters()
@never_cache
def sign_in_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_SIGN_IN)
    agent = None
    if pending and time.time() - pending["since"] < PENDING_SIGN_IN_SECONDS:
        agent = Agent.objects.filter(pk=pending["agent"], is_active=True).first()
    if agent is None:
        request.session.pop(PENDING_SIGN_IN, None)
        messages.error(request, _("Sign in again: the time to give the code is over."))
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(agent, form.cleaned_data["code"].replace(" ", ""))
        if device is not None:
            del request.session[PENDING_SIGN_IN]
            agent.otp_device = device  # django_otp marks the session verified on login.
            login(request, agent, backend=pending["backend"])
            return redirect(_next_page(request, pending["next"]))
        pending["tries"] += 1
        if pending["tries"] >= PENDING_SIGN_IN_TRIES:
            del request.session[PENDING_SIGN_IN]
            messages.error(request, _("Too many wrong codes. Sign in again."))
            return redirect("login")
        request.session[PENDING_SIGN_IN] = pending
        form.add_error("code", _("This code is not right; type the one the app shows now."))
    return render(request, "registration/sign_in_code.html", {"form": form})


@login_required
@sensitive_post_parameters()
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change_password(
                agent=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as error:
            form.add_service_errors(error, **{NON_FIELD_ERRORS: "new_password"})
        else:
            # This session stays signed in; every other session of the agent ends.
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            return redirect("password_change")
    return render(request, "registration/password_change.html", {"form": form, "nav": "security"})


@sensitive_post_parameters()
@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    """The same answer whether or not an agent has the address, so the page tells nobody who
    works here."""
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        request_password_reset(email=form.cleaned_data["email"])
        return redirect("password_reset_sent")
    return render(request, "registration/password_reset.html", {"form": form})


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "registration/password_reset_sent.html",
        {"minutes": settings.PASSWORD_RESET_TIMEOUT // 60},
    )


@sensitive_post_parameters()
@never_cache
def choose_password(request: HttpRequest, uid: str, token: str, purpose: str) -> HttpResponse:
    """The page a password-reset or invitation link opens: valid once, until it expires."""
    agent = agent_for_link(uid=uid, token=token, purpose=purpose)
    form = NewPasswordForm(request.POST or None)
    if agent is not None and request.method == "POST" and form.is_valid():
        try:
            set_password_from_link(
                uid=uid,
                token=token,
                purpose=purpose,
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as error:
            form.add_service_errors(error, **{NON_FIELD_ERRORS: "new_password"})
        except PermissionDenied:
            agent = None
        else:
            messages.success(request, _("Your password was saved. Sign in with it now."))
            return redirect("login")
    response = render(
        request,
        "registration/choose_password.html",
        {"form": form, "agent": agent, "purpose": purpose},
        status=200 if agent is not None else 410,
    )
    add_never_cache_headers(response)
    return response


@login_required
@never_cache
def two_factor(request: HttpRequest) -> HttpResponse:
    """Sets up the authenticator app (QR code and key, confirmed by a code), or asks for its code
    when admins require one and this session has not given it."""
    agent = request.user
    form = CodeForm(request.POST or None)
    if has_second_factor(agent):
        if agent.is_verified():
            return render(request, "agents/two_factor.html", {"state": "on", "nav": "security"})
        if request.method == "POST" and form.is_valid():
            device = match_token(agent, form.cleaned_data["code"].replace(" ", ""))
            if device is not None:
                otp_login(request, device)
                request.session.pop(SECOND_FACTOR_DUE, None)
                return redirect("inbox")
            form.add_error("code", _("This code is not right; type the one the app shows now."))
        return render(request, "agents/two_factor.html", {"state": "verify", "form": form})
    device = pending_authenticator(agent=agent)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = confirm_authenticator(agent=agent, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            otp_login(request, device)
            request.session.pop(SECOND_FACTOR_DUE, None)
            return render(
                request,
                "agents/two_factor.html",
                {"state": "recovery_codes", "codes": codes, "nav": "security"},
            )
    key = b32encode(device.bin_key).decode()
    return render(
        request,
        "agents/two_factor.html",
        {
            "state": "enrol",
            "form": form,
            "qr_code": segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2),
            "manual_key": " ".join(key[index : index + 4] for index in range(0, len(key), 4)),
            "required": SignInPolicy.current().require_two_factor,
            "nav": "security",
        },
    )


@login_required
def sign_in_policy(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    policy = SignInPolicy.current()
    form = SignInPolicyForm(
        request.POST or None, initial={"require_two_factor": policy.require_two_factor}
    )
    if request.method == "POST" and form.is_valid():
        set_sign_in_policy(actor=request.user, **form.cleaned_data)
        messages.success(request, _("The sign-in rules were saved."))
        return redirect("sign_in_policy")
    return render(request, "agents/sign_in_policy.html", {"form": form, "nav": "agents"})


@login_required
@require_POST
def send_invitation(request: HttpRequest, agent_id: int) -> HttpResponse:
    agent = get_object_or_404(Agent, pk=agent_id)
    try:
        invite_agent(agent=agent, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("An invitation was mailed to %(email)s.") % {"email": agent.email}
        )
    return redirect("edit_agent", agent_id=agent.pk)


@login_required
@require_POST
def reset_agent_second_factor(request: HttpRequest, agent_id: int) -> HttpResponse:
    agent = get_object_or_404(Agent, pk=agent_id)
    reset_second_factor(agent=agent, actor=request.user)
    messages.success(request, _("The second factor of %(agent)s was removed.") % {"agent": agent})
    return redirect("edit_agent", agent_id=agent.pk)

"""Routing over the API: read the service-level policies and the teams' business hours, and read
or extend the statutory deadline rules. The same checks as the settings pages: supervisors read,
admins extend; a calendar the agent may not manage answers 404."""

from dataclasses import asdict

from django.http import HttpRequest
from ninja import Router, Status

from attenda.api.schemas import (
    CalendarOut,
    ErrorOut,
    PathId,
    ServiceLevelPolicyOut,
    StatutoryRuleIn,
    StatutoryRuleOut,
)
from attenda.routing import services
from attenda.routing.deadlines import SHIPPED_RULES
from attenda.routing.models import ServiceLevelPolicy, TeamCalendar
from attenda.routing.queries import statutory_rules
from attenda.routing.services import require_supervisor

router = Router(tags=["routing"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get(
    "/service-levels",
    response={200: list[ServiceLevelPolicyOut], **ERRORS},
    summary="List policies",
)
def list_policies(request: HttpRequest) -> list[ServiceLevelPolicy]:
    """In the order they are tried."""
    require_supervisor(request.auth)
    return list(ServiceLevelPolicy.objects.order_by("position", "id"))


@router.get(
    "/service-levels/{policy_id}",
    response={200: ServiceLevelPolicyOut, **ERRORS},
    summary="Read a policy",
)
def get_policy(request: HttpRequest, policy_id: PathId) -> ServiceLevelPolicy:
    require_supervisor(request.auth)
    return ServiceLevelPolicy.objects.get(pk=policy_id)


@router.get(
    "/calendars/{team_id}", response={200: CalendarOut, **ERRORS}, summary="Read a team's hours"
)
def get_calendar(request: HttpRequest, team_id: PathId) -> TeamCalendar:
    """404 for a team without business hours (it counts every hour) or not the agent's to manage."""
    if not request.auth.manages_team(team_id):
        raise TeamCalendar.DoesNotExist
    return TeamCalendar.objects.get(team_id=team_id)


def _rule_out(rule, *, shipped: bool) -> dict:
    return {
        **asdict(rule),
        "kinds": sorted(rule.kinds),
        "end_moves_off": sorted(rule.end_moves_off),
        "shipped": shipped,
    }


@router.get(
    "/statutory-rules",
    response={200: list[StatutoryRuleOut], **ERRORS},
    summary="List statutory deadline rules",
)
def list_statutory_rules(request: HttpRequest) -> list[dict]:
    """The shipped rules, then the admins' ones; for a case, the latest in force wins."""
    require_supervisor(request.auth)
    rules = statutory_rules()
    return [_rule_out(rule, shipped=index < len(SHIPPED_RULES)) for index, rule in enumerate(rules)]


@router.post(
    "/statutory-rules",
    response={201: StatutoryRuleOut, **ERRORS},
    summary="Add a statutory deadline rule",
)
def add_statutory_rule(request: HttpRequest, payload: StatutoryRuleIn) -> Status:
    """Admins only. Applies to cases received from ``valid_from`` on; a running deadline is
    never shortened by it."""
    row = services.add_statutory_rule(actor=request.auth, **payload.dict())
    return Status(201, _rule_out(row.as_rule(), shipped=False))

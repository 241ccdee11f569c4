"""The desk's telephone system (Asterisk, FreePBX, Placetel, sipgate...) tells Attenda of its calls
the way it tells Zammad: POST /api/v1/cti/<token> with event newCall, answer or hangup and from,
to, direction, callId (or call_id), user, queue, cause, as a form or as JSON. The answers are
Zammad's: {} to go on, {"action": "reject", "reason": "busy"} for a blocked caller, {"action":
"dial", "caller_id": ...} for an outgoing call. A body that cannot be read is kept for an admin."""

import json
from xml.etree import ElementTree

from django.http import HttpRequest

from attenda.agents.models import Agent, AgentStatus
from attenda.channels.phone import numbers, services
from attenda.channels.phone.models import Call, CtiEndpoint, Direction, Provider

# Zammad's own messages, which PBX scripts may match on; not translated.
INVALID_TOKEN = "Invalid token, please contact your admin!"  # noqa: S105 (a message)
NOT_CONFIGURED = "Feature not configured, please contact your admin!"
EVENTS = ("newCall", "answer", "hangup")
MOST_RUNG = 20


def _fields(request: HttpRequest) -> dict:
    if (request.content_type or "").endswith("json"):
        parsed = json.loads(request.body or b"{}")
        if not isinstance(parsed, dict):
            raise ValueError("the JSON body is not an object")
        return parsed
    fields: dict = {}
    for key in request.POST:
        values = request.POST.getlist(key)
        name = key.removesuffix("[]")
        fields[name] = values if key.endswith("[]") or len(values) > 1 else values[0]
    return fields


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _names(value) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def outgoing_caller_id(endpoint: CtiEndpoint, dialled: str) -> str:
    """The routing table's first matching destination ("41*" is a prefix), else the default."""
    for route in endpoint.routing_table:
        dest = str(route.get("dest", ""))
        if dest.endswith("*") and dialled.startswith(dest[:-1]) or dest == dialled:
            return str(route.get("caller_id", ""))
    return endpoint.default_caller_id


def _customer_names(number: str | None) -> str:
    customer = numbers.caller(number)
    return customer.name if customer else ""


def _ringing_agents(endpoint: CtiEndpoint, users: list[str]) -> list[Agent]:
    agents = list(Agent.objects.filter(is_active=True, username__in=users)) if users else []
    if not agents and endpoint.team_id:
        agents = list(
            endpoint.team.agents.filter(is_active=True, status=AgentStatus.AVAILABLE)[:MOST_RUNG]
        )
    return agents


def _keep(request: HttpRequest, reason: str, provider: str = Provider.CTI) -> None:
    services.keep_unread(
        provider=provider,
        path=request.path,
        content_type=request.content_type or "",
        body=request.body,
        reason=reason,
    )


def endpoint_of(token: str) -> tuple[int, dict, CtiEndpoint | None]:
    """The endpoint of ``token``, or Zammad's refusal: 401 for an unknown token, 422 when off."""
    endpoint = CtiEndpoint.objects.select_related("team").filter(token=token).first()
    if endpoint is None:
        return 401, {"error": INVALID_TOKEN}, None
    if not endpoint.enabled:
        return 422, {"error": NOT_CONFIGURED}, None
    return 200, {}, endpoint


def read_fields(request: HttpRequest, provider: str = Provider.CTI) -> dict | None:
    """The event's fields, or None (the body kept for an admin) when it cannot be read."""
    try:
        return _fields(request)
    except (ValueError, UnicodeDecodeError) as error:
        _keep(request, f"unreadable body: {error}", provider)
        return None


def handle(*, token: str, request: HttpRequest) -> tuple[int, dict]:
    status, body, endpoint = endpoint_of(token)
    if endpoint is None:
        return status, body
    fields = read_fields(request)
    if fields is None:
        return 422, {"error": "The body could not be read."}
    return process(endpoint, fields, request=request, provider=Provider.CTI)


def process(
    endpoint: CtiEndpoint, fields: dict, *, request: HttpRequest, provider: str
) -> tuple[int, dict]:
    """One event in the generic CTI's terms, whichever PBX sent it: the one call log, ringing card,
    blocked numbers and call-backs for all of them."""
    event = text(fields.get("event"))
    call_id = text(fields.get("callId") or fields.get("call_id"))
    if event not in EVENTS or not call_id:
        _keep(request, f"unknown event {event!r}" if call_id else "callId missing", provider)
        return 422, {"error": "Unknown event or callId missing."}
    if event == "newCall":
        return 200, _new_call(endpoint, fields, call_id, request, provider)
    call = Call.objects.filter(provider=provider, call_id=call_id).first()
    if call is None:
        _keep(request, f"{event} of an unknown call", provider)
        return 200, {}
    if event == "answer":
        user = text(fields.get("user"))
        agent = Agent.objects.filter(
            is_active=True, username__in=_names(fields.get("user"))
        ).first()
        services.answered(call=call, agent=agent, by=user if call.direction == Direction.IN else "")
    else:
        services.ended(call=call, cause=text(fields.get("cause")))
    return 200, {}


def _new_call(
    endpoint: CtiEndpoint, fields: dict, call_id: str, request: HttpRequest, provider: str
) -> dict:
    direction = text(fields.get("direction"))
    from_number, to_number = text(fields.get("from")), text(fields.get("to"))
    queue, user = text(fields.get("queue")), fields.get("user")
    region = endpoint.region
    if direction == Direction.OUT:
        caller_id = outgoing_caller_id(endpoint, to_number)
        call, _new = services.start_call(
            provider=provider,
            call_id=call_id,
            direction=Direction.OUT,
            from_number=caller_id or from_number,
            to_number=to_number,
            team=endpoint.team,
            region=region,
            from_comment=text(user),
            to_comment=_customer_names(numbers.e164(to_number, region=region)),
            queue=queue or caller_id or from_number,
        )
        return {"action": "dial", "number": to_number, "caller_id": caller_id} if caller_id else {}
    if direction != Direction.IN:
        _keep(request, f"unknown direction {direction!r}", provider)
        return {}
    caller = numbers.e164(from_number, region=region)
    if services.is_blocked(caller):
        return {"action": "reject", "reason": "busy"}
    call, new = services.start_call(
        provider=provider,
        call_id=call_id,
        direction=Direction.IN,
        from_number=from_number,
        to_number=to_number,
        team=endpoint.team,
        region=region,
        from_comment=_customer_names(caller),
        to_comment=text(user) or queue,
        queue=queue or to_number,
    )
    if new:
        services.ring(call=call, agents=_ringing_agents(endpoint, _names(user)))
    return {}


def done_ids(request: HttpRequest) -> list[int]:
    """The ids of Zammad's bulk "done" body: JSON {"ids": [...]} or a form's ids[]."""
    if (request.content_type or "").endswith("json"):
        values = json.loads(request.body or b"{}").get("ids", [])
    else:
        values = request.POST.getlist("ids[]") or request.POST.getlist("ids")
    return [int(value) for value in values]


def sipgate_answer(body: dict, *, callback_url: str) -> str:
    """sipgate.io's XML answer to the same events: where to post the answer and the hang-up, and a
    refusal or the number to dial with its caller id."""
    response = ElementTree.Element("Response", onAnswer=callback_url, onHangup=callback_url)
    return xml_answer(response, body)


def xml_answer(response: ElementTree.Element, body: dict) -> str:
    """``response`` with the answer's refusal or number to dial (sipgate's and Placetel's shape),
    as an XML document."""
    if body.get("action") == "reject":
        ElementTree.SubElement(response, "Reject", reason=body.get("reason", "busy"))
    elif body.get("action") == "dial":
        dial = ElementTree.SubElement(response, "Dial", callerId=body["caller_id"])
        ElementTree.SubElement(dial, "Number").text = body["number"]
    return '<?xml version="1.0" encoding="UTF-8"?>' + ElementTree.tostring(
        response, encoding="unicode"
    )

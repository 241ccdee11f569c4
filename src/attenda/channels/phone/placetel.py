"""Placetel's Call Control / Notify API at Zammad's address, /api/v1/placetel/<token>: form posts
with event IncomingCall, OutgoingCall, CallAccepted or HungUp, from, to, call_id, peer (the SIP user
of the agent's phone), user and type (accepted, missed, voicemail, blocked), answered in XML
(<Response/>, <Reject reason="busy"/>, <Dial callerId=…><Number>…</Number></Dial>).

Each event is turned into the generic CTI's terms and handled by ``cti.process``: one call log,
ringing card, timeline, blocked numbers and call-back tasks for every telephone system. The names of
the SIP users come from Placetel's Web API (GET /v2/sip_users with the endpoint's API token), kept
for a day, or an hour when Placetel could not answer."""

import hashlib
import logging
from xml.etree import ElementTree

import httpx
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from attenda.channels.phone import cti
from attenda.channels.phone.models import Call, CtiEndpoint, Direction, Provider

logger = logging.getLogger(__name__)

EVENTS = {
    "IncomingCall": ("newCall", Direction.IN),
    "OutgoingCall": ("newCall", Direction.OUT),
    "CallAccepted": ("answer", ""),
    "HungUp": ("hangup", ""),
}
# Placetel's "type" of a hang-up, in the generic CTI's causes.
CAUSES = {
    "accepted": "normalClearing",
    "missed": "cancel",
    "voicemail": "voicemail",
    "blocked": "blocked",
}
SIP_USERS_PATH = "/v2/sip_users"
NAMES_KEPT_SECONDS = 24 * 3600
FAILURE_KEPT_SECONDS = 3600
# Placetel waits for our answer while the phone rings: its Web API gets little time.
API_TIMEOUT = httpx.Timeout(4.0, connect=2.0)


def _names_key(endpoint: CtiEndpoint) -> str:
    digest = hashlib.sha256(endpoint.placetel_api_token.encode()).hexdigest()[:16]
    return f"placetel-sip-users:{endpoint.pk}:{digest}"


def sip_user_names(endpoint: CtiEndpoint) -> dict[str, str]:
    """{SIP user id ("777008478072@example.com"): name}, from Placetel's Web API or the cache;
    empty without an API token or when Placetel could not answer."""
    if not endpoint.placetel_api_token:
        return {}
    key = _names_key(endpoint)
    names = cache.get(key)
    if names is not None:
        return names
    names = _fetch_names(endpoint)
    cache.set(key, names, NAMES_KEPT_SECONDS if names else FAILURE_KEPT_SECONDS)
    return names


def _fetch_names(endpoint: CtiEndpoint) -> dict[str, str]:
    url = settings.PLACETEL_API_BASE.rstrip("/") + SIP_USERS_PATH
    try:
        # No redirects: an answer that points elsewhere is not followed anywhere.
        response = httpx.get(
            url,
            headers={
                "Authorization": f"Bearer {endpoint.placetel_api_token}",
                "Accept": "application/json",
            },
            timeout=API_TIMEOUT,
            follow_redirects=False,
        )
    except httpx.HTTPError as error:
        logger.warning("Placetel's SIP users could not be fetched: %r", error)
        return {}
    if response.status_code != 200:
        logger.warning("Placetel's SIP users: the API answered %s", response.status_code)
        return {}
    try:
        users = response.json()
    except ValueError:
        logger.warning("Placetel's SIP users: the answer is not JSON")
        return {}
    if not isinstance(users, list):
        logger.warning("Placetel's SIP users: a list was expected, got %.200r", users)
        return {}
    return {
        str(user["sipuid"]): str(user["name"])[:200]
        for user in users
        if isinstance(user, dict) and user.get("sipuid") and user.get("name")
    }


def _direction_of(call_id: str) -> str:
    return (
        Call.objects.filter(provider=Provider.PLACETEL, call_id=call_id)
        .values_list("direction", flat=True)
        .first()
        or ""
    )


def generic_fields(endpoint: CtiEndpoint, fields: dict) -> dict:
    """Placetel's event in the generic CTI's terms. Without a user, the agent is named from the SIP
    user: the caller's own phone ("from") on an outgoing call, the answering "peer" on an incoming
    one."""
    placetel_event = cti.text(fields.get("event"))
    generic = dict(fields)
    event, direction = EVENTS.get(placetel_event, (placetel_event, ""))
    generic["event"] = event
    direction = direction or cti.text(fields.get("direction"))
    if not direction and event in ("answer", "hangup"):
        direction = _direction_of(cti.text(fields.get("call_id") or fields.get("callId")))
    generic["direction"] = direction
    if not cti.text(fields.get("user")):
        from_number, peer = cti.text(fields.get("from")), cti.text(fields.get("peer"))
        sip_user = ""
        if direction == Direction.OUT and "@" in from_number:
            sip_user = from_number
        elif direction == Direction.IN and peer:
            sip_user = peer
        if sip_user:
            generic["user"] = sip_user_names(endpoint).get(sip_user, "")
    cause = CAUSES.get(cti.text(fields.get("type")))
    if cause and not fields.get("cause"):
        generic["cause"] = cause
    return generic


def handle(*, token: str, request: HttpRequest) -> tuple[int, dict]:
    status, body, endpoint = cti.endpoint_of(token)
    if endpoint is None:
        return status, body
    fields = cti.read_fields(request, Provider.PLACETEL)
    if fields is None:
        return 422, {"error": "The body could not be read."}
    return cti.process(
        endpoint, generic_fields(endpoint, fields), request=request, provider=Provider.PLACETEL
    )


def answer(body: dict) -> str:
    """Placetel's XML: an empty <Response/> to go on, a refusal, the number to dial with its caller
    id, or the error."""
    response = ElementTree.Element("Response")
    if "error" in body:
        ElementTree.SubElement(response, "Error").text = body["error"]
        return cti.xml_answer(response, {})
    return cti.xml_answer(response, body)

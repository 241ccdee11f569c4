"""Placetel's Call Control / Notify API, step by step as Zammad's own Placetel request spec posts it
(../shared/corpus/webhooks/zammad-cti), with the names of the SIP users fetched from a fake
Placetel Web API; and Placetel's calls in the same call log, ringing card, missed calls, call-back
tasks and timeline as every other telephone system's."""

import json
from collections import OrderedDict
from urllib.parse import parse_qsl, urlencode
from xml.etree import ElementTree

import pytest
from django.core.cache import cache
from django.urls import reverse

from attenda.channels.phone import placetel
from attenda.channels.phone.models import Call, CtiEndpoint, Provider, UnreadWebhook
from attenda.core import live
from attenda.core.models import AuditEntry
from attenda.tickets.models import EntryKind, Ticket
from tests.channels.phone.conftest import CALLER, STEPS_FILE, zammad_desk
from tests.channels.phone.placetel_api import API_TOKEN, FakePlacetelApi
from tests.corpus import CORPUS, corpus_path

PLACETEL_SPEC = "spec/requests/integration/placetel_spec.rb"
STATUSES = {"ok": 200, "unauthorized": 401, "unprocessable_entity": 422}
LOG_FIELDS = {
    "from": "from_number",
    "to": "to_number",
    "direction": "direction",
    "from_comment": "from_comment",
    "to_comment": "to_comment",
    "comment": "comment",
    "state": "state",
}
TOKEN = "placetel-token-of-the-desk"
# Zammad's spec changes the configuration between two steps of "does log call with peer": it gives
# the API token and empties the default caller id before the call made from a SIP user's phone.
API_TOKEN_FROM_LINE = 576


def _groups() -> OrderedDict:
    path = CORPUS.joinpath(*STEPS_FILE)
    groups: OrderedDict = OrderedDict()
    if path.exists():
        for step in json.loads(path.read_text())["steps"]:
            if step["spec"] == PLACETEL_SPEC:
                groups.setdefault(step["test"], []).append(step)
    return groups


GROUPS = _groups()


@pytest.fixture
def placetel_api(settings):
    cache.clear()
    with FakePlacetelApi() as api:
        settings.PLACETEL_API_BASE = api.url
        yield api
    cache.clear()


@pytest.fixture
def desk(db, placetel_api):
    """Zammad's configuration and callers; Placetel sends German numbers."""
    return zammad_desk(TOKEN, region="DE")


def _xml(response) -> ElementTree.Element:
    assert response["Content-Type"].startswith("application/xml")
    return ElementTree.fromstring(response.content)  # noqa: S314 (our own answer)


def _post(client, body: str, token: str = TOKEN):
    return client.post(
        f"/api/v1/placetel/{token}", body, content_type="application/x-www-form-urlencoded"
    )


@pytest.mark.parametrize("test_name", list(GROUPS) or ["corpus missing"])
def test_every_step_of_zammads_placetel_spec_passes(client, desk, placetel_api, test_name):
    steps = GROUPS.get(test_name) or corpus_path(*STEPS_FILE) and pytest.fail("no Placetel steps")
    for step in steps:
        if step["comment"] == "no config":
            CtiEndpoint.objects.filter(pk=desk.pk).update(enabled=False)
        if step["line"] == API_TOKEN_FROM_LINE:
            CtiEndpoint.objects.filter(pk=desk.pk).update(
                placetel_api_token=API_TOKEN, default_caller_id=""
            )
        path = step["path"].replace("{token}", desk.token)

        response = client.post(
            path, step["form_body"], content_type="application/x-www-form-urlencoded"
        )

        where = f"{test_name}, line {step['line']} ({step['comment']})"
        assert response.status_code == STATUSES[step["expect"]["http_status"]], where
        root = _xml(response)
        assert root.tag == "Response", where
        expected = step.get("expected_values_after", {})
        if response.status_code != 200:
            assert root.findtext("Error") == expected["error"], where
            continue
        call_id = dict(parse_qsl(step["form_body"]))["call_id"]
        for key, value in expected.items():
            if key == "local_response.elements.first.to_s":
                assert value == "<Response/>"
                assert (len(root), root.attrib, root.text) == (0, {}, None), where
            elif key == "reason":
                assert root.find("Reject").get("reason") == value, where
            elif key == "caller_id":
                assert root.find("Dial").get("callerId") == value, where
            elif key == "number_to_dail":
                assert root.findtext("Dial/Number") == value, where
            else:
                call = Call.objects.get(provider=Provider.PLACETEL, call_id=call_id)
                actual = getattr(call, LOG_FIELDS[key.removeprefix("log.")])
                if key == "log.from_comment" and "," in value:
                    assert actual in value.split(","), where
                else:
                    assert actual == value, (where, key)
    if test_name == "does log call with peer":
        # "check if cache is filled": Placetel was asked once, with the endpoint's token.
        assert placetel_api.requests == [
            {"path": "/v2/sip_users", "authorization": f"Bearer {API_TOKEN}"}
        ]


def test_the_corpus_has_the_placetel_steps():
    corpus_path(*STEPS_FILE)

    assert sum(len(steps) for steps in GROUPS.values()) == 25


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, b""),
        (200, {}),
        (200, {"result": "-1"}),
        (200, {"foo": 123}),
        (200, b"<html>not json</html>"),
    ],
    ids=["http-error", "empty", "failed-result", "not-a-list", "not-json"],
)
def test_a_failed_answer_of_placetels_api_names_nobody_and_is_not_asked_again_at_once(
    desk, placetel_api, status, body
):
    desk.placetel_api_token = API_TOKEN
    placetel_api.answer(status, body)

    first = placetel.sip_user_names(desk)
    second = placetel.sip_user_names(desk)

    assert first == second == {}
    assert len(placetel_api.requests) == 1


def test_placetel_cannot_be_reached_and_the_call_is_logged_without_the_name(client, desk, settings):
    CtiEndpoint.objects.filter(pk=desk.pk).update(placetel_api_token=API_TOKEN)
    settings.PLACETEL_API_BASE = "http://127.0.0.1:9"  # Nothing listens on the discard port.

    response = _post(
        client, "event=IncomingCall&from=01114100300&to=030600000000&call_id=p-1&peer=7@x.example"
    )

    assert response.status_code == 200
    call = Call.objects.get(provider=Provider.PLACETEL)
    assert (call.from_comment, call.to_comment) == ("CallerId Customer1", "")


def test_a_new_api_token_asks_placetel_again(desk, placetel_api):
    desk.placetel_api_token = API_TOKEN
    placetel.sip_user_names(desk)
    desk.placetel_api_token = "another"

    assert placetel.sip_user_names(desk) == {}
    assert [r["authorization"] for r in placetel_api.requests] == [
        f"Bearer {API_TOKEN}",
        "Bearer another",
    ]


def test_placetels_ringing_call_shows_the_caller_and_a_missed_one_becomes_a_call_back_task(
    client, db, placetel_api, team, agent, caller
):
    CtiEndpoint.objects.create(name="Placetel", token=TOKEN, team=team, region="PT")

    _post(client, "event=IncomingCall&from=912345678&to=210000000&call_id=p-2")
    [event] = live.events_after([f"agent:{agent.pk}"], 0)
    _post(client, "event=HungUp&call_id=p-2&type=missed")
    client.force_login(agent)
    listed = client.get(reverse("phone_missed")).content.decode()
    call = Call.objects.get()
    client.post(reverse("phone_call_back", args=[call.pk]))

    assert event.kind == "call.ringing"
    assert event.payload["customer"]["name"] == "Maria Santos"
    assert (call.provider, call.number, call.customer, call.missed) == (
        Provider.PLACETEL,
        CALLER,
        caller,
        True,
    )
    assert call.comment == "cancel"
    assert "Maria Santos" in listed
    ticket = Ticket.objects.get()
    assert ticket.team == team
    assert ticket.timeline.get(data__has_key="callback").data["callback"]["number"] == CALLER


def test_an_answered_placetel_call_goes_on_the_ticket_the_agent_picked(
    client, db, placetel_api, team, agent, caller
):
    CtiEndpoint.objects.create(name="Placetel", token=TOKEN, team=team, region="PT")
    client.force_login(agent)

    _post(client, "event=IncomingCall&from=912345678&to=210000000&call_id=p-3")
    _post(client, "event=CallAccepted&from=912345678&to=210000000&call_id=p-3&user=ana")
    call = Call.objects.get()
    client.post(reverse("phone_file_call", args=[call.pk]), {"ticket": "new"})
    _post(client, "event=HungUp&call_id=p-3&type=accepted&from=912345678&to=210000000")
    _post(client, "event=HungUp&call_id=p-3&type=accepted&from=912345678&to=210000000")

    ticket = Ticket.objects.get()
    entry = ticket.timeline.get(kind=EntryKind.CALL, channel="phone")
    assert ticket.customer == caller
    assert entry.data["call"]["answered_by"] == agent.pk
    assert "Answered by Ana Silva." in entry.body


def test_a_repeated_incoming_call_event_makes_one_call(client, desk):
    body = "event=IncomingCall&from=01114100300&to=030600000000&call_id=p-4"

    _post(client, body)
    _post(client, body)

    assert Call.objects.filter(provider=Provider.PLACETEL, call_id="p-4").count() == 1


@pytest.mark.parametrize(
    "body",
    ["event=Transfer&call_id=p-5&from=01114100300", "event=IncomingCall&from=01114100300"],
    ids=["unknown-event", "no-call-id"],
)
def test_an_event_that_cannot_be_read_is_kept_for_an_admin(client, desk, body):
    response = _post(client, body)

    assert response.status_code == 422
    assert _xml(response).findtext("Error")
    kept = UnreadWebhook.objects.get()
    assert (kept.provider, bytes(kept.body).decode()) == (Provider.PLACETEL, body)
    assert Call.objects.count() == 0


def test_only_post_is_accepted(client, desk):
    response = client.get(f"/api/v1/placetel/{TOKEN}")

    assert response.status_code == 405
    assert _xml(response).findtext("Error")


def test_an_admin_gives_the_api_token_on_the_telephone_systems_page_and_it_is_not_shown(
    client, db, admin_agent, team
):
    client.force_login(admin_agent)

    created = client.post(
        reverse("phone_new_cti_endpoint"),
        {
            "name": "Placetel",
            "enabled": "on",
            "team": team.pk,
            "default_caller_id": "4930777000000",
            "region": "de",
            "routes": "41* 41715880339000\n491714000000 41715880339000\n",
            "placetel_api_token": "secret-placetel-token",
        },
    )
    endpoint = CtiEndpoint.objects.get()
    page = client.get(reverse("phone_cti_endpoint", args=[endpoint.pk])).content.decode()
    client.post(
        reverse("phone_cti_endpoint", args=[endpoint.pk]),
        {"name": "Placetel Pro", "enabled": "on", "region": "DE", "routes": ""},
    )
    endpoint.refresh_from_db()

    assert created.status_code == 302
    assert f"/api/v1/placetel/{endpoint.token}" in page
    assert "secret-placetel-token" not in page
    assert endpoint.name == "Placetel Pro"
    assert endpoint.region == "DE"
    assert endpoint.routing_table == []
    assert endpoint.placetel_api_token == "secret-placetel-token"
    trail = AuditEntry.objects.filter(action="phone.telephone_system_saved")
    assert trail.count() == 2
    assert "secret-placetel-token" not in str(list(trail.values_list("data", flat=True)))
    assert reverse("phone_cti_endpoint", args=[endpoint.pk]) in (
        client.get(reverse("phone_settings")).content.decode()
    )


def test_only_admins_set_up_telephone_systems(client, agent):
    client.force_login(agent)

    response = client.post(reverse("phone_new_cti_endpoint"), {"name": "Mine"})

    assert response.status_code == 403
    assert CtiEndpoint.objects.count() == 0


def test_a_bad_country_or_route_is_refused(client, db, admin_agent):
    client.force_login(admin_agent)

    response = client.post(
        reverse("phone_new_cti_endpoint"),
        {"name": "PBX", "enabled": "on", "region": "XX", "routes": "41*"},
    )

    assert response.status_code == 200
    assert CtiEndpoint.objects.count() == 0
    assert set(response.context["form"].errors) == {"region", "routes"}


def test_the_routes_given_on_the_page_choose_the_caller_id(client, db, admin_agent):
    client.force_login(admin_agent)
    client.post(
        reverse("phone_new_cti_endpoint"),
        {"name": "PBX", "enabled": "on", "routes": "41* 41715880339000", "region": "DE"},
    )
    token = CtiEndpoint.objects.get().token

    response = _post(
        client,
        urlencode({"event": "OutgoingCall", "from": "0306", "to": "4147110000000", "call_id": "x"}),
        token,
    )

    assert _xml(response).find("Dial").get("callerId") == "41715880339000"

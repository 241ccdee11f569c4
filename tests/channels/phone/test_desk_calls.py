"""Calls at the desk: the ringing agent's card, the call on the customer's record and on a ticket,
missed calls and their call-back tasks, blocked numbers, and bodies that could not be read."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attenda.channels.phone import services
from attenda.channels.phone.models import BlockedNumber, Call, CtiEndpoint, UnreadWebhook
from attenda.core import live
from attenda.tickets.models import EntryKind, Ticket
from tests.channels.phone.conftest import CALLER
from tests.plans import plans
from tests.tickets.factories import received_ticket

TOKEN = "desk-token"
CALLER_DIGITS = CALLER.removeprefix("+")


@pytest.fixture
def desk(team):
    return CtiEndpoint.objects.create(name="FreePBX", token=TOKEN, team=team)


def _cti(client, **params):
    return client.post(reverse("cti_event", args=[TOKEN]), params)


def test_the_agent_whose_phone_rings_sees_the_caller_their_open_tickets_and_their_agent(
    client, desk, caller, agent, colleague
):
    caller.standing_agent = colleague
    caller.save()
    ticket = received_ticket(customer_id=caller.pk)

    _cti(
        client,
        event="newCall",
        direction="in",
        **{"from": CALLER_DIGITS},
        to="351210000000",
        callId="c-1",
        user="ana",
    )

    [event] = live.events_after([f"agent:{agent.pk}"], 0)
    card = event.payload
    assert event.kind == "call.ringing"
    assert card["customer"]["name"] == "Maria Santos"
    assert card["customer"]["standing_agent"] == colleague.display_name
    assert [t["number"] for t in card["tickets"]] == [ticket.number]
    assert live.events_after([f"agent:{colleague.pk}"], 0) == []


def _new_call(client, call_id="c-9"):
    _cti(
        client,
        event="newCall",
        direction="in",
        **{"from": CALLER_DIGITS},
        to="351210000000",
        callId=call_id,
        user="ana",
    )


def _ringing_stream(client, **headers):
    return client.get(reverse("phone_ringing"), **headers).content.decode()


def test_a_page_opened_while_the_phone_rings_shows_the_caller_at_once(client, desk, caller, agent):
    _new_call(client)
    client.force_login(agent)

    body = _ringing_stream(client)

    assert "event: call.ringing\n" in body
    assert '"name":"Maria Santos"' in body
    # A page that resumes has heard the ring already, and hears it only once.
    newest = live.newest_id()
    assert "call.ringing" not in _ringing_stream(client, HTTP_LAST_EVENT_ID=str(newest))


def test_a_page_opened_after_the_call_was_answered_or_long_after_it_began_shows_no_caller(
    client, desk, caller, agent
):
    client.force_login(agent)
    with time_machine.travel("2026-12-07 10:00:00+00:00", tick=False) as traveller:
        _new_call(client, "c-answered")
        _cti(client, event="answer", direction="in", callId="c-answered", user="ana")
        _new_call(client, "c-lost-hangup")
        traveller.shift(services.RINGS_AT_MOST + timedelta(seconds=1))

        assert "call.ringing" not in _ringing_stream(client)


def test_the_calls_ringing_now_are_read_from_their_own_index(agent):
    with CaptureQueriesContext(connection) as captured:
        services.still_ringing(agent)

    assert any("call_ringing_idx" in line for line in plans(captured.captured_queries))


def test_an_answered_call_goes_on_the_ticket_the_agent_picked_with_its_duration(
    client, desk, caller, agent
):
    ticket = received_ticket(customer_id=caller.pk, team=desk.team)
    with time_machine.travel("2026-12-07 10:00:00+00:00", tick=False) as traveller:
        client.force_login(agent)
        _cti(
            client,
            event="newCall",
            direction="in",
            **{"from": CALLER_DIGITS},
            to="351210000000",
            callId="c-2",
            user="ana",
        )
        traveller.shift(timedelta(seconds=5))
        _cti(client, event="answer", direction="in", callId="c-2", user="ana")
        call = Call.objects.get()
        client.post(reverse("phone_file_call", args=[call.pk]), {"ticket": ticket.pk})
        traveller.shift(timedelta(seconds=125))
        _cti(client, event="hangup", direction="in", callId="c-2", cause="normalClearing")
        _cti(client, event="hangup", direction="in", callId="c-2", cause="normalClearing")

    entry = ticket.timeline.get(kind=EntryKind.CALL, channel="phone")
    assert entry.data["call"] == {
        "id": call.pk,
        "direction": "in",
        "number": CALLER,
        "answered_by": agent.pk,
        "missed": False,
        "duration": 125,
        "recording": "",
    }
    assert "Answered by Ana Silva." in entry.body
    assert Ticket.objects.count() == 1


def test_a_call_put_on_a_new_ticket_after_it_ended_opens_one_at_once(client, desk, caller, agent):
    client.force_login(agent)
    _cti(
        client,
        event="newCall",
        direction="in",
        **{"from": CALLER_DIGITS},
        to="351210000000",
        callId="c-3",
        user="ana",
    )
    _cti(client, event="answer", direction="in", callId="c-3", user="ana")
    _cti(client, event="hangup", direction="in", callId="c-3", cause="normalClearing")
    call = Call.objects.get()

    client.post(reverse("phone_file_call", args=[call.pk]), {"ticket": "new"})

    ticket = Ticket.objects.get()
    assert ticket.customer == caller
    assert ticket.channel == "phone"
    assert ticket.timeline.filter(kind=EntryKind.CALL).count() == 1


def test_a_missed_call_is_listed_and_one_click_makes_a_call_back_task(
    client, desk, caller, agent, team
):
    _cti(
        client,
        event="newCall",
        direction="in",
        **{"from": CALLER_DIGITS},
        to="351210000000",
        callId="c-4",
        user="ana",
    )
    _cti(client, event="hangup", direction="in", callId="c-4", cause="cancel")
    client.force_login(agent)

    listed = client.get(reverse("phone_missed"))
    call = Call.objects.get()
    created = client.post(reverse("phone_call_back", args=[call.pk]))
    after = client.get(reverse("phone_missed"))

    assert call.missed
    assert "Maria Santos" in listed.content.decode()
    assert created.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.team == team
    assert ticket.timeline.get(data__has_key="callback").data["callback"]["number"] == CALLER
    assert "Maria Santos" not in after.content.decode()


def test_the_customer_page_lists_their_calls(client, desk, caller, agent):
    _cti(
        client,
        event="newCall",
        direction="in",
        **{"from": CALLER_DIGITS},
        to="351210000000",
        callId="c-5",
        user="ana",
    )
    _cti(client, event="hangup", direction="in", callId="c-5", cause="cancel")
    client.force_login(agent)

    page = client.get(reverse("customer", args=[caller.pk])).content.decode()

    assert 'id="calls-heading"' in page
    assert "missed" in page


def test_a_blocked_caller_is_refused_and_no_call_is_opened(client, desk, admin_agent):
    client.force_login(admin_agent)
    client.post(
        reverse("phone_block"), {"blocked-number": "+351 912 345 678", "blocked-note": "abusive"}
    )

    response = _cti(
        client,
        event="newCall",
        direction="in",
        **{"from": CALLER_DIGITS},
        to="351210000000",
        callId="c-6",
    )

    assert BlockedNumber.objects.get().number == CALLER
    assert response.json() == {"action": "reject", "reason": "busy"}
    assert Call.objects.count() == 0


def test_only_admins_block_numbers(client, agent):
    client.force_login(agent)

    response = client.post(reverse("phone_block"), {"blocked-number": CALLER})

    assert response.status_code == 403
    assert BlockedNumber.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("event=transfer&callId=c-7", "application/x-www-form-urlencoded"),
        ("event=newCall&direction=in", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
    ],
    ids=["unknown event", "no call id", "broken json", "json not an object"],
)
def test_an_unreadable_cti_body_is_kept_raw_for_admins(
    client, desk, admin_agent, body, content_type
):
    response = client.post(reverse("cti_event", args=[TOKEN]), body, content_type=content_type)

    assert response.status_code == 422
    kept = UnreadWebhook.objects.get()
    assert bytes(kept.body) == body.encode()
    client.force_login(admin_agent)
    page = client.get(reverse("phone_settings")).content.decode()
    assert kept.reason in page.replace("&#x27;", "'")
    download = client.get(reverse("phone_unread_body", args=[kept.pk]))
    assert download.content == body.encode()


def test_a_repeated_new_call_changes_nothing_and_rings_once(client, desk, agent):
    for _ in range(2):
        _cti(
            client,
            event="newCall",
            direction="in",
            **{"from": CALLER_DIGITS},
            to="351210000000",
            callId="c-8",
            user="ana",
        )

    assert Call.objects.count() == 1
    assert len(live.events_after([f"agent:{agent.pk}"], 0)) == 1


def test_a_wrong_token_is_refused_and_stores_nothing(client, desk):
    response = client.post(
        reverse("cti_event", args=["guess"]), {"event": "newCall", "callId": "x"}
    )

    assert response.status_code == 401
    assert Call.objects.count() == 0
    assert UnreadWebhook.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_new_call_at_once_make_one_call():
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database refuses a second writer instead of waiting")
    barrier = threading.Barrier(2)
    made = []

    def deliver():
        try:
            barrier.wait()
            call, new = services.start_call(
                provider="cti",
                call_id="retry-1",
                direction="in",
                from_number=CALLER_DIGITS,
                to_number="1",
            )
            made.append((call.pk, new))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Call.objects.count() == 1
    assert sorted(new for _pk, new in made) == [False, True]
    assert len({pk for pk, _new in made}) == 1


def test_the_supervisors_page_shows_the_share_answered_within_three_minutes(
    client, supervisor, agent
):
    base = {"provider": "twilio", "direction": "in", "state": "hangup"}
    now = services.clock.now()
    Call.objects.create(
        call_id="a", person_requested_at=now, person_answered_at=now + timedelta(seconds=60), **base
    )
    Call.objects.create(
        call_id="b",
        person_requested_at=now,
        person_answered_at=now + timedelta(seconds=200),
        **base,
    )
    Call.objects.create(call_id="c", person_requested_at=now, **base)
    Call.objects.create(
        call_id="d",
        person_requested_at=now,
        person_answered_at=now + timedelta(seconds=180),
        **base,
    )
    client.force_login(supervisor)

    page = client.get(reverse("phone_person_answers")).content.decode()

    assert "50.0 %" in page
    client.force_login(agent)
    assert client.get(reverse("phone_person_answers")).status_code == 403


def test_an_admin_builds_a_voice_menu_in_the_web_pages(client, admin_agent, team, other_team):
    client.force_login(admin_agent)
    client.post(
        reverse("phone_settings"),
        {
            "line-number": "+351 210 000 000",
            "line-name": "Clientes",
            "line-team": team.pk,
            "line-default_language": "pt",
        },
    )
    from attenda.channels.phone.models import PhoneLine, VoiceMenu

    line = PhoneLine.objects.get()
    form = {
        "language": "pt",
        "is_main": "on",
        "title": "Principal",
        "greeting": "Bem-vindo.",
        "closed_message": "Estamos fechados.",
        "when_closed": "voicemail",
        "options-TOTAL_FORMS": "3",
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "9",
        "options-0-digit": "1",
        "options-0-label": "apoio técnico",
        "options-0-action": "team",
        "options-0-team": other_team.pk,
        "options-1-digit": "2",
        "options-1-label": "reclamações",
        "options-1-action": "kind",
        "options-1-kind": "complaint",
    }

    response = client.post(reverse("phone_new_menu", args=[line.pk]), form)

    assert response.status_code == 302
    menu = VoiceMenu.objects.get()
    assert line.number == "+351210000000"
    assert [(o.digit, o.action) for o in menu.options.all()] == [(1, "team"), (2, "kind")]
    assert client.get(reverse("phone_menu", args=[line.pk, menu.pk])).status_code == 200

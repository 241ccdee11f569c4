"""The voice menu over HTTP, as Twilio drives it: every request signed, every answer TwiML."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
import time_machine
from django.urls import reverse

from attenda.channels.phone.models import BlockedNumber, Call, UnreadWebhook
from attenda.core import clock, live
from attenda.core.models import LiveEvent
from attenda.routing.models import TeamCalendar
from attenda.tickets.models import EntryKind, Status, Ticket
from tests.agents.factories import AgentFactory
from tests.channels.phone.conftest import CALLER, LINE, main_menu
from tests.tickets.factories import received_ticket

SID = "CA0000000000000000000000000000001"


def _xml(response) -> ElementTree.Element:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    return ElementTree.fromstring(response.content)  # noqa: S314 (our own answer)


def _said(root: ElementTree.Element) -> str:
    return " ".join(say.text or "" for say in root.iter("Say"))


def _start(twilio, *, sid=SID, caller=CALLER):
    return twilio(reverse("twilio_voice"), {"CallSid": sid, "From": caller, "To": LINE})


def _press(twilio, menu, digits, *, speech=""):
    call = Call.objects.get(call_id=SID)
    params = {"CallSid": SID, "Digits": digits}
    if speech:
        params = {"CallSid": SID, "SpeechResult": speech}
    return twilio(reverse("twilio_menu", args=[menu.pk, call.pk]), params)


def test_a_call_without_a_signature_or_with_a_wrong_one_is_refused_and_nothing_is_stored(
    twilio, line
):
    unsigned = twilio(
        reverse("twilio_voice"), {"CallSid": SID, "From": CALLER, "To": LINE}, signed=False
    )
    forged = twilio(
        reverse("twilio_voice"), {"CallSid": SID, "From": CALLER, "To": LINE}, sign_with="guess"
    )

    assert (unsigned.status_code, forged.status_code) == (403, 403)
    assert Call.objects.count() == 0
    assert UnreadWebhook.objects.count() == 0


def test_a_known_caller_is_greeted_in_their_language_and_told_their_open_ticket(
    twilio, line, caller
):
    ticket = received_ticket(customer_id=caller.pk)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.OPEN)

    root = _xml(_start(twilio))

    assert {say.get("language") for say in root.iter("Say")} == {"pt-PT"}
    said = _said(root)
    assert "Bem-vindo à Attenda Energia." in said
    assert "Maria Santos" in said
    assert str(ticket.number) in said
    gather = root.find("Gather")
    assert gather.get("action") == reverse(
        "twilio_menu", args=[main_menu(line, "pt").pk, Call.objects.get().pk]
    )
    assert gather.get("input") == "dtmf speech"
    assert gather.get("language") == "pt-PT"


def test_an_unknown_caller_hears_the_lines_default_language_and_every_option_and_the_person_key(
    twilio, line
):
    root = _xml(_start(twilio, caller="+34600111222"))

    said = _said(root.find("Gather"))
    assert {say.get("language") for say in root.iter("Say")} == {"en-GB"}
    assert "For technical support, press 1." in said
    assert "To talk to a person, press 0 or say “person”." in said
    assert Call.objects.get().number == "+34600111222"


def test_the_greeting_can_be_a_recording_the_admin_uploaded(twilio, line):
    from django.core.files.base import ContentFile

    menu = main_menu(line)
    menu.greeting_audio.save("greeting.mp3", ContentFile(b"ID3 audio"), save=True)

    root = _xml(_start(twilio, caller="+34600111222"))

    assert root.find("Play").text == menu.greeting_audio.url


def test_the_same_call_posted_twice_is_one_call(twilio, line):
    _start(twilio)
    _start(twilio)

    assert Call.objects.filter(call_id=SID).count() == 1


def test_a_blocked_caller_is_refused_and_nothing_is_opened(twilio, line):
    BlockedNumber.objects.create(number=CALLER)

    root = _xml(_start(twilio))

    assert root.find("Reject").get("reason") == "busy"
    assert Call.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_a_call_to_a_number_that_is_no_line_is_kept_for_an_admin(twilio, line):
    response = twilio(
        reverse("twilio_voice"), {"CallSid": SID, "From": CALLER, "To": "+351219999999"}
    )

    assert response.status_code == 200
    kept = UnreadWebhook.objects.get()
    assert "no phone line" in kept.reason
    assert b"CallSid=" in bytes(kept.body)


def test_a_team_option_rings_the_teams_available_agents_and_shows_them_the_caller(
    twilio, line, caller, other_team
):
    technician = AgentFactory(username="tiago", teams=[other_team])
    AgentFactory(username="away", teams=[other_team], status="away")
    _start(twilio)

    root = _xml(_press(twilio, main_menu(line, "pt"), "1"))

    clients = [client.text for client in root.iter("Client")]
    assert clients == ["tiago"]
    call = Call.objects.get()
    assert call.team == other_team
    assert call.person_requested_at is not None
    ringing = live.events_after([f"agent:{technician.pk}"], 0)
    assert [event.kind for event in ringing] == ["call.ringing"]
    assert ringing[0].payload["customer"]["name"] == "Maria Santos"


def test_the_callers_own_agent_is_rung_first_and_the_team_when_they_do_not_answer(
    twilio, line, caller, agent, colleague
):
    caller.standing_agent = colleague
    caller.save()
    _start(twilio)

    first = _xml(_press(twilio, main_menu(line, "pt"), "0"))
    call = Call.objects.get()
    twilio(
        reverse("twilio_dialled", args=[call.pk]), {"CallSid": SID, "DialCallStatus": "no-answer"}
    )
    again = _xml(twilio(reverse("twilio_waiting", args=[call.pk]), {"CallSid": SID, "Digits": "0"}))

    assert [client.text for client in first.iter("Client")] == ["bruno"]
    assert sorted(client.text for client in again.iter("Client")) == ["ana", "bruno"]


@pytest.mark.parametrize("speech", ["I want a person please", "an operator"])
def test_saying_person_at_the_main_menu_puts_the_caller_through(twilio, line, agent, speech):
    _start(twilio, caller="+34600111222")

    root = _xml(_press(twilio, main_menu(line), "", speech=speech))

    assert [client.text for client in root.iter("Client")] == ["ana"]
    assert Call.objects.get().person_requested_at is not None


def test_zero_in_a_sub_menu_puts_the_caller_through(twilio, line, agent):
    _start(twilio, caller="+34600111222")
    submenu_root = _xml(_press(twilio, main_menu(line), "3"))
    submenu_action = submenu_root.find("Gather").get("action")

    root = _xml(twilio(submenu_action, {"CallSid": SID, "Digits": "0"}))

    assert [client.text for client in root.iter("Client")] == ["ana"]


def test_zero_while_leaving_a_voicemail_puts_the_caller_through(twilio, line, agent):
    _start(twilio, caller="+34600111222")
    record = _xml(_press(twilio, main_menu(line), "5")).find("Record")
    assert "0" in record.get("finishOnKey")

    root = _xml(twilio(record.get("action"), {"CallSid": SID, "Digits": "0"}))

    assert [client.text for client in root.iter("Client")] == ["ana"]


def test_zero_when_everyone_is_busy_keeps_the_caller_waiting_for_a_person(twilio, line, agent):
    _start(twilio, caller="+34600111222")
    _press(twilio, main_menu(line), "0")
    call = Call.objects.get()
    busy = _xml(
        twilio(
            reverse("twilio_dialled", args=[call.pk]),
            {"CallSid": SID, "DialCallStatus": "no-answer"},
        )
    )
    assert "Everyone is busy" in _said(busy)

    root = _xml(twilio(busy.find("Gather").get("action"), {"CallSid": SID, "Digits": "0"}))

    assert [client.text for client in root.iter("Client")] == ["ana"]


def test_a_wrong_key_says_so_and_repeats_the_menu(twilio, line):
    _start(twilio, caller="+34600111222")

    root = _xml(_press(twilio, main_menu(line), "8"))

    assert "That is not one of the options." in _said(root)
    assert root.find("Gather") is not None


def test_the_expected_wait_is_said_when_the_team_has_answered_lately(twilio, line, agent, team):
    answered = received_ticket(team=team)
    Ticket.objects.filter(pk=answered.pk).update(
        owner=agent, first_response_at=clock.now() - timedelta(hours=1)
    )
    _start(twilio, caller="+34600111222")

    root = _xml(_press(twilio, main_menu(line), "0"))

    assert "The expected wait is about" in _said(root)
    assert "To be called back instead of waiting, press 1." in _said(root)


def test_a_complaint_option_puts_the_kind_on_the_call(twilio, line, agent):
    _start(twilio, caller="+34600111222")

    _press(twilio, main_menu(line), "2")

    assert Call.objects.get().kind == "complaint"


def test_a_call_back_instead_of_waiting_is_a_ticket_in_the_teams_queue_with_number_and_time(
    twilio, line, agent, team
):
    _start(twilio, caller="+34600111222")
    _press(twilio, main_menu(line), "0")
    call = Call.objects.get()

    root = _xml(twilio(reverse("twilio_waiting", args=[call.pk]), {"CallSid": SID, "Digits": "1"}))
    twilio(reverse("twilio_waiting", args=[call.pk]), {"CallSid": SID, "Digits": "1"})

    ticket = Ticket.objects.get()
    assert ticket.team == team
    assert ticket.channel == "phone"
    entry = ticket.timeline.get(kind=EntryKind.CALL)
    assert entry.data["callback"]["number"] == "+34600111222"
    assert entry.data["callback"]["promised_at"] > clock.now().isoformat()
    assert str(ticket.number) in _said(root)
    assert root.find("Hangup") is not None


def test_the_call_back_option_of_the_menu_makes_the_same_task(twilio, line):
    _start(twilio, caller="+34600111222")

    _xml(_press(twilio, main_menu(line), "4"))

    assert Ticket.objects.get().timeline.filter(data__has_key="callback").count() == 1


def test_a_voicemail_and_its_transcription_are_on_one_ticket_and_a_repeat_changes_nothing(
    twilio, line, caller
):
    _start(twilio)
    _press(twilio, main_menu(line, "pt"), "5")
    call = Call.objects.get()
    recording = {"CallSid": SID, "RecordingUrl": "https://api.twilio.com/recordings/RE1"}

    root = _xml(twilio(reverse("twilio_voicemail", args=[call.pk]), recording))
    twilio(reverse("twilio_voicemail", args=[call.pk]), recording)
    twilio(
        reverse("twilio_transcription", args=[call.pk]),
        {"CallSid": SID, "TranscriptionText": "A minha fatura está errada."},
    )

    ticket = Ticket.objects.get()
    assert ticket.customer == caller
    bodies = list(
        ticket.timeline.filter(kind=EntryKind.CALL).order_by("pk").values_list("body", flat=True)
    )
    assert len(bodies) == 2
    assert "https://api.twilio.com/recordings/RE1" in bodies[0]
    assert bodies[1] == "A minha fatura está errada."
    assert str(ticket.number) in _said(root)


def test_outside_opening_hours_the_caller_hears_the_closed_message_and_may_leave_a_voicemail(
    twilio, line, team
):
    TeamCalendar.objects.create(
        team=team, time_zone="Europe/Lisbon", week=[[["09:00", "17:00"]]] * 5
    )

    with time_machine.travel("2026-12-06 22:00:00+00:00", tick=False):  # a Sunday night
        root = _xml(_start(twilio, caller="+34600111222"))

    assert "We are closed." in _said(root)
    assert root.find("Record") is not None
    assert root.find("Gather") is None


def test_outside_opening_hours_a_line_may_offer_a_call_back_instead(twilio, line, team):
    TeamCalendar.objects.create(
        team=team, time_zone="Europe/Lisbon", week=[[["09:00", "17:00"]]] * 5
    )
    menu = main_menu(line)
    menu.when_closed = "callback"
    menu.save()

    with time_machine.travel("2026-12-06 22:00:00+00:00", tick=False):
        root = _xml(_start(twilio, caller="+34600111222"))

    promised = (
        Ticket.objects.get().timeline.get(data__has_key="callback").data["callback"]["promised_at"]
    )
    assert promised.startswith("2026-12-07T")  # Monday, when the team is back
    assert root.find("Hangup") is not None


def test_the_time_from_asking_for_a_person_to_an_agent_answering_is_recorded(twilio, line, agent):
    with time_machine.travel("2026-12-07 10:00:00+00:00", tick=False) as traveller:
        _start(twilio, caller="+34600111222")
        _press(twilio, main_menu(line), "0")
        traveller.shift(timedelta(seconds=95))
        call = Call.objects.get()
        answered = twilio(reverse("twilio_answered", args=[call.pk, agent.pk]), {"CallSid": SID})

    assert answered.status_code == 200
    call.refresh_from_db()
    assert call.person_answered_at - call.person_requested_at == timedelta(seconds=95)
    assert call.answered_by == agent
    assert [
        e.kind for e in LiveEvent.objects.filter(stream=f"agent:{agent.pk}").order_by("pk")
    ] == ["call.ringing", "call.ended"]


def test_a_call_nobody_answered_is_a_missed_call(twilio, line):
    _start(twilio, caller="+34600111222")

    twilio(
        reverse("twilio_status"), {"CallSid": SID, "CallStatus": "completed", "CallDuration": "12"}
    )
    twilio(
        reverse("twilio_status"), {"CallSid": SID, "CallStatus": "completed", "CallDuration": "12"}
    )

    call = Call.objects.get()
    assert call.missed
    assert call.state == "hangup"


def test_a_change_to_the_menu_or_the_opening_hours_is_heard_at_the_next_call(twilio, line, team):
    first = _xml(_start(twilio, sid="CA-before"))
    menu = main_menu(line)
    menu.greeting = "Welcome to the new Attenda Energy."
    menu.save()
    second = _xml(_start(twilio, sid="CA-after"))
    TeamCalendar.objects.create(team=team, time_zone="Europe/Lisbon", week=[[] for _ in range(7)])
    closed = _xml(_start(twilio, sid="CA-closed"))

    assert "Welcome to Attenda Energy." in _said(first)
    assert "Welcome to the new Attenda Energy." in _said(second)
    assert "We are closed." in _said(closed)


def test_the_lines_setup_is_read_once_for_many_calls(twilio, line, django_assert_max_num_queries):
    _start(twilio, sid="CA-warm")

    with django_assert_max_num_queries(6):
        _start(twilio, sid="CA-second")


@pytest.mark.django_db(transaction=True)
def test_a_providers_retry_outside_any_transaction_finds_the_call_it_made(twilio, line):
    first = _xml(_start(twilio))
    again = _xml(_start(twilio))

    assert Call.objects.filter(call_id=SID).count() == 1
    assert _said(first) == _said(again)

"""Visitors who left a phone number or address at the kiosk are told, once, when their turn is
near: by SMS through the provider (Twilio's Messages API shape), by mail through the outbound mail
path, in the language they chose, with the task queue's retries when the provider fails."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from attenda.channels.counter.models import Visit
from attenda.core import clock
from attenda.core.models import FailedTask
from tests.channels.counter.sms_provider import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeSmsProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_provider(settings):
    with FakeSmsProvider() as provider:
        settings.SMS_PROVIDER = "twilio"
        settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
        settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
        settings.SMS_FROM = SENDER
        settings.TWILIO_API_BASE = provider.url
        yield provider


def _leave(client, visit_id, office, **contact):
    response = client.post(f"/kiosk/{office.kiosk_token}/visits/{visit_id}/", contact)
    assert response.status_code == 200


def _call_next(client, counter):
    client.post(f"/offices/{counter.office_id}/counters/{counter.pk}/call-next/")
    visit = Visit.objects.get(counter=counter, status="called")
    client.post(f"/offices/{counter.office_id}/counters/{counter.pk}/visits/{visit.pk}/no-show/")


def test_a_visitor_is_texted_once_when_few_enough_are_ahead(
    client,
    take,
    agent,
    office,
    billing,
    counter_one,
    sms_provider,
    run_tasks,
    django_capture_on_commit_callbacks,
):
    # given an office that tells visitors when one is ahead, and three waiting before Rita
    office.notify_when_ahead = 1
    office.save()
    for _ in range(3):
        take(billing)
    rita = take(billing, language="pt")
    _leave(client, rita, office, phone="912 345 678", lang="pt")
    client.force_login(agent)

    # when the first is called, two are still ahead of her: nothing is sent
    with django_capture_on_commit_callbacks(execute=True):
        _call_next(client, counter_one)
    run_tasks()
    assert sms_provider.received == []

    # when the second is called, one is ahead: she is texted in Portuguese
    with django_capture_on_commit_callbacks(execute=True):
        _call_next(client, counter_one)
    run_tasks()
    assert sms_provider.refused == []
    assert sms_provider.received == [
        {
            "To": "+351912345678",
            "From": SENDER,
            "Body": "Loja do Chiado: o seu número B-004 vai ser chamado em breve. "
            "Volte à sala de espera, por favor.",
        }
    ]

    # and the next call does not text her again
    with django_capture_on_commit_callbacks(execute=True):
        _call_next(client, counter_one)
    run_tasks()
    assert len(sms_provider.received) == 1


def test_the_provider_failing_is_retried_later_by_the_task_queue(
    client,
    take,
    agent,
    office,
    billing,
    counter_one,
    sms_provider,
    run_tasks,
    django_capture_on_commit_callbacks,
):
    office.notify_when_ahead = 0
    office.save()
    take(billing)
    rita = take(billing, language="en")
    _leave(client, rita, office, phone="+351 912 345 678", lang="en")
    client.force_login(agent)
    sms_provider.failures_to_give = 1

    with django_capture_on_commit_callbacks(execute=True):
        _call_next(client, counter_one)
    run_tasks()
    assert sms_provider.received == []

    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        run_tasks()

    assert [message["To"] for message in sms_provider.received] == ["+351912345678"]
    assert sms_provider.received[0]["Body"].startswith("Loja do Chiado: your number B-002 ")
    assert not FailedTask.objects.exists()


def test_a_visitor_who_left_an_address_is_mailed(
    client, take, agent, office, billing, counter_one, run_tasks, django_capture_on_commit_callbacks
):
    office.notify_when_ahead = 0
    office.save()
    take(billing)
    rita = take(billing, language="es")
    _leave(client, rita, office, email="rita@example.es", lang="es")
    client.force_login(agent)

    with django_capture_on_commit_callbacks(execute=True):
        _call_next(client, counter_one)
    run_tasks()

    assert [message.to for message in mail.outbox] == [["rita@example.es"]]
    assert mail.outbox[0].subject == "Su turno está cerca: B-002"

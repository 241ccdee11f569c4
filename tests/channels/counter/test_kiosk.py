"""The kiosk: a visitor picks a service and gets the next number of that service for the day, with
the people ahead and the expected wait, in the language they chose; they may leave a phone number
or address to be told when their turn is near."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from attenda.channels.counter import services
from attenda.channels.counter.models import Visit
from attenda.core.models import LiveEvent
from tests.channels.counter.factories import ServiceFactory

pytestmark = pytest.mark.django_db

MONDAY_MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_numbers_follow_on_per_service_and_start_again_the_next_local_day(
    client, take, billing, contracts
):
    # given two visitors for billing and one for a new contract
    first = take(billing)
    second = take(billing)
    other = take(contracts)

    # then each service counts on its own, with its letter
    labels = dict(Visit.objects.values_list("pk", "label"))
    assert [labels[first], labels[second], labels[other]] == ["B-001", "B-002", "N-001"]

    # when the next local day starts in Lisbon (midnight there is midnight UTC in winter)
    with time_machine.travel(datetime(2099, 1, 5, 0, 0, 1, tzinfo=UTC)):
        tomorrow = take(billing)

    assert Visit.objects.get(pk=tomorrow).label == "B-001"


def test_the_number_page_shows_the_number_the_people_ahead_and_the_language_chosen(
    client, take, billing
):
    take(billing)
    visit_id = take(billing, language="es")

    page = client.get(f"/kiosk/{billing.office.kiosk_token}/visits/{visit_id}/?lang=es")

    text = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="es">' in text
    assert 'id="number">B-002</p>' in text
    assert "1 persona delante de usted." in text


def test_the_expected_wait_comes_from_recent_service_times(
    client, take, billing, agent, counter_one
):
    # given a visitor served in ten minutes at the one counter
    with time_machine.travel(MONDAY_MORNING, tick=False):
        served = take(billing)
        services.call_next(counter=counter_one, agent=agent)
    with time_machine.travel(MONDAY_MORNING + timedelta(minutes=10), tick=False):
        services.finish(visit=Visit.objects.get(pk=served), agent=agent, body="Pagou.", name="Rui")
        # and two more waiting
        take(billing)
        third = take(billing)

        estimate = services.expected_wait(Visit.objects.get(pk=third))

    # then the third waits for the one ahead and for their own turn to come: 2 × 10 minutes
    assert estimate.ahead == 1
    assert estimate.wait == timedelta(minutes=20)


def test_without_recent_service_times_no_wait_is_promised(client, take, billing):
    visit_id = take(billing, language="en")

    text = client.get(f"/kiosk/{billing.office.kiosk_token}/visits/{visit_id}/?lang=en").content

    assert b"0 people ahead of you." in text
    assert b"Expected wait" not in text


def test_a_wrong_kiosk_address_shows_nothing_and_takes_no_number(client, billing):
    response = client.post("/kiosk/not-the-token/", {"service": billing.pk})

    assert response.status_code == 404
    assert not Visit.objects.exists()


def test_a_service_that_is_not_the_office_s_takes_no_number(client, billing):
    other = ServiceFactory(letter="X")

    for value in (other.pk, "abc", ""):
        response = client.post(f"/kiosk/{billing.office.kiosk_token}/", {"service": value})
        assert response.status_code == 404
    assert not Visit.objects.exists()


def test_a_closed_office_gives_no_number(client, office, billing):
    office.week = [[["09:00", "17:00"]]] * 5 + [[], []]
    office.save()

    with time_machine.travel(datetime(2026, 12, 6, 12, 0, tzinfo=UTC)):  # a Sunday
        response = client.post(
            f"/kiosk/{office.kiosk_token}/", {"service": billing.pk, "lang": "en"}
        )

    assert response.status_code == 422
    assert "closed" in response.content.decode()
    assert not Visit.objects.exists()


def test_taking_a_number_is_heard_by_the_counters_stream(client, take, billing):
    take(billing)

    event = LiveEvent.objects.get()
    assert event.stream == f"office:{billing.office_id}:queue"
    assert (event.kind, event.payload["number"]) == ("queued", "B-001")


def test_a_visitor_leaves_a_phone_number_once_and_it_is_kept_in_e164(client, take, billing):
    visit_id = take(billing)
    url = f"/kiosk/{billing.office.kiosk_token}/visits/{visit_id}/"

    response = client.post(url, {"phone": "912 345 678", "lang": "pt"})
    again = client.post(url, {"phone": "+351 961 111 111", "lang": "pt"})

    assert response.status_code == 200
    assert Visit.objects.get(pk=visit_id).phone == "+351912345678"
    assert again.status_code == 422
    assert Visit.objects.get(pk=visit_id).phone == "+351912345678"


def test_a_malformed_phone_number_is_refused(client, take, billing):
    visit_id = take(billing)

    response = client.post(
        f"/kiosk/{billing.office.kiosk_token}/visits/{visit_id}/", {"phone": "abc", "lang": "en"}
    )

    assert response.status_code == 422
    assert b"abc is not a phone number." in response.content
    assert Visit.objects.get(pk=visit_id).phone == ""

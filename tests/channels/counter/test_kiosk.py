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


def _press(client, service, *, address="192.0.2.1", language="pt"):
    return client.post(
        f"/kiosk/{service.office.kiosk_token}/",
        {"service": service.pk, "lang": language},
        REMOTE_ADDR=address,
    )


def test_one_network_address_taking_too_many_numbers_is_told_to_wait_in_its_language(
    client, billing, settings
):
    settings.KIOSK_RATE_PER_ADDRESS = 2
    with time_machine.travel(MONDAY_MORNING + timedelta(seconds=15), tick=False):
        taken = [_press(client, billing).status_code for _ in range(2)]
        refused = _press(client, billing, language="es")
        other_address = _press(client, billing, address="192.0.2.2")

    assert taken == [302, 302]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert "Demasiadas solicitudes desde este quiosco" in refused.content.decode()
    assert "45 segundos" in refused.content.decode()
    assert other_address.status_code == 302
    assert Visit.objects.count() == 3


def test_one_kiosk_taking_too_many_numbers_is_told_to_wait_whatever_the_address(
    client, billing, settings
):
    settings.KIOSK_RATE_PER_KIOSK = 3
    other_office = ServiceFactory(letter="X")
    with time_machine.travel(MONDAY_MORNING, tick=False):
        taken = [_press(client, billing, address=f"192.0.2.{n}").status_code for n in range(3)]
        refused = _press(client, billing, address="192.0.2.99", language="en")
        elsewhere = _press(client, other_office, address="192.0.2.99")

    assert taken == [302, 302, 302]
    assert refused.status_code == 429
    assert "Too many requests from this kiosk. Please try again in 60 seconds." in (
        refused.content.decode()
    )
    assert elsewhere.status_code == 302
    assert Visit.objects.filter(service=billing).count() == 3


def test_the_limit_counts_again_from_the_next_minute(client, billing, settings):
    settings.KIOSK_RATE_PER_ADDRESS = 1
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        first = _press(client, billing)
        refused = _press(client, billing)
        traveller.shift(timedelta(seconds=60))
        next_minute = _press(client, billing)

    assert [first.status_code, refused.status_code, next_minute.status_code] == [302, 429, 302]


def test_leaving_contacts_beyond_the_limit_is_refused_and_nothing_is_kept(
    client, take, billing, settings
):
    settings.KIOSK_RATE_PER_ADDRESS = 1
    with time_machine.travel(MONDAY_MORNING, tick=False):
        visit_id = take(billing)
        response = client.post(
            f"/kiosk/{billing.office.kiosk_token}/visits/{visit_id}/",
            {"phone": "912 345 678", "lang": "pl"},
        )

    assert response.status_code == 429
    assert "Zbyt wiele" in response.content.decode()
    assert Visit.objects.get(pk=visit_id).phone == ""


def test_looking_at_the_kiosk_is_not_counted(client, billing, settings):
    settings.KIOSK_RATE_PER_ADDRESS = 1

    pages = [client.get(f"/kiosk/{billing.office.kiosk_token}/").status_code for _ in range(3)]

    assert pages == [200, 200, 200]
    assert _press(client, billing).status_code == 302

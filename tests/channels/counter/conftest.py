"""An office in Lisbon with two services (new contracts are called before billing) and two
counters, worked by the Billing team."""

import re

import pytest

from tests.channels.counter.factories import CounterFactory, OfficeFactory, ServiceFactory


@pytest.fixture
def office(team):
    return OfficeFactory(name="Loja do Chiado", team=team)


@pytest.fixture
def billing(office):
    return ServiceFactory(office=office, name="Billing", letter="B", priority=5)


@pytest.fixture
def contracts(office):
    return ServiceFactory(office=office, name="New contract", letter="N", priority=3)


@pytest.fixture
def counter_one(office):
    return CounterFactory(office=office, name="Counter 1")


@pytest.fixture
def counter_two(office):
    return CounterFactory(office=office, name="Counter 2")


@pytest.fixture
def take(client):
    """Takes a number at the office's kiosk as a visitor does; returns the visit's id and label."""

    def take_at(service, language="pt"):
        response = client.post(
            f"/kiosk/{service.office.kiosk_token}/",
            {"service": service.pk, "lang": language},
        )
        assert response.status_code == 302, response.content
        return int(re.search(r"/visits/(\d+)/", response["Location"]).group(1))

    return take_at

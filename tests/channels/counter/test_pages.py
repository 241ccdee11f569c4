"""Office settings for admins (audited), and the live streams: the display's by its secret
address, the counters' for the agents of the office's team."""

import pytest

from attenda.channels.counter.models import Counter, Office, Service
from attenda.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_admin_sets_up_an_office_with_hours_a_service_and_a_counter(client, admin_agent, team):
    client.force_login(admin_agent)

    response = client.post(
        "/settings/offices/new/",
        {
            "name": "Loja do Porto",
            "team": team.pk,
            "notify_when_ahead": 2,
            "time_zone": "Europe/Lisbon",
            "country": "pt",
            "day_0": "09:00-13:00, 14:00-18:00",
            "closed_days": "2026-12-24",
        },
    )
    office = Office.objects.get()
    client.post(
        f"/settings/offices/{office.pk}/services/new/",
        {"name": "Billing", "letter": "B", "priority": 2, "is_active": "on"},
    )
    client.post(f"/settings/offices/{office.pk}/counters/new/", {"name": "1", "is_active": "on"})

    assert response.status_code == 302
    assert office.week[0] == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert (office.country, office.closed_days, office.team) == ("PT", ["2026-12-24"], team)
    assert Service.objects.get().letter == "B"
    assert Counter.objects.get().name == "1"
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "office.created",
        "office.service_created",
        "office.counter_created",
    ]
    page = client.get(f"/settings/offices/{office.pk}/").content.decode()
    assert f"/kiosk/{office.kiosk_token}/" in page
    assert f"/display/{office.display_token}/" in page


def test_a_letter_is_one_capital_and_unique_in_its_office(client, admin_agent, office, billing):
    client.force_login(admin_agent)

    lower = client.post(
        f"/settings/offices/{office.pk}/services/new/",
        {"name": "Other", "letter": "x", "priority": 1},
    )
    taken = client.post(
        f"/settings/offices/{office.pk}/services/new/",
        {"name": "Other", "letter": "B", "priority": 1},
    )

    assert lower.status_code == taken.status_code == 200
    assert Service.objects.count() == 1


def test_only_admins_change_offices(client, supervisor, office):
    client.force_login(supervisor)

    response = client.post(f"/settings/offices/{office.pk}/", {"name": "Renamed"})

    assert response.status_code == 403
    assert Office.objects.get().name == "Loja do Chiado"
    assert not AuditEntry.objects.exists()


def test_new_addresses_shut_out_the_old_kiosk_and_display(client, admin_agent, office):
    old_kiosk, old_display = office.kiosk_token, office.display_token
    client.force_login(admin_agent)

    client.post(f"/settings/offices/{office.pk}/renew-addresses/")
    client.logout()

    assert client.get(f"/kiosk/{old_kiosk}/").status_code == 404
    assert client.get(f"/display/{old_display}/").status_code == 404
    office.refresh_from_db()
    assert client.get(f"/display/{office.display_token}/").status_code == 200


def test_the_display_hears_the_calls_of_its_office_only(client, take, agent, billing, counter_one):
    other = Office.objects.create(name="Elsewhere")
    take(billing)
    client.force_login(agent)
    client.post(f"/offices/{billing.office_id}/counters/{counter_one.pk}/call-next/")
    client.logout()

    heard = client.get(f"/display/{billing.office.display_token}/events?after=0")
    elsewhere = client.get(f"/display/{other.display_token}/events?after=0")

    assert heard["Content-Type"] == "text/event-stream"
    assert "event: called\n" in heard.content.decode()
    assert '"number":"B-001"' in heard.content.decode()
    assert "event: called" not in elsewhere.content.decode()
    assert client.get("/display/wrong/events?after=0").status_code == 404


def test_the_counters_stream_is_for_the_agents_of_the_office_team(client, agent, outsider, office):
    assert client.get(f"/offices/{office.pk}/events").status_code == 404
    client.force_login(outsider)
    assert client.get(f"/offices/{office.pk}/events").status_code == 403
    client.force_login(agent)
    assert client.get(f"/offices/{office.pk}/events").status_code == 200


def test_the_waiting_room_display_needs_no_sign_in_and_lists_the_calls(
    client, take, agent, billing, counter_one
):
    take(billing)
    client.force_login(agent)
    client.post(f"/offices/{billing.office_id}/counters/{counter_one.pk}/call-next/")
    client.logout()

    page = client.get(f"/display/{billing.office.display_token}/").content.decode()

    assert '<td class="number">B-001</td><td class="counter">Counter 1</td>' in page
    assert "/static/counter/chime.wav" in page

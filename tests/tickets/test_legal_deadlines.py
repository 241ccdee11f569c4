"""Complaints and warranty claims carry the statutory deadline of the customer's country from the
moment they are received; it is never shortened, and once passed the ticket says what follows."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from attenda.customers.services import update_customer
from attenda.routing.services import add_statutory_rule
from attenda.tickets.messages import Inbound
from attenda.tickets.models import Channel, Kind
from attenda.tickets.services import change_details, receive
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2025, 12, 10, 10, 0, tzinfo=UTC)


def received(customer, kind: str = Kind.COMPLAINT, team=None):
    with time_machine.travel(RECEIVED, tick=False):
        return receive(
            Inbound(
                channel=Channel.EMAIL,
                claims=[],
                customer_id=customer.pk,
                subject="Reklamacja",
                body="Telefon nie działa.",
                kind=kind,
                team_id=team.pk if team else None,
            )
        ).ticket


def test_a_polish_complaint_received_on_10_december_is_due_on_29_december(team):
    ticket = received(CustomerFactory(country="PL", language="pl"), team=team)

    assert ticket.legal_deadline.astimezone(ZoneInfo("Europe/Warsaw")).date().isoformat() == (
        "2025-12-29"
    )
    assert ticket.legal_consequence == "deemed_accepted"


def test_a_question_has_no_legal_deadline_until_it_is_called_a_complaint(team, agent):
    ticket = received(CustomerFactory(country="PL"), kind=Kind.QUESTION, team=team)
    assert ticket.legal_deadline is None

    with time_machine.travel(datetime(2025, 12, 15, tzinfo=UTC), tick=False):
        ticket = change_details(ticket=ticket, actor=agent, kind=Kind.COMPLAINT)

    # Counted from when the customer wrote, not from when an agent reclassified it.
    ticket.refresh_from_db()
    assert ticket.legal_deadline.astimezone(ZoneInfo("Europe/Warsaw")).day == 29


def test_a_customer_of_a_country_without_a_rule_gets_no_legal_deadline(team):
    assert received(CustomerFactory(country=""), team=team).legal_deadline is None
    assert received(CustomerFactory(country="FR"), team=team).legal_deadline is None


def test_the_ticket_page_shows_the_deadline_and_once_passed_its_consequence(client, team, agent):
    ticket = received(CustomerFactory(country="PL"), team=team)
    client.force_login(agent)

    with time_machine.travel(datetime(2025, 12, 20, tzinfo=UTC), tick=False):
        before = client.get(f"/tickets/{ticket.pk}/").content.decode()
    with time_machine.travel(datetime(2025, 12, 30, tzinfo=UTC), tick=False):
        after = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "<dt>Legal deadline</dt>" in before
    assert "Deemed accepted" not in before
    assert "Deemed accepted: the customer&#x27;s demand must be met" in after


def test_a_shorter_rule_added_later_never_shortens_a_running_deadline(team, agent, admin_agent):
    ticket = received(CustomerFactory(country="PL"), team=team)
    add_statutory_rule(
        actor=admin_agent,
        country="PL",
        kinds=["complaint", "warranty_claim"],
        days=7,
        count="calendar",
        end_moves_off=[],
        consequence="deemed_accepted",
        source="A shorter period, for the test",
        valid_from=date(2025, 1, 1),
        time_zone="Europe/Warsaw",
    )

    with time_machine.travel(datetime(2025, 12, 12, tzinfo=UTC), tick=False):
        change_details(ticket=ticket, actor=agent, kind=Kind.WARRANTY_CLAIM)
    newer = received(CustomerFactory(country="PL"), team=team)

    ticket.refresh_from_db()
    assert ticket.legal_deadline.astimezone(ZoneInfo("Europe/Warsaw")).day == 29
    assert newer.legal_deadline.astimezone(ZoneInfo("Europe/Warsaw")).day == 17


def test_a_complaint_of_a_customer_whose_country_is_set_later_gets_its_legal_deadline_then(
    team, agent
):
    customer = CustomerFactory(country="", language="pl")
    complaint = received(customer, kind=Kind.QUESTION, team=team)
    warranty_claim = received(customer, kind=Kind.WARRANTY_CLAIM, team=team)
    question = received(customer, kind=Kind.QUESTION, team=team)
    with time_machine.travel(datetime(2025, 12, 11, tzinfo=UTC), tick=False):
        complaint = change_details(ticket=complaint, actor=agent, kind=Kind.COMPLAINT)
    assert complaint.legal_deadline is None

    with time_machine.travel(datetime(2025, 12, 12, tzinfo=UTC), tick=False):
        update_customer(customer=customer, country="pl", actor=agent)

    for ticket in (complaint, warranty_claim, question):
        ticket.refresh_from_db()
    # Counted from when the customer wrote, not from when the country became known.
    assert complaint.legal_deadline.astimezone(ZoneInfo("Europe/Warsaw")).date() == date(
        2025, 12, 29
    )
    assert warranty_claim.legal_deadline == complaint.legal_deadline
    assert complaint.legal_consequence == "deemed_accepted"
    assert question.legal_deadline is None
    assert complaint.timeline.filter(data__has_key="legal_deadline").count() == 1


def test_a_changed_country_never_shortens_a_running_legal_deadline(team, agent):
    customer = CustomerFactory(country="PT", language="pt")
    warranty_claim = received(customer, kind=Kind.WARRANTY_CLAIM, team=team)
    before = warranty_claim.legal_deadline  # 30 days in Portugal

    update_customer(customer=customer, country="PL", actor=agent)  # 14 days in Poland

    warranty_claim.refresh_from_db()
    assert warranty_claim.legal_deadline == before

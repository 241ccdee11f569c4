import pytest

from attenda.tickets.models import Ticket
from attenda.tickets.permissions import can_view, visible_tickets
from attenda.tickets.services import transfer
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


def test_the_list_policy_and_the_single_ticket_policy_agree(
    team, other_team, agent, outsider, admin_agent
):
    received_ticket(team=team, email="a@example.com")
    received_ticket(team=other_team, email="b@example.com")
    handed = received_ticket(team=team, email="c@example.com")
    transfer(ticket=handed, actor=agent, to_agent=outsider, note="Precisa da equipa técnica.")

    for person in (agent, outsider, admin_agent):
        listed = set(visible_tickets(person).values_list("pk", flat=True))
        allowed = {ticket.pk for ticket in Ticket.objects.all() if can_view(person, ticket)}
        assert listed == allowed

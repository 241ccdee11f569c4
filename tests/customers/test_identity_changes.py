"""Who may change the addresses a customer is reached at: identities decide where replies go, and
customers are shared by every team."""

import pytest
from django.core.exceptions import PermissionDenied

from attenda.core.models import AuditEntry
from attenda.customers.models import Identity
from attenda.customers.services import IdentityClaim, remove_identity, update_customer
from attenda.tickets.messages import Inbound
from attenda.tickets.models import Channel
from attenda.tickets.services import receive
from tests.api.client import client_for
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def technical_customer(other_team):
    """A customer whose only ticket is with the Technical team, not with the Billing agent Ana."""
    return received_ticket(team=other_team, email="maria@example.com").customer


def test_an_agent_of_another_team_cannot_add_their_own_address_to_a_customer_by_the_page(
    client, agent, technical_customer
):
    client.force_login(agent)

    response = client.post(
        f"/customers/{technical_customer.pk}/identities/",
        {"identity-kind": "email", "identity-value": "ana.private@example.net"},
    )

    assert response.status_code == 403
    assert list(technical_customer.identities.values_list("value", flat=True)) == [
        "maria@example.com"
    ]


def test_an_agent_of_another_team_cannot_add_an_address_by_the_api(agent, technical_customer):
    response = client_for(agent).patch(
        f"/customers/{technical_customer.pk}",
        {"add_identities": [{"kind": "email", "value": "ana.private@example.net"}]},
    )

    assert response.status_code == 403
    assert not Identity.objects.filter(value="ana.private@example.net").exists()


def test_an_agent_who_shares_a_ticket_with_the_customer_adds_an_address_and_it_is_audited(
    client, agent, team
):
    customer = received_ticket(team=team, email="maria@example.com").customer
    client.force_login(agent)

    client.post(
        f"/customers/{customer.pk}/identities/",
        {"identity-kind": "phone", "identity-value": "912 345 678"},
    )

    assert sorted(customer.identities.values_list("value", flat=True)) == [
        "+351912345678",
        "maria@example.com",
    ]
    [entry] = AuditEntry.objects.filter(action="customer.identities_added")
    assert (entry.actor, entry.object_id, entry.data) == (
        agent,
        str(customer.pk),
        {"identities": ["+351912345678"]},
    )


def test_a_supervisor_changes_any_customers_addresses(supervisor, technical_customer):
    update_customer(
        customer=technical_customer,
        add_claims=[IdentityClaim(kind="email", value="maria.work@example.com")],
        actor=supervisor,
    )
    remove_identity(
        identity=technical_customer.identities.get(value="maria@example.com"), actor=supervisor
    )

    assert list(technical_customer.identities.values_list("value", flat=True)) == [
        "maria.work@example.com"
    ]
    assert AuditEntry.objects.filter(action="customer.identity_removed").count() == 1


def test_removing_an_address_is_limited_like_adding_one(agent, technical_customer):
    with pytest.raises(PermissionDenied):
        remove_identity(identity=technical_customer.identities.get(), actor=agent)

    assert technical_customer.identities.count() == 1


def test_a_logged_contact_cannot_attach_a_new_address_to_another_teams_customer(
    agent, team, technical_customer
):
    received = receive(
        Inbound(
            channel=Channel.PHONE,
            claims=[
                IdentityClaim(kind="email", value="maria@example.com"),
                IdentityClaim(kind="email", value="ana.private@example.net"),
            ],
            sender_name="Maria",
            body="Ligou a pedir a fatura.",
        ),
        logged_by=agent,
    )

    assert received.ticket.customer == technical_customer
    assert not Identity.objects.filter(value="ana.private@example.net").exists()

"""A page costs the same number of queries whatever it holds: two to authenticate the token, then
the list itself and its prefetches."""

import pytest

from attenda.tickets.services import add_note, set_tags
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[1, 6], ids=["one ticket", "six tickets"])
def tickets(request, agent, team):
    made = [received_ticket(team=team, email=f"c{n}@example.com") for n in range(request.param)]
    for ticket in made:
        set_tags(ticket=ticket, names=["fatura", "vip"], actor=agent)
    for number in range(request.param):
        add_note(ticket=made[0], agent=agent, body=f"Nota {number}")
    return made


def test_the_inbox_page_is_five_queries(api, tickets, django_assert_num_queries):
    with django_assert_num_queries(5):
        response = api.get("/tickets")

    assert len(response.json()["items"]) == len(tickets)


def test_a_timeline_page_is_seven_queries(api, tickets, django_assert_num_queries):
    with django_assert_num_queries(7):
        response = api.get(f"/tickets/{tickets[0].pk}/timeline")

    assert len(response.json()["items"]) == 2 + len(tickets)


def test_the_customer_list_is_four_queries(api, tickets, django_assert_num_queries):
    with django_assert_num_queries(4):
        response = api.get("/customers")

    assert len(response.json()["items"]) == len(tickets)


def test_a_customer_search_reads_each_customers_identities_once(
    api, tickets, django_assert_num_queries
):
    # The token and its first use, the agent's teams, the lookup's terms (the exact and prefix
    # reads, the words' counts, every word), the customers with their organisations and identities
    # in one, and the tickets the search page would list beside them.
    with django_assert_num_queries(9):
        response = api.get("/customers/search?q=example.com")

    assert {item["identities"][0]["value"] for item in response.json()["items"]} == {
        ticket.customer.identities.get().value for ticket in tickets
    }

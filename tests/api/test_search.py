"""Searching customers and tickets over the API finds what the search page finds, for whoever asks."""

import pytest
from django.test import Client

from attenda.tickets.search import find, index_all_pending
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


def test_customers_are_found_by_an_email_address_with_their_identities(api, team):
    ticket = received_ticket(team=team, email="maria@example.com", name="Maria Santos")
    received_ticket(team=team, email="rui@example.com", name="Rui Lopes")

    response = api.get("/customers/search", q="MARIA@example.com")

    assert response.status_code == 200
    [customer] = response.json()["items"]
    assert customer["id"] == ticket.customer_id
    assert customer["name"] == "Maria Santos"
    assert customer["identities"] == [{"kind": "email", "value": "maria@example.com"}]


def test_customers_are_found_by_the_start_of_their_name(api, team):
    received_ticket(team=team, email="maria@example.com", name="Maria Santos")
    received_ticket(team=team, email="rui@example.com", name="Rui Lopes")

    response = api.get("/customers/search", q="maria")

    assert [item["name"] for item in response.json()["items"]] == ["Maria Santos"]


def test_customers_of_other_teams_are_found_as_on_the_customer_pages(outsider_api, team):
    received_ticket(team=team, email="maria@example.com", name="Maria Santos")

    response = outsider_api.get("/customers/search", q="maria@example.com")

    assert [item["name"] for item in response.json()["items"]] == ["Maria Santos"]


def test_tickets_are_found_by_words_in_any_of_their_forms(api, team):
    ticket = received_ticket(team=team, body="As minhas faturas estão erradas.")
    received_ticket(team=team, email="rui@example.com", subject="Morada", body="Mudei de casa.")
    index_all_pending()  # what the worker does a moment after the commit

    response = api.get("/tickets/search", q="fatura errada")

    assert response.status_code == 200
    assert [item["number"] for item in response.json()["items"]] == [ticket.pk]


def test_a_ticket_is_found_by_its_number(api, team):
    ticket = received_ticket(team=team)

    response = api.get("/tickets/search", q=f"#{ticket.pk}")

    assert [item["number"] for item in response.json()["items"]] == [ticket.pk]


def test_tickets_of_another_team_are_never_found(outsider_api, team):
    ticket = received_ticket(team=team, body="A minha fatura está errada.")
    index_all_pending()

    by_words = outsider_api.get("/tickets/search", q="fatura")
    by_number = outsider_api.get("/tickets/search", q=str(ticket.pk))

    assert by_words.json() == {"items": []}
    assert by_number.json() == {"items": []}


@pytest.mark.parametrize("query", ["maria", "maria@example.com", "fatura", "contador avariado"])
def test_the_api_finds_what_the_search_page_finds(api, agent, team, other_team, query):
    received_ticket(team=team, subject="Fatura de outubro")
    received_ticket(team=team, email="maria.r@example.com", name="Maria Reis", body="Contador.")
    received_ticket(team=other_team, email="mario@example.com", name="Mário", body="Fatura.")
    received_ticket(team=team, email="rui@example.com", subject="Contador avariado")
    index_all_pending()
    page = find(agent, query)
    browser = Client()
    browser.force_login(agent)

    tickets = api.get("/tickets/search", q=query, limit=50).json()["items"]
    customers = api.get("/customers/search", q=query, limit=50).json()["items"]
    shown = browser.get("/search/", {"q": query}).content.decode()

    assert [item["number"] for item in tickets] == [ticket.pk for ticket in page.tickets]
    assert [item["id"] for item in customers] == [customer.pk for customer in page.customers]
    assert all(f"/tickets/{item['number']}/" in shown for item in tickets)


def test_the_number_of_results_is_limited(api, team):
    for number in range(3):
        received_ticket(team=team, email=f"c{number}@example.com", body="Fatura errada.")
    index_all_pending()

    response = api.get("/tickets/search", q="fatura", limit=2)

    assert len(response.json()["items"]) == 2


def test_a_search_needs_something_to_look_for(api):
    response = api.get("/tickets/search", q="")

    assert response.status_code == 422
    assert response.json()["fields"] == {"q": ["This field cannot be blank."]}

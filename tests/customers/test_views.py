"""The customer pages as an agent uses them: finding a customer, reading their record and tickets,
correcting it, and a supervisor merging a duplicate into it."""

import re

import pytest

from attenda.core.models import AuditEntry
from attenda.customers.models import Customer, IdentityKind
from tests.customers.factories import CustomerFactory, IdentityFactory
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    return response.content.decode()


def listed_customers(response) -> list[int]:
    return [
        int(number)
        for number in re.findall(r'href="/customers/(\d+)/" data-row-link', text(response))
    ]


def test_customers_are_found_by_the_start_of_any_part_of_their_name(client, agent):
    maria = CustomerFactory(name="Maria Santos")
    ana = CustomerFactory(name="Ana Maria")
    CustomerFactory(name="Marta Costa")
    client.force_login(agent)

    response = client.get("/customers/", {"q": "mari"})

    # Whole names starting so come before surnames that do.
    assert listed_customers(response) == [maria.pk, ana.pk]


def test_a_customer_is_found_by_email_or_phone_number(client, agent):
    maria = CustomerFactory(name="Maria Santos")
    IdentityFactory(customer=maria, kind=IdentityKind.EMAIL, value="maria@example.com")
    IdentityFactory(customer=maria, kind=IdentityKind.PHONE, value="+351912345678")
    CustomerFactory(name="Maria Outra")
    client.force_login(agent)

    by_email = client.get("/customers/", {"q": "Maria@Example.com"})
    by_phone = client.get("/customers/", {"q": "912 345 678"})

    assert listed_customers(by_email) == [maria.pk]
    assert listed_customers(by_phone) == [maria.pk]


def test_the_start_of_an_email_address_finds_its_customer(client, agent):
    maria = CustomerFactory(name="Maria Santos")
    IdentityFactory(customer=maria, kind=IdentityKind.EMAIL, value="maria@example.com")
    CustomerFactory(name="Mariana Lopes")
    client.force_login(agent)

    response = client.get("/customers/", {"q": "maria@"})

    assert listed_customers(response) == [maria.pk]


def test_the_customer_list_pages_by_name_without_repeating_anyone(client, agent):
    customers = [CustomerFactory(name=f"Cliente {n:02d}").pk for n in range(53)]
    client.force_login(agent)

    first = client.get("/customers/")
    next_url = re.search(r'<a href="([^"]+)" hx-get', text(first)).group(1)
    second = client.get("/customers/" + next_url.replace("&amp;", "&"))

    assert len(listed_customers(first)) == 50
    assert listed_customers(first) + listed_customers(second) == customers


def test_a_broken_page_link_shows_the_first_customers_with_a_message(client, agent):
    maria = CustomerFactory(name="Maria Santos")
    client.force_login(agent)

    response = client.get("/customers/", {"cursor": "garbage"})

    assert "That page link is no longer valid, so the first page is shown." in text(response)
    assert listed_customers(response) == [maria.pk]


def test_an_htmx_search_gets_only_the_results(client, agent):
    maria = CustomerFactory(name="Maria Santos")
    client.force_login(agent)

    response = client.get("/customers/", {"q": "Maria"}, **HTMX)

    assert text(response).lstrip().startswith('<div id="customer-results">')
    assert listed_customers(response) == [maria.pk]


def test_the_customer_page_shows_the_record_and_only_the_tickets_the_agent_may_see(
    client, team, other_team, agent
):
    ours = received_ticket(team=team)
    received_ticket(team=other_team, subject="Contador avariado")
    customer = ours.customer
    IdentityFactory(customer=customer, kind=IdentityKind.PHONE, value="+351912345678")
    client.force_login(agent)

    page = text(client.get(f"/customers/{customer.pk}/"))

    assert "<h1>Maria Santos</h1>" in page
    assert re.findall(r'<li><span class="muted">(.*?)</span> (.*?)</li>', page) == [
        ("Email address", "maria@example.com"),
        ("Phone number", "+351912345678"),
    ]
    assert re.findall(r'href="/tickets/(\d+)/" data-row-link>(.*?)</a>', page) == [
        (str(ours.pk), "Fatura de outubro")
    ]


def test_an_unknown_customer_is_404(client, agent):
    client.force_login(agent)

    assert client.get("/customers/999/").status_code == 404


def test_an_agent_corrects_a_customers_details(client, agent):
    maria = CustomerFactory(name="Maria Santos", language="pt", country="PT")
    client.force_login(agent)

    response = client.post(
        f"/customers/{maria.pk}/edit/",
        {
            "edit-name": "Maria S. Santos",
            "edit-language": "es",
            "edit-country": "es",
            "edit-notes": "Prefere ser contactada de manhã.",
        },
    )

    assert response.status_code == 302
    maria.refresh_from_db()
    assert (maria.name, maria.language, maria.country, maria.notes) == (
        "Maria S. Santos",
        "es",
        "ES",
        "Prefere ser contactada de manhã.",
    )


def test_a_customer_without_a_name_is_refused_beside_the_field(client, agent):
    maria = CustomerFactory(name="Maria Santos")
    client.force_login(agent)

    response = client.post(f"/customers/{maria.pk}/edit/", {"edit-name": ""})

    assert response.status_code == 422
    assert (
        '<ul class="errorlist" id="id_edit-name_error"><li>This field cannot be blank.</li></ul>'
        in text(response)
    )
    assert Customer.objects.get(pk=maria.pk).name == "Maria Santos"


def test_an_agent_adds_a_phone_number_to_a_customer(client, agent, team):
    maria = received_ticket(team=team, name="Maria Santos").customer
    maria.identities.all().delete()
    client.force_login(agent)

    client.post(
        f"/customers/{maria.pk}/identities/",
        {"identity-kind": "phone", "identity-value": "912 345 678"},
    )

    assert list(maria.identities.values_list("kind", "value")) == [("phone", "+351912345678")]


def test_an_identity_of_another_customer_is_refused_and_nothing_is_added(client, agent, team):
    other = IdentityFactory(kind=IdentityKind.EMAIL, value="maria@example.com").customer
    maria = received_ticket(team=team, email="maria.santos@example.pt").customer
    client.force_login(agent)

    response = client.post(
        f"/customers/{maria.pk}/identities/",
        {"identity-kind": "email", "identity-value": "maria@example.com"},
    )

    assert response.status_code == 422
    assert (
        '<ul class="errorlist" id="id_identity-value_error"><li>maria@example.com already belongs'
        " to another customer.</li></ul>"
    ) in text(response)
    assert list(maria.identities.values_list("value", flat=True)) == ["maria.santos@example.pt"]
    assert list(other.identities.values_list("value", flat=True)) == ["maria@example.com"]


def test_an_agent_may_not_merge_customers_and_nothing_changes(client, agent):
    maria = CustomerFactory(name="Maria Santos")
    duplicate = CustomerFactory(name="Maria Santos")
    client.force_login(agent)

    page = text(client.get(f"/customers/{maria.pk}/"))
    response = client.post(f"/customers/{maria.pk}/merge/", {"merge-absorbed": duplicate.pk})

    assert "Merge a duplicate into this customer" not in page
    assert response.status_code == 403
    assert Customer.objects.get(pk=duplicate.pk).merged_into is None
    assert not AuditEntry.objects.filter(action="customer.merged").exists()


def test_a_supervisor_merges_a_duplicate_which_then_points_at_the_survivor(
    client, team, supervisor
):
    ticket = received_ticket(team=team)
    maria = ticket.customer
    duplicate = CustomerFactory(name="M. Santos")
    IdentityFactory(customer=duplicate, kind=IdentityKind.PHONE, value="+351912345678")
    client.force_login(supervisor)

    response = client.post(f"/customers/{maria.pk}/merge/", {"merge-absorbed": duplicate.pk})
    absorbed_page = text(client.get(f"/customers/{duplicate.pk}/"))

    assert response.status_code == 302
    assert Customer.objects.get(pk=duplicate.pk).merged_into == maria
    assert sorted(maria.identities.values_list("value", flat=True)) == [
        "+351912345678",
        "maria@example.com",
    ]
    assert f'<a href="/customers/{maria.pk}/">merged into Maria Santos</a>' in absorbed_page
    assert "Correct the details" not in absorbed_page


def test_merging_a_customer_into_itself_is_refused_beside_the_field(client, supervisor):
    maria = CustomerFactory(name="Maria Santos")
    client.force_login(supervisor)

    response = client.post(f"/customers/{maria.pk}/merge/", {"merge-absorbed": maria.pk})

    assert response.status_code == 422
    assert (
        '<ul class="errorlist" id="id_merge-absorbed_error"><li>These customers cannot be merged.'
        "</li></ul>"
    ) in text(response)
    assert Customer.objects.get(pk=maria.pk).merged_into is None


def test_merging_a_customer_number_that_does_not_exist_is_explained(client, supervisor):
    maria = CustomerFactory(name="Maria Santos")
    client.force_login(supervisor)

    response = client.post(f"/customers/{maria.pk}/merge/", {"merge-absorbed": "999"})

    assert response.status_code == 422
    assert "No customer has that number." in text(response)

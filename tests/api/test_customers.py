from datetime import UTC, datetime

import pytest

from attenda.core.models import AuditEntry
from attenda.customers.models import Customer
from attenda.customers.services import IdentityClaim, create_customer, merge_customers
from tests.customers.factories import CustomerFactory, IdentityFactory
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_it_creates_a_customer_with_their_identities(api, agent, time_machine):
    time_machine.move_to(NOON, tick=False)

    response = api.post(
        "/customers",
        {
            "name": "Ana Popescu",
            "language": "ro",
            "country": "ro",
            "organization": "Electrica",
            "identities": [
                {"kind": "email", "value": "Ana.Popescu@Example.RO"},
                {"kind": "phone", "value": "+40 721 234 567"},
            ],
        },
    )

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert response.json() == {
        "id": customer.pk,
        "name": "Ana Popescu",
        "organization": "Electrica",
        "language": "ro",
        "country": "RO",
        "notes": "",
        "identities": [
            {"kind": "email", "value": "ana.popescu@example.ro"},
            {"kind": "phone", "value": "+40721234567"},
        ],
        "merged_into": None,
        "created_at": "2026-03-02T12:00:00Z",
        "updated_at": "2026-03-02T12:00:00Z",
    }
    assert AuditEntry.objects.filter(action="customer.created", actor=agent).count() == 1


def test_an_address_that_belongs_to_someone_else_is_refused_and_nothing_is_written(api):
    IdentityFactory(kind="email", value="maria@example.com")

    response = api.post(
        "/customers",
        {
            "name": "Maria Impostora",
            "identities": [{"kind": "email", "value": "MARIA@example.com"}],
        },
    )

    assert response.status_code == 409
    assert response.json() == {
        "code": "identity_taken",
        "message": "This cannot be done now; see fields.",
        "fields": {"email": ["maria@example.com already belongs to another customer."]},
    }
    assert Customer.objects.filter(name="Maria Impostora").exists() is False


def test_model_rules_come_back_as_field_errors(api):
    response = api.post("/customers", {"name": "", "language": "xx", "country": "Portugal"})

    assert response.status_code == 422
    assert sorted(response.json()["fields"]) == ["country", "language", "name"]
    assert Customer.objects.count() == 0


def test_it_reads_a_customer(api):
    customer = IdentityFactory(value="jan@example.pl", customer__name="Jan Kowalski").customer

    response = api.get(f"/customers/{customer.pk}")

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["identities"]) == (
        "Jan Kowalski",
        [{"kind": "email", "value": "jan@example.pl"}],
    )


def test_an_unknown_customer_is_not_found(api):
    response = api.get("/customers/999999")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_updating_a_customer_changes_the_fields_given_and_adds_identities(api, team):
    ticket = received_ticket(team=team, name="Maria Santos")
    customer = ticket.customer

    response = api.patch(
        f"/customers/{customer.pk}",
        {
            "name": "Maria dos Santos",
            "notes": "Prefere ser contactada de manhã.",
            "add_identities": [{"kind": "phone", "value": "912 345 678"}],
        },
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    ticket.refresh_from_db()
    assert (customer.name, customer.notes, customer.language) == (
        "Maria dos Santos",
        "Prefere ser contactada de manhã.",
        "pt",
    )
    assert sorted(customer.identities.values_list("value", flat=True)) == [
        "+351912345678",
        "maria@example.com",
    ]
    assert ticket.customer_name == "Maria dos Santos"


def test_an_update_cannot_merge_or_move_a_customer_and_changes_nothing(api):
    customer = CustomerFactory(name="Jan Kowalski")
    other = CustomerFactory()

    response = api.patch(
        f"/customers/{customer.pk}",
        {"name": "Someone Else", "merged_into": other.pk, "created_at": "2020-01-01T00:00:00Z"},
    )

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "merged_into": ["This field cannot be set here."],
        "created_at": ["This field cannot be set here."],
    }
    customer.refresh_from_db()
    assert (customer.name, customer.merged_into_id) == ("Jan Kowalski", None)


@pytest.mark.parametrize(
    ("query", "kind", "stored"),
    [
        ({"email": "MARIA@Example.com"}, "email", "maria@example.com"),
        ({"phone": "912 345 678"}, "phone", "+351912345678"),
        ({"social": "X:@Maria"}, "social", "x:@maria"),
    ],
)
def test_a_customer_is_found_by_any_of_their_addresses(api, query, kind, stored):
    identity = IdentityFactory(kind=kind, value=stored)

    response = api.get("/customers", **query)

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [identity.customer_id]
    assert response.json()["next_cursor"] is None


def test_looking_up_an_unknown_address_finds_nobody(api):
    IdentityFactory(value="maria@example.com")

    response = api.get("/customers", email="joana@example.com")

    assert response.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("phone", ["0", "not a number"])
def test_looking_up_text_that_is_no_phone_number_finds_nobody(api, phone):
    IdentityFactory(kind="phone", value="+351912345678")

    response = api.get("/customers", phone=phone)

    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


def test_two_addresses_find_the_customer_they_both_belong_to_or_nobody(api):
    maria = CustomerFactory(name="Maria Santos")
    IdentityFactory(customer=maria, kind="email", value="maria@example.com")
    IdentityFactory(customer=maria, kind="phone", value="+351912345678")
    IdentityFactory(kind="email", value="rui@example.com")

    both = api.get("/customers", email="maria@example.com", phone="912345678")
    apart = api.get("/customers", email="rui@example.com", phone="912345678")

    assert [item["name"] for item in both.json()["items"]] == ["Maria Santos"]
    assert apart.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("q", ["wojcik", "506 938 128", "Piekarnia", "lukasz.w"])
def test_customers_are_found_as_the_search_page_finds_them(api, agent, q):
    lukasz = create_customer(
        name="Łukasz Wójcik",
        claims=[
            IdentityClaim("email", "lukasz.wojcik@wp.pl"),
            IdentityClaim("phone", "+48 506 938 128"),
        ],
        organization_name="Piekarnia Złoty Kłos sp. z o.o.",
        actor=agent,
    )
    create_customer(name="Anna Nowak", actor=agent)

    response = api.get("/customers/search", q=q)

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [lukasz.pk]


def test_a_merged_customer_is_found_as_the_one_it_was_merged_into(api, agent, supervisor):
    survivor = create_customer(
        name="Maria", claims=[IdentityClaim("email", "maria@example.com")], actor=agent
    )
    absorbed = create_customer(
        name="M. Santos", claims=[IdentityClaim("phone", "912345678")], actor=agent
    )
    merge_customers(survivor_customer=survivor, absorbed=absorbed, actor=supervisor)

    response = api.get("/customers", phone="+351 912 345 678")

    assert [item["id"] for item in response.json()["items"]] == [survivor.pk]


def test_paging_through_customers_shows_each_once_by_name(api, agent, supervisor):
    names = ["Ana", "Bruno", "Carla", "Carla", "Diogo"]
    ids = [CustomerFactory(name=name).pk for name in names]
    merged = CustomerFactory(name="Bea")
    merge_customers(
        survivor_customer=Customer.objects.get(pk=ids[0]), absorbed=merged, actor=supervisor
    )

    first = api.get("/customers", limit=2).json()
    second = api.get("/customers", limit=2, cursor=first["next_cursor"]).json()
    third = api.get("/customers", limit=2, cursor=second["next_cursor"]).json()

    seen = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert seen == ids
    assert third["next_cursor"] is None


def test_a_supervisor_merges_two_records_of_one_customer(supervisor_api, agent):
    survivor = create_customer(
        name="Maria Santos", claims=[IdentityClaim("email", "maria@example.com")], actor=agent
    )
    absorbed = create_customer(
        name="M. Santos", claims=[IdentityClaim("phone", "912345678")], actor=agent
    )

    response = supervisor_api.post(f"/customers/{survivor.pk}/merge", {"absorbed_id": absorbed.pk})

    assert response.status_code == 200
    assert sorted(identity["value"] for identity in response.json()["identities"]) == [
        "+351912345678",
        "maria@example.com",
    ]


def test_two_customers_cannot_be_merged_into_each_other(supervisor_api, agent):
    first = create_customer(name="Maria Santos", actor=agent)
    second = create_customer(name="M. Santos", actor=agent)
    supervisor_api.post(f"/customers/{first.pk}/merge", {"absorbed_id": second.pk})

    response = supervisor_api.post(f"/customers/{second.pk}/merge", {"absorbed_id": first.pk})

    assert response.status_code == 409
    assert response.json()["code"] == "cannot_merge"
    first.refresh_from_db()
    assert first.merged_into is None
    opened = supervisor_api.post("/tickets", {"customer_id": second.pk, "body": "Olá"})
    assert opened.status_code == 201
    assert opened.json()["customer_id"] == first.pk


def test_an_agent_may_not_merge_customers_and_nothing_moves(api, agent):
    survivor = create_customer(name="Maria Santos", actor=agent)
    absorbed = create_customer(
        name="M. Santos", claims=[IdentityClaim("phone", "912345678")], actor=agent
    )

    response = api.post(f"/customers/{survivor.pk}/merge", {"absorbed_id": absorbed.pk})

    assert response.status_code == 403
    absorbed.refresh_from_db()
    assert absorbed.merged_into is None
    assert absorbed.identities.count() == 1


def test_an_unknown_standing_agent_is_a_conflict_naming_the_field(supervisor_api, agent):
    customer = create_customer(name="Maria Santos", actor=agent)

    response = supervisor_api.put(f"/customers/{customer.pk}/standing-agent", {"agent": 999_999})

    assert (response.status_code, response.json()["code"]) == (409, "unknown_id")
    assert response.json()["fields"] == {"agent": ["There is no agent with this id."]}

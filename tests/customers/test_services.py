import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attenda.core.models import AuditEntry
from attenda.customers.models import Customer, Identity
from attenda.customers.search_terms import TermKind
from attenda.customers.services import (
    IdentityClaim,
    create_customer,
    identify,
    merge_customers,
    survivor,
    update_customer,
    write_search_terms,
)
from attenda.tickets.models import Channel
from tests.plans import plans
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


def test_a_phone_number_is_found_whatever_way_it_was_written():
    customer = identify(claims=[IdentityClaim("phone", "+351 912 345 678")], name="João Pereira")

    found = identify(claims=[IdentityClaim("phone", "912345678")], region="PT")

    assert found == customer
    assert list(customer.identities.values_list("value", flat=True)) == ["+351912345678"]


def test_an_email_address_is_found_regardless_of_case():
    customer = identify(
        claims=[IdentityClaim("email", "Ana.Popescu@Example.RO")], name="Ana Popescu"
    )

    assert identify(claims=[IdentityClaim("email", "ana.popescu@example.ro")]) == customer


def test_a_customer_first_met_in_a_message_is_found_by_the_terms_a_rewrite_gives_them():
    customer = identify(
        claims=[IdentityClaim("email", "Joao.Silva@Example.PT")], name="João da Silva"
    )
    written = sorted(customer.search_terms.values_list("term", "kind"))

    write_search_terms(customers=[customer])

    assert written == sorted(customer.search_terms.values_list("term", "kind"))
    assert ("joao da silva", TermKind.FULL_NAME) in written
    assert ("joao.silva@example.pt", TermKind.ADDRESS) in written


def test_a_new_address_seen_with_a_known_one_is_added_to_the_customer():
    customer = identify(claims=[IdentityClaim("email", "jan@example.pl")], name="Jan Kowalski")

    identify(
        claims=[IdentityClaim("email", "jan@example.pl"), IdentityClaim("phone", "+48 601 234 567")]
    )

    assert sorted(customer.identities.values_list("value", flat=True)) == [
        "+48601234567",
        "jan@example.pl",
    ]


def test_an_unusable_address_still_gives_a_customer_so_the_message_is_not_lost():
    customer = identify(claims=[IdentityClaim("phone", "not a number")], name="Carmen Ruiz")

    assert customer.name == "Carmen Ruiz"
    assert customer.identities.count() == 0


def test_creating_a_customer_with_someone_elses_email_is_refused_and_nothing_is_written():
    identify(claims=[IdentityClaim("email", "maria@example.com")], name="Maria")

    with pytest.raises(ValidationError) as refused:
        create_customer(
            name="Other Maria", claims=[IdentityClaim("email", "maria@example.com")], actor=None
        )

    assert "email" in refused.value.message_dict
    assert Customer.objects.count() == 1


def test_renaming_a_customer_renames_their_tickets_in_the_inbox(team, agent):
    ticket = received_ticket(team=team, name="Maria S.")

    update_customer(customer=ticket.customer, name="Maria Santos", actor=agent)

    ticket.refresh_from_db()
    assert ticket.customer_name == "Maria Santos"
    assert AuditEntry.objects.filter(action="customer.updated", actor=agent).count() == 1


def test_merging_moves_identities_and_tickets_and_keeps_the_absorbed_record(team, supervisor):
    by_email = received_ticket(team=team, email="maria@example.com", name="Maria Santos")
    by_phone = received_ticket(
        team=team, email="maria.santos@work.example", channel=Channel.PHONE, name="M. Santos"
    )
    survivor, absorbed = by_email.customer, by_phone.customer

    merge_customers(survivor_customer=survivor, absorbed=absorbed, actor=supervisor)

    absorbed.refresh_from_db()
    assert absorbed.merged_into == survivor
    assert sorted(Identity.objects.filter(customer=survivor).values_list("value", flat=True)) == [
        "maria.santos@work.example",
        "maria@example.com",
    ]
    assert set(survivor.tickets.values_list("customer_name", flat=True)) == {"Maria Santos"}
    assert identify(claims=[IdentityClaim("email", "maria.santos@work.example")]) == survivor


def test_a_customer_cannot_be_merged_into_itself(supervisor):
    customer = identify(claims=[IdentityClaim("email", "maria@example.com")])

    with pytest.raises(ValidationError):
        merge_customers(survivor_customer=customer, absorbed=customer, actor=supervisor)

    customer.refresh_from_db()
    assert customer.merged_into is None


def test_a_customer_merged_away_cannot_take_in_the_one_it_was_merged_into(supervisor):
    first = identify(claims=[IdentityClaim("email", "maria@example.com")])
    second = identify(claims=[IdentityClaim("email", "maria.santos@work.example")])
    merge_customers(survivor_customer=first, absorbed=second, actor=supervisor)

    with pytest.raises(ValidationError):
        merge_customers(survivor_customer=second, absorbed=first, actor=supervisor)

    first.refresh_from_db()
    assert first.merged_into is None
    assert identify(claims=[IdentityClaim("email", "maria.santos@work.example")]) == first


def test_customers_an_older_database_merged_into_each_other_still_find_one_survivor(supervisor):
    first = identify(claims=[IdentityClaim("email", "maria@example.com")])
    second = identify(claims=[IdentityClaim("email", "maria.santos@work.example")])
    Customer.objects.filter(pk=first.pk).update(merged_into=second)
    Customer.objects.filter(pk=second.pk).update(merged_into=first)
    first.refresh_from_db()

    assert survivor(first) == second


def test_a_message_s_addresses_are_looked_up_by_kind_and_value_in_the_index():
    customer = identify(claims=[IdentityClaim("email", "jan@example.pl")], name="Jan Kowalski")

    with CaptureQueriesContext(connection) as captured:
        found = identify(
            claims=[
                IdentityClaim("email", "jan@example.pl"),
                IdentityClaim("phone", "+48601234567"),
            ]
        )

    lookup = [
        query for query in captured.captured_queries if "customers_identity i" in query["sql"]
    ]
    # The conditions on the value, as SQLite and PostgreSQL write them: each with the kind.
    conditions = [line for line in plans(lookup) if "value=?" in line or "(value)::text" in line]
    assert found == customer
    assert conditions
    assert all("kind=? AND value=?" in line or "(kind)::text = " in line for line in conditions)

"""Finding a customer as phone and counter staff do: by any part of a name typed without accents,
by organisation, by an email address or part of it, by a phone number in whatever format the caller
reads it out, or by a ticket number; the likeliest first, and never by reading every customer."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attenda.customers.models import IdentityKind
from attenda.customers.queries import find_customers
from attenda.customers.services import (
    IdentityClaim,
    create_customer,
    identify,
    merge_customers,
    update_customer,
)
from attenda.tickets.search import find
from tests.customers.factories import CustomerFactory
from tests.plans import plans
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


def names(customers) -> list[str]:
    return [customer.name for customer in customers]


@pytest.fixture
def desk(db):
    """Customers of a desk in Portugal from the five countries it serves, as the services write
    them."""

    def customer(name, *, email, phone, country, organization=""):
        return create_customer(
            name=name,
            claims=[
                IdentityClaim(kind=IdentityKind.EMAIL, value=email),
                IdentityClaim(kind=IdentityKind.PHONE, value=phone),
            ],
            country=country,
            organization_name=organization,
            region=country,
            actor=None,
        )

    return {
        "pt": customer(
            "João Gonçalves Silva",
            email="Joao.Silva@sapo.pt",
            phone="912 345 678",
            country="PT",
            organization="Padaria Aurora, Lda.",
        ),
        "es": customer(
            "Lucía Fernández Muñoz",
            email="lucia.fernandez@yahoo.es",
            phone="612 345 678",
            country="ES",
            organization="Construcciones Sierra S.L.",
        ),
        "ro": customer(
            "Ștefan Popescu",
            email="stefan.popescu@yahoo.ro",
            phone="0721 234 567",
            country="RO",
            organization="Brutăria Sf. Ana",
        ),
        "pl": customer(
            "Łukasz Wójcik",
            email="lukasz.wojcik@wp.pl",
            phone="506 938 128",
            country="PL",
        ),
        "en": customer(
            "Priya Patel",
            email="priya.patel@btinternet.com",
            phone="07700 900123",
            country="GB",
            organization="Kettle & Crumb Café",
        ),
    }


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        ("silva", "pt"),
        ("Gonçalves", "pt"),
        ("munoz", "es"),
        ("FERNANDEZ", "es"),
        ("popescu", "ro"),
        ("wojcik", "pl"),
        ("Wójcik", "pl"),
        ("patel", "en"),
    ],
)
def test_a_surname_alone_finds_the_customer_with_or_without_accents(desk, agent, typed, language):
    assert find_customers(agent, typed) == [desk[language]]


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        ("joao", "pt"),
        ("JOÃO SILVA", "pt"),
        ("silva joao", "pt"),
        ("lucia fernandez", "es"),
        ("stefan", "ro"),
        ("lukasz", "pl"),
        ("Łukasz W", "pl"),
        ("pri", "en"),
    ],
)
def test_given_names_and_any_words_of_the_name_find_the_customer(desk, agent, typed, language):
    assert find_customers(agent, typed) == [desk[language]]


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        ("Padaria Aurora", "pt"),
        ("padaria", "pt"),
        ("construcciones sierra", "es"),
        ("brutaria", "ro"),
        ("kettle & crumb", "en"),
        ("Crumb Cafe", "en"),
    ],
)
def test_an_organisation_finds_its_people(desk, agent, typed, language):
    assert find_customers(agent, typed) == [desk[language]]


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        ("joao.silva@sapo.pt", "pt"),
        ("JOAO.SILVA@SAPO.PT", "pt"),
        ("joao.silva", "pt"),
        ("lucia.fern", "es"),
        ("stefan.popescu@", "ro"),
        ("@wp.pl", "pl"),
        ("wp.pl", "pl"),
        ("btinternet.com", "en"),
    ],
)
def test_an_email_address_or_a_part_of_it_finds_the_customer(desk, agent, typed, language):
    assert find_customers(agent, typed) == [desk[language]]


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        # The desk is in Portugal: a national number is read as Portuguese...
        ("912 345 678", "pt"),
        ("912-345-678", "pt"),
        ("+351 912 345 678", "pt"),
        ("00351912345678", "pt"),
        # ...and in the customer's own country, as the caller reads it out.
        ("506938128", "pl"),
        ("506 938 128", "pl"),
        ("+48 506-938-128", "pl"),
        ("0048 506 938 128", "pl"),
        ("612 34 56 78", "es"),
        ("0721 234 567", "ro"),
        ("721234567", "ro"),
        ("07700 900123", "en"),
        ("+44 7700 900123", "en"),
    ],
)
def test_a_phone_number_in_any_format_finds_the_customer(desk, agent, typed, language):
    assert find_customers(agent, typed) == [desk[language]]


def test_a_ticket_number_finds_its_customer_for_an_agent_who_may_see_it(
    desk, team, agent, outsider
):
    ticket = received_ticket(team=team, email="lukasz.wojcik@wp.pl", name="Łukasz Wójcik")

    assert find_customers(agent, f"#{ticket.pk}") == [desk["pl"]]
    assert find_customers(agent, str(ticket.pk)) == [desk["pl"]]
    assert find_customers(outsider, f"#{ticket.pk}") == []


def test_the_likeliest_customers_come_first(agent):
    for name in ["Silvana Costa", "Rui Silva", "Silva", "Ana Silvano", "Silva Moreira"]:
        CustomerFactory(name=name)

    found = find_customers(agent, "Silva")

    # The whole name, then surnames, then a given name, then names that only start so.
    assert names(found) == ["Silva", "Rui Silva", "Silva Moreira", "Silvana Costa", "Ana Silvano"]


def test_of_many_with_every_word_the_first_in_the_index_are_found(agent):
    made = [CustomerFactory(name=f"Ana Costa {letter}") for letter in "edcba"]

    # "costa ana" is no name's beginning: every customer has both words, and the limit takes the
    # first by the term's kind and the customer's number, then lists them by name.
    assert find_customers(agent, "costa ana", limit=3) == [made[2], made[1], made[0]]


def test_a_whole_address_outranks_one_that_only_starts_so(agent):
    def customer(name, email):
        return create_customer(
            name=name, claims=[IdentityClaim(kind=IdentityKind.EMAIL, value=email)], actor=None
        )

    longer = customer("Ana Quintas", "mar@quintas.pt.br")
    exact = customer("Mar Quintas", "mar@quintas.pt")

    assert find_customers(agent, "Mar@Quintas.pt") == [exact, longer]


def test_a_found_customer_comes_with_its_organisation_and_identities_in_two_statements(
    desk, agent, django_assert_num_queries
):
    with django_assert_num_queries(2):
        (joao,) = find_customers(agent, "padaria")
        listed = [(identity.kind, identity.value) for identity in joao.listed_identities]
        organization = joao.organization.name
        owners = {identity.customer for identity in joao.listed_identities}

    assert listed == [("email", "joao.silva@sapo.pt"), ("phone", "+351912345678")]
    assert organization == "Padaria Aurora, Lda."
    assert owners == {joao}
    assert joao.created_at == desk["pt"].created_at
    (lukasz,) = find_customers(agent, "lukasz")
    with django_assert_num_queries(0):
        assert lukasz.organization is None
        assert [identity.value for identity in lukasz.listed_identities] == [
            "lukasz.wojcik@wp.pl",
            "+48506938128",
        ]


def test_nothing_typed_and_nothing_known_find_nobody(desk, agent):
    assert find_customers(agent, "") == []
    assert find_customers(agent, "xylofone") == []
    assert find_customers(agent, "999 999 999") == []
    # A word no name, organisation or address starts with finds nobody, however common the others.
    assert find_customers(agent, "silva xylofone") == []
    assert find_customers(agent, "joao.silva2746") == []


def test_the_lookup_follows_what_the_services_change(desk, agent, supervisor):
    lukasz = desk["pl"]
    update_customer(
        customer=lukasz,
        name="Łukasz Nowak",
        add_claims=[IdentityClaim(kind=IdentityKind.PHONE, value="+48 601 222 333")],
        actor=supervisor,
    )
    duplicate = identify(
        claims=[IdentityClaim(kind=IdentityKind.EMAIL, value="l.nowak@onet.pl")],
        name="Lukasz Nowak",
    )

    assert find_customers(agent, "wojcik") == []
    assert find_customers(agent, "601 222 333") == [lukasz]
    assert set(find_customers(agent, "nowak")) == {lukasz, duplicate}

    merge_customers(survivor_customer=lukasz, absorbed=duplicate, actor=supervisor)

    # The duplicate's address now finds the survivor, and the duplicate is found no more.
    assert find_customers(agent, "l.nowak@onet.pl") == [lukasz]
    assert find_customers(agent, "nowak") == [lukasz]


def test_a_customer_who_writes_in_is_found_by_name_at_once(team, agent):
    ticket = received_ticket(team=team, name="Andreea Ionescu", email="andreea@yahoo.ro")

    assert find_customers(agent, "ionescu") == [ticket.customer]


def _scans_of_customers(lines: list[str]) -> list[str]:
    tables = ("customers_customer", "customers_identity", "customers_search_term")
    return [
        line
        for line in lines
        if any(
            line.strip().startswith(f"SCAN {table}") or f"Seq Scan on {table}" in line
            for table in tables
        )
    ]


@pytest.mark.parametrize(
    "typed",
    ["silva", "joao silva", "silva joao", "padaria aurora", "506 938 128", "joao.silva@", "@wp.pl"],
)
def test_no_lookup_reads_every_customer(desk, agent, typed):
    with CaptureQueriesContext(connection) as captured:
        find_customers(agent, typed)

    lines = plans(captured.captured_queries)

    assert any("customer_term_idx" in line for line in lines)
    assert _scans_of_customers(lines) == []


def test_a_keyword_search_reads_no_customer_it_does_not_find(desk, team, agent):
    received_ticket(team=team, subject="A fatura está errada")

    with CaptureQueriesContext(connection) as captured:
        find(agent, "fatura")

    assert _scans_of_customers(plans(captured.captured_queries)) == []

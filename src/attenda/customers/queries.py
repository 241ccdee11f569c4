"""Reads for customer lists and lookups, each naming the index it relies on."""

import phonenumbers
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Prefetch

from attenda.agents.models import Agent
from attenda.core.pagination import Page, keyset_page
from attenda.customers.identities import DEFAULT_PHONE_REGION, normalise
from attenda.customers.models import Customer, CustomerSearchTerm, Identity, Organization
from attenda.customers.search_terms import TERM_LENGTH, TermKind, fold, words
from attenda.customers.services import survivor

PAGE_SIZE = 50
LOOKUP_LIMIT = 20
# A lookup of several words starts from the word with the fewest customers, counted up to this
# many so that counting a common word costs no more than this.
WORD_COUNT_CAP = 2000
QUERY_WORD_LIMIT = 5
# How a match ranks, best first: an address or the ticket number; the whole name or organisation;
# a surname; another part of a name or address; then the same as prefixes; then every word of a
# longer search somewhere in the name.
_EXACT_RANK = {
    TermKind.ADDRESS: 0,
    TermKind.FULL_NAME: 1,
    TermKind.ORGANIZATION: 1,
    TermKind.SURNAME: 2,
    TermKind.NAME_PART: 3,
    TermKind.ADDRESS_PART: 3,
}
_PREFIX_RANK = {
    TermKind.ADDRESS: 4,
    TermKind.FULL_NAME: 4,
    TermKind.ORGANIZATION: 4,
    TermKind.SURNAME: 5,
    TermKind.NAME_PART: 6,
    TermKind.ADDRESS_PART: 6,
}
_EVERY_WORD_RANK = 7
# The identities of each customer listed, as a list on the customer: Django's own prefetch cache
# builds a query set per customer, which cost a lookup of 20 customers more than its reads.
LISTED_IDENTITIES = Prefetch("identities", to_attr="listed_identities")


def customer_page(*, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """customer_name_idx. Records merged into another are left out: their survivor is listed.
    Raises InvalidCursor for a cursor that was not made here."""
    customers = (
        Customer.objects.filter(merged_into=None)
        .select_related("organization")
        .prefetch_related(LISTED_IDENTITIES)
    )
    return keyset_page(customers, order=("name", "id"), cursor=cursor, size=size)


def customer_with_identity(
    *, kind: str, value: str, region: str = DEFAULT_PHONE_REGION
) -> Customer | None:
    """identity_unique_value. Raises ValidationError when the value cannot be an address of that
    kind, so a typo is told apart from an unknown customer."""
    identity = (
        Identity.objects.select_related("customer")
        .filter(kind=kind, value=normalise(kind, value, region=region))
        .first()
    )
    return survivor(identity.customer) if identity is not None else None


def find_customers(
    agent: Agent, text: str, *, limit: int = LOOKUP_LIMIT, region: str = DEFAULT_PHONE_REGION
) -> list[Customer]:
    """The customers an agent means by what they typed: a name or any part of one ("silva",
    "joao"), an organisation, an email address or part of it, a phone number in any format (a
    national number read in the desk's country, ``region``, and in the customer's), or the number
    of a ticket the agent may see. Best first: the address or ticket, then whole names and
    surnames, then prefixes. Each read is a seek on customer_term_idx (or the ticket's primary
    key), taking at most ``limit`` rows, so a common surname costs what a rare one does."""
    text = text.strip()[:200]
    # Each live customer found: its best rank, and its name to order those of one rank by.
    ranks: dict[int, tuple[int, str]] = {}

    def found(customer_id: int, rank: int, name: str) -> None:
        if customer_id not in ranks or rank < ranks[customer_id][0]:
            ranks[customer_id] = (rank, name)

    number = text.removeprefix("#").strip()
    if number.isascii() and number.isdigit() and len(number) <= 18:
        for customer_id, name in _ticket_customers(agent, int(number)):
            found(customer_id, 0, name)
    dialled = _dialled(text, region)
    # A phone number, or text with an @ (part of an address), is not words of a name.
    phrase = (
        ""
        if dialled or "@" in text
        else " ".join(words(text)[: QUERY_WORD_LIMIT * 4])[:TERM_LENGTH]
    )
    # Addresses are matched as typed (folded), dots and @ kept; "@gmail.com" is a domain.
    address = fold(text).lstrip("@")[:TERM_LENGTH] if len(text.split()) == 1 else ""
    terms = list(dict.fromkeys(term for term in (*dialled, address, phrase) if term))
    for customer_id, kind, prefixed, name in _matching_terms(terms, limit):
        found(customer_id, (_PREFIX_RANK if prefixed else _EXACT_RANK)[kind], name)
    query_words = list(dict.fromkeys(phrase.split()))[:QUERY_WORD_LIMIT]
    if len(ranks) < limit and len(query_words) > 1:
        for customer_id, name in _with_every_word(query_words, limit):
            found(customer_id, _EVERY_WORD_RANK, name)
    best = sorted(ranks, key=lambda customer_id: (*ranks[customer_id], customer_id))[:limit]
    return _listed(best)


def _ticket_customers(agent: Agent, number: int) -> list[tuple[int, str]]:
    """The primary key. A ticket the agent may not see names nobody, nor one of a merged record."""
    # Imported here: tickets build on customers, not the other way round.
    from attenda.tickets.permissions import visible_tickets

    if number > 2**63 - 1:
        return []
    return list(
        visible_tickets(agent)
        .filter(pk=number, customer__merged_into=None)
        .values_list("customer_id", "customer__name")
    )


def _dialled(text: str, region: str) -> list[str]:
    """A phone number as its stored terms spell it (search_terms.phone_terms): international digits
    for +… and 00…, else the national number with any trunk 0 dropped and the same read as a
    number of the desk's country. Nothing when the text is not a phone number."""
    if not all(character.isdigit() or character in "+-()./ " for character in text):
        return []
    digits = "".join(character for character in text if character.isdigit())
    if len(digits) < 6:
        return []
    if text.startswith("+") or digits.startswith("00"):
        return [digits.removeprefix("00")]
    forms = [digits, digits.lstrip("0")]
    try:
        number = phonenumbers.parse(text, region or DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        pass
    else:
        forms.append(f"{number.country_code}{phonenumbers.national_significant_number(number)}")
    return list(dict.fromkeys(form for form in forms if form))


def _after(prefix: str) -> str:
    """The first string past every one that starts with prefix, in byte order."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


# Prefixes are ranges rather than LIKE or istartswith, which PostgreSQL cannot answer from a btree
# index under a language's collation; the column compares bytes (migration 0004). Each part reads
# customer_term_idx in its own order and stops at the limit: exact terms best kind first, prefixes
# shortest term first. One statement for all the forms a search is tried in, which also reads each
# customer's name by primary key (to order those of one rank) and leaves merged records out.
_TERMS = CustomerSearchTerm._meta.db_table
_CUSTOMERS = Customer._meta.db_table
_EXACT_SQL = (
    f"SELECT customer_id, kind, 0 AS prefixed FROM (SELECT customer_id, kind FROM {_TERMS}"  # noqa: S608
    " WHERE term = %s ORDER BY kind, customer_id LIMIT %s) exact_{n}"
)
_PREFIX_SQL = (
    f"SELECT customer_id, kind, 1 FROM (SELECT customer_id, kind FROM {_TERMS}"  # noqa: S608
    " WHERE term > %s AND term < %s ORDER BY term, kind, customer_id LIMIT %s) prefix_{n}"
)
_MATCHING_SQL = (
    "SELECT found.customer_id, found.kind, found.prefixed, customer.name"  # noqa: S608
    f" FROM ({{parts}}) found JOIN {_CUSTOMERS} customer ON customer.id = found.customer_id"
    " WHERE customer.merged_into_id IS NULL"
)
# "ORDER BY term" keeps PostgreSQL on the index for a common word: without it, a limit on many
# matching rows looks cheaper to it as a table scan that stops early.
_COUNT_SQL = (
    f"SELECT COUNT(*) FROM (SELECT 1 FROM {_TERMS}"  # noqa: S608
    " WHERE term >= %s AND term < %s ORDER BY term LIMIT %s) count_{n}"
)
# A word that no term starts with finds nobody: the counts are taken only when every word has one,
# so that "joao.silva2746" (read as the words "joao" and "silva2746") does not count 2,000 "joao".
_ANY_SQL = f"EXISTS (SELECT 1 FROM {_TERMS} WHERE term >= %s AND term < %s)"  # noqa: S608
# In customer_term_idx's whole order, so that which customers fill the limit, among many with the
# same term, is the index's choice and not the plan's (a hash join returns them in any order).
_EVERY_WORD_SQL = (
    f"SELECT first.customer_id, customer.name FROM {_TERMS} first"  # noqa: S608
    f" JOIN {_CUSTOMERS} customer ON customer.id = first.customer_id"
    " WHERE first.term >= %s AND first.term < %s{others} AND customer.merged_into_id IS NULL"
    " ORDER BY first.term, first.kind, first.customer_id LIMIT %s"
)
_OTHER_WORD_SQL = (
    f" AND EXISTS (SELECT 1 FROM {_TERMS} other"  # noqa: S608
    " WHERE other.customer_id = first.customer_id AND other.term >= %s AND other.term < %s)"
)


def _matching_terms(terms: list[str], limit: int) -> list[tuple[int, int, bool, str]]:
    """(customer, kind of term, whether only a prefix matched, name) for each form of the search."""
    if not terms:
        return []
    parts, params = [], []
    for n, term in enumerate(terms):
        parts.append(_EXACT_SQL.format(n=n))
        params += [term, limit]
        parts.append(_PREFIX_SQL.format(n=n))
        params += [term, _after(term), limit]
    with connection.cursor() as cursor:
        cursor.execute(_MATCHING_SQL.format(parts=" UNION ALL ".join(parts)), params)
        return [
            (customer_id, kind, bool(prefixed), name)
            for customer_id, kind, prefixed, name in cursor
        ]


def _with_every_word(query_words: list[str], limit: int) -> list[tuple[int, str]]:
    """(customer, name) of customers with a term starting with each word, in any order ("silva
    joao" finds João Pedro Silva): read from customer_term_idx for the word with the fewest
    customers (counted up to WORD_COUNT_CAP), each other word checked on customer_term_owner_idx of
    the customer found."""
    ranges = [(word, _after(word)) for word in query_words]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "
            + ", ".join(f"({_COUNT_SQL.format(n=n)})" for n in range(len(ranges)))
            + " WHERE "
            + " AND ".join([_ANY_SQL] * len(ranges)),
            [
                *[value for low, high in ranges for value in (low, high, WORD_COUNT_CAP)],
                *[value for bounds in ranges for value in bounds],
            ],
        )
        counts = cursor.fetchone()
        if counts is None:
            return []
        first = min(range(len(ranges)), key=lambda n: (counts[n], -len(ranges[n][0])))
        others = [bounds for n, bounds in enumerate(ranges) if n != first]
        # A customer may have several terms starting with the first word ("silva", "silva costa").
        cursor.execute(
            _EVERY_WORD_SQL.format(others=_OTHER_WORD_SQL * len(others)),
            [*ranges[first], *[value for bounds in others for value in bounds], limit * 3],
        )
        return list(dict.fromkeys(cursor))[:limit]


# The customers listed, their organisation and identities in one statement written out: Django's
# query building, select_related and prefetching cost a lookup several times its reads.
_ORGANIZATIONS = Organization._meta.db_table
_IDENTITIES = Identity._meta.db_table


def _columns(model, alias: str) -> str:
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


_LISTED_SQL = (
    f"SELECT {_columns(Customer, 'customer')}, {_columns(Organization, 'organization')},"  # noqa: S608
    f" {_columns(Identity, 'identity')} FROM {_CUSTOMERS} customer"
    f" LEFT JOIN {_ORGANIZATIONS} organization ON organization.id = customer.organization_id"
    f" LEFT JOIN {_IDENTITIES} identity ON identity.customer_id = customer.id"
    " WHERE customer.id IN ({marks}) AND customer.merged_into_id IS NULL"
    " ORDER BY customer.id, identity.id"
)


def _listed(ids: list[int]) -> list[Customer]:
    """These customers in this order, each with its organisation and, as listed_identities, its
    identities: what select_related("organization") and LISTED_IDENTITIES give."""
    if not ids:
        return []
    # The connection itself rather than the proxy, which looks it up again on every use.
    database = connections[DEFAULT_DB_ALIAS]
    read_customer, read_organization, read_identity = (
        _reader(model, database) for model in (Customer, Organization, Identity)
    )
    organization_at = len(Customer._meta.concrete_fields)
    identity_at = organization_at + len(Organization._meta.concrete_fields)
    customers: dict[int, Customer] = {}
    with database.cursor() as cursor:
        cursor.execute(_LISTED_SQL.format(marks=", ".join(["%s"] * len(ids))), ids)
        rows = cursor.fetchall()
    for row in rows:
        customer = customers.get(row[0])
        if customer is None:
            customer = customers[row[0]] = read_customer(row[:organization_at])
            organization = row[organization_at]
            customer.organization = (
                None
                if organization is None
                else read_organization(row[organization_at:identity_at])
            )
            customer.listed_identities = []
        if row[identity_at] is not None:
            identity = read_identity(row[identity_at:])
            identity.customer = customer
            customer.listed_identities.append(identity)
    return [customers[customer_id] for customer_id in ids if customer_id in customers]


def _reader(model, database):
    """Makes a model instance of a row of its concrete fields' columns, converted as the ORM
    converts them (SQLite's datetimes made aware)."""
    fields = model._meta.concrete_fields
    names = [field.attname for field in fields]
    conversions = []
    for position, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        converters = [
            *database.ops.get_db_converters(column),
            *column.get_db_converters(database),
        ]
        if converters:
            conversions.append((position, column, converters))

    def read(values: tuple) -> models.Model:
        if conversions:
            values = list(values)
            for position, column, converters in conversions:
                for converter in converters:
                    values[position] = converter(values[position], column, database)
        return model.from_db(database.alias, names, values)

    return read

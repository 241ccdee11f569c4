"""Every write to customers: finding them by identity, creating, updating and merging them."""

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from attenda.agents.models import Agent
from attenda.core import audit, clock
from attenda.core.inserts import insert
from attenda.customers.identities import normalise
from attenda.customers.models import Customer, CustomerSearchTerm, Identity, Organization
from attenda.customers.search_terms import customer_terms
from attenda.tickets.models import Ticket
from attenda.tickets.permissions import visible_tickets

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IdentityClaim:
    """An address a message or a form says belongs to a customer, before it is normalised."""

    kind: str
    value: str


def _normalised(claims: Sequence[IdentityClaim], region: str) -> list[tuple[str, str]]:
    valid = []
    for claim in claims:
        try:
            valid.append((claim.kind, normalise(claim.kind, claim.value, region=region)))
        except ValidationError:
            continue  # The inbound message keeps the raw address; a customer is still found or made.
    # One address given twice (From and Reply-To, or an API caller's list) is one identity.
    return list(dict.fromkeys(valid))


def may_change_identities(actor: Agent | None, customer: Customer) -> bool:
    """Identities decide where a customer's replies go, and customers are shared by every team: an
    agent changes them only on a customer they share a ticket with (one they may see).
    Supervisors, admins, and Attenda itself (no actor) may always."""
    if actor is None:
        return True
    if not actor.is_active:
        return False
    if actor.is_supervisor:
        return True
    return visible_tickets(actor).filter(customer=customer).exists()


def _require_identity_change(actor: Agent | None, customer: Customer) -> None:
    if not may_change_identities(actor, customer):
        # Logged, not audited: the refusal rolls the transaction (and an audit entry) back.
        logger.warning(
            "Agent %s may not change the identities of customer %s", actor.pk, customer.pk
        )
        raise PermissionDenied


def survivor(customer: Customer) -> Customer:
    # A loop of merges (which merge_customers now refuses, but an older database may hold) ends
    # at the last record before it comes round again, instead of never.
    seen = {customer.pk}
    while customer.merged_into_id is not None and customer.merged_into_id not in seen:
        customer = customer.merged_into
        seen.add(customer.pk)
    return customer


# Inside receive() on every message: without a savepoint of its own (two statements), as nothing
# that calls it goes on after it fails.
@transaction.atomic(savepoint=False)
def identify(
    *,
    claims: Sequence[IdentityClaim],
    name: str = "",
    language: str = "",
    region: str = "PT",
    actor: Agent | None = None,
) -> Customer:
    """The customer these addresses belong to, created when none matches. Addresses not yet known are
    added to the customer found, so the next contact on that channel finds them too."""
    normalised = _normalised(claims, region)
    known = _owners(normalised)
    customer = None
    for key in normalised:
        if key in known:
            customer = survivor(known[key])
            break
    if customer is None:
        return _new_customer(normalised, name=name, language=language, actor=actor)
    new = [(kind, value) for kind, value in normalised if (kind, value) not in known]
    if new and known and not may_change_identities(actor, customer):
        # An agent logging a contact cannot attach an address to another team's customer this way.
        audit.record(
            actor=actor,
            action="customer.identity_change_refused",
            target=customer,
            identities=[value for _kind, value in new],
        )
        new = []
    for kind, value in new:
        Identity.objects.create(customer=customer, kind=kind, value=value)
    if new and known:
        audit.record(
            actor=actor,
            action="customer.identities_added",
            target=customer,
            identities=[value for _kind, value in new],
        )
    if language and not customer.language:
        customer.language = language
        customer.save(update_fields=["language"])
    if new:
        write_search_terms(customers=[customer])
    return customer


def _owners(identities: list[tuple[str, str]]) -> dict[tuple[str, str], Customer]:
    """The customer of each of ``identities`` (kind, value) that is known. Asked of every message,
    so written out: Django's building of the join cost more than running it. Each pair is looked
    up by kind and value, identity_unique_value's order: by the value alone, PostgreSQL (which
    cannot skip the index's first column) read all the identities, 30-40 ms at 320,000."""
    if not identities:
        return {}
    columns, sql = _owners_statement()
    with connection.cursor() as cursor:
        cursor.execute(
            sql + " OR ".join(["(i.kind = %s AND i.value = %s)"] * len(identities)),
            [part for identity in identities for part in identity],
        )
        rows = cursor.fetchall()
    return {
        (kind, value): Customer.from_db(connection.alias, columns, customer)
        for kind, value, *customer in rows
    }


@functools.cache
def _owners_statement() -> tuple[list[str], str]:
    fields = Customer._meta.concrete_fields
    selected = ", ".join(f"c.{connection.ops.quote_name(field.column)}" for field in fields)
    sql = (
        f"SELECT i.kind, i.value, {selected} "  # noqa: S608 - the model's own names
        "FROM customers_identity i JOIN customers_customer c ON c.id = i.customer_id WHERE "
    )
    return [field.attname for field in fields], sql


def _new_customer(
    identities: list[tuple[str, str]], *, name: str, language: str, actor: Agent | None
) -> Customer:
    """A customer none of the addresses belonged to, with them. Most mail from a new address
    comes here, so the search terms are made from what is written rather than read back
    (``write_search_terms``): a new customer has no terms to replace and no organisation."""
    customer = insert(
        Customer(
            name=name.strip()[:200] or (identities[0][1] if identities else _("Unknown customer")),
            language=language,
        )
    )
    audit.record(actor=actor, action="customer.created", target=customer)
    if identities:
        created = connection.ops.adapt_datetimefield_value(clock.now())
        with connection.cursor() as cursor:
            cursor.execute(
                _ADD_IDENTITIES_SQL + ", ".join(["(%s, %s, %s, %s, NULL, '')"] * len(identities)),
                [v for kind, value in identities for v in (customer.pk, kind, value, created)],
            )
    terms = customer_terms(name=customer.name, organization="", identities=identities)
    if terms:
        with connection.cursor() as cursor:
            cursor.execute(
                _ADD_TERMS_SQL + ", ".join(["(%s, %s, %s)"] * len(terms)),
                [value for term, kind in terms for value in (customer.pk, term, int(kind))],
            )
    return customer


# Every new customer's identities and terms, so written out.
_ADD_IDENTITIES_SQL = (
    "INSERT INTO customers_identity "
    "(customer_id, kind, value, created_at, undeliverable_since, undeliverable_reason) VALUES "
)
_ADD_TERMS_SQL = "INSERT INTO customers_search_term (customer_id, term, kind) VALUES "


@transaction.atomic
def create_customer(
    *,
    name: str,
    claims: Sequence[IdentityClaim] = (),
    language: str = "",
    country: str = "",
    organization_name: str = "",
    region: str = "PT",
    actor: Agent | None,
) -> Customer:
    """Raises ValidationError (by field) when an identity is malformed or already someone else's."""
    identities = _claims_for_new_identities(claims, region)
    customer = Customer(name=name, language=language, country=country.upper())
    if organization_name:
        customer.organization, _created = Organization.objects.get_or_create(name=organization_name)
    customer.full_clean()
    customer.save()
    Identity.objects.bulk_create(
        Identity(customer=customer, kind=kind, value=value) for kind, value in identities
    )
    write_search_terms(customers=[customer])
    audit.record(actor=actor, action="customer.created", target=customer)
    return customer


def _claims_for_new_identities(
    claims: Sequence[IdentityClaim], region: str
) -> list[tuple[str, str]]:
    errors: dict[str, list[str | ValidationError]] = {}
    identities = []
    for claim in claims:
        try:
            value = normalise(claim.kind, claim.value, region=region)
        except ValidationError as error:
            errors.setdefault(claim.kind, []).extend(error.messages)
            continue
        if Identity.objects.filter(kind=claim.kind, value=value).exists():
            errors.setdefault(claim.kind, []).append(
                ValidationError(
                    _("%(value)s already belongs to another customer.") % {"value": value},
                    code="taken",
                )
            )
            continue
        if (claim.kind, value) not in identities:
            identities.append((claim.kind, value))
    if errors:
        raise ValidationError(errors)
    return identities


@transaction.atomic
def update_customer(
    *,
    customer: Customer,
    name: str | None = None,
    language: str | None = None,
    country: str | None = None,
    notes: str | None = None,
    add_claims: Sequence[IdentityClaim] = (),
    region: str = "PT",
    actor: Agent | None,
) -> Customer:
    """Adding identities is audited on its own and limited (may_change_identities)."""
    if add_claims:
        _require_identity_change(actor, customer)
    identities = _claims_for_new_identities(add_claims, region)
    changed = {}
    for field, value in (
        ("name", name),
        ("language", language),
        ("country", country),
        ("notes", notes),
    ):
        if value is not None and getattr(customer, field) != value:
            changed[field] = value
            setattr(customer, field, value.upper() if field == "country" else value)
    customer.updated_at = clock.now()
    customer.full_clean()
    customer.save()
    Identity.objects.bulk_create(
        Identity(customer=customer, kind=kind, value=value) for kind, value in identities
    )
    if "name" in changed:
        Ticket.objects.filter(customer=customer).update(customer_name=customer.name)
    if "name" in changed or identities:
        write_search_terms(customers=[customer])
    if "country" in changed:
        # Imported here: tickets' services find customers through this module.
        from attenda.tickets.services import hold_legal_deadlines_of

        hold_legal_deadlines_of(customer)
    audit.record(
        actor=actor,
        action="customer.updated",
        target=customer,
        fields=sorted(changed),
        identities_added=[value for _kind, value in identities],
    )
    if identities:
        audit.record(
            actor=actor,
            action="customer.identities_added",
            target=customer,
            identities=[value for _kind, value in identities],
        )
    return customer


@transaction.atomic
def remove_identity(*, identity: Identity, actor: Agent | None) -> Customer:
    """The customer no longer answers at this address; limited like adding one."""
    customer = identity.customer
    _require_identity_change(actor, customer)
    identity.delete()
    customer.updated_at = clock.now()
    customer.save(update_fields=["updated_at"])
    audit.record(
        actor=actor,
        action="customer.identity_removed",
        target=customer,
        kind=identity.kind,
        identity=identity.value,
    )
    return customer


@transaction.atomic
def merge_customers(*, survivor_customer: Customer, absorbed: Customer, actor: Agent) -> Customer:
    """Two records of one person become one: identities and tickets move to the survivor, and the
    absorbed record stays, pointing at it, so links and history still resolve. Supervisors and
    admins only: a wrong merge mixes two people's histories."""
    if not actor.is_supervisor:
        raise PermissionDenied
    # Both rows read again under lock, in pk order: a record merged away can neither absorb nor be
    # absorbed, so no two requests can merge two customers into each other and make a loop.
    merged_away = dict(
        Customer.objects.select_for_update()
        .filter(pk__in=[survivor_customer.pk, absorbed.pk])
        .order_by("pk")
        .values_list("pk", "merged_into_id")
    )
    if (
        survivor_customer.pk == absorbed.pk
        or merged_away.get(absorbed.pk) is not None
        or merged_away.get(survivor_customer.pk) is not None
    ):
        raise ValidationError(_("These customers cannot be merged."))
    Identity.objects.filter(customer=absorbed).update(customer=survivor_customer)
    moved = Ticket.objects.filter(customer=absorbed).update(
        customer=survivor_customer, customer_name=survivor_customer.name
    )
    absorbed.merged_into = survivor_customer
    absorbed.updated_at = clock.now()
    absorbed.save(update_fields=["merged_into", "updated_at"])
    write_search_terms(customers=[survivor_customer, absorbed])
    audit.record(
        actor=actor,
        action="customer.merged",
        target=survivor_customer,
        absorbed=absorbed.pk,
        tickets=moved,
    )
    return survivor_customer


@transaction.atomic
def set_standing_agent(*, customer: Customer, agent: Agent | None, actor: Agent) -> Customer:
    """Names the customer's account owner ("your agent"), who gets their new tickets when
    available (routing.assignment); None goes back to the owner of their last ticket. Supervisors
    and admins decide it."""
    if not (actor.is_active and actor.is_supervisor):
        raise PermissionDenied
    if agent is not None and not agent.is_active:
        raise ValidationError({"agent": _("%(agent)s cannot take tickets.") % {"agent": agent}})
    before = customer.standing_agent_id
    customer.standing_agent = agent
    customer.updated_at = clock.now()
    customer.save(update_fields=["standing_agent", "updated_at"])
    audit.record(
        actor=actor,
        action="customer.standing_agent_set",
        target=customer,
        before=before,
        after=agent.pk if agent else None,
    )
    return customer


@transaction.atomic
def write_search_terms(*, customers: Sequence[Customer]) -> None:
    """Replaces these customers' search terms (customers/search_terms.py) with what their name,
    organisation and identities are now. Every service that changes one of those calls it, and so
    does anything that writes customers in bulk; a merged record keeps none, as only its survivor
    is to be found."""
    ids = [customer.pk for customer in customers]
    CustomerSearchTerm.objects.filter(customer_id__in=ids).delete()
    live = Customer.objects.filter(pk__in=ids, merged_into=None).select_related("organization")
    addresses: dict[int, list[tuple[str, str]]] = {}
    for customer_id, kind, value in Identity.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "kind", "value"
    ):
        addresses.setdefault(customer_id, []).append((kind, value))
    CustomerSearchTerm.objects.bulk_create(
        (
            CustomerSearchTerm(customer_id=customer.pk, term=term, kind=kind)
            for customer in live
            for term, kind in customer_terms(
                name=customer.name,
                organization=customer.organization.name if customer.organization else "",
                identities=addresses.get(customer.pk, ()),
            )
        ),
        batch_size=1000,
    )

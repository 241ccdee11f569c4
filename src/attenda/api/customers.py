"""Customers over the API: create, read and update them, find one by an address, list them by name,
and search for them as the search page does."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from attenda.agents.models import Agent
from attenda.api.errors import Missing, refused_as_conflict
from attenda.api.schemas import (
    CustomerCreateIn,
    CustomerLookup,
    CustomerOut,
    CustomerPageOut,
    CustomerSearchOut,
    CustomerUpdateIn,
    ErrorOut,
    IdentityIn,
    MergeCustomerIn,
    PathId,
    SearchQuery,
    StandingAgentIn,
    StandingAgentOut,
)
from attenda.core.pagination import Page
from attenda.customers import queries, services
from attenda.customers.models import Customer, IdentityKind
from attenda.customers.services import IdentityClaim
from attenda.tickets import search

router = Router(tags=["customers"])

ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _claims(identities: list[IdentityIn]) -> list[IdentityClaim]:
    return [IdentityClaim(kind=identity.kind, value=identity.value) for identity in identities]


@router.post("", response={201: CustomerOut, **ERRORS}, summary="Create a customer")
def create_customer(request: HttpRequest, payload: CustomerCreateIn) -> Status:
    """An identity that already belongs to another customer is refused (422), and nothing is
    written."""
    with refused_as_conflict("identity_taken", only="taken"):
        customer = services.create_customer(
            name=payload.name,
            claims=_claims(payload.identities),
            language=payload.language,
            country=payload.country,
            organization_name=payload.organization,
            actor=request.auth,
        )
    return Status(201, customer)


@router.get("", response={200: CustomerPageOut, **ERRORS}, summary="List or find customers")
def list_customers(request: HttpRequest, lookup: Query[CustomerLookup]) -> Page:
    """With email, phone or social: the one customer with that address (with several, the one
    customer they all belong to), or none; text that cannot be such an address finds none. Without: every customer by name, a page at a time.
    To find customers by any text, as the search page does: GET /customers/search."""
    given = {
        kind: value
        for kind, value in (
            (IdentityKind.EMAIL, lookup.email),
            (IdentityKind.PHONE, lookup.phone),
            (IdentityKind.SOCIAL, lookup.social),
        )
        if value is not None
    }
    if not given:
        return queries.customer_page(cursor=lookup.cursor, size=lookup.limit)
    found = set()
    for kind, value in given.items():
        try:
            found.add(queries.customer_with_identity(kind=kind, value=value))
        except ValidationError:
            # No customer has an address that cannot be one. Whether text is a phone number is
            # phonenumbers' rule, which no JSON Schema can state, so it is not refused.
            found.add(None)
    # Several addresses find the customer they all belong to, or nobody.
    [customer] = found if len(found) == 1 else [None]
    return Page(items=[customer] if customer else [], next_cursor=None)


# Before /{customer_id}, which would otherwise take "search" for an id.
@router.get("/search", response={200: CustomerSearchOut, **ERRORS}, summary="Search customers")
def search_customers(request: HttpRequest, query: Query[SearchQuery]) -> dict:
    """By any text, exactly as the search page finds them: a name, an email address, a phone
    number. Every agent may read every customer, as on the customer pages."""
    return {"items": search.find(request.auth, query.q, limit=query.limit).customers}


@router.get("/{customer_id}", response={200: CustomerOut, **ERRORS}, summary="Read a customer")
def read_customer(request: HttpRequest, customer_id: PathId) -> Customer:
    return get_object_or_404(
        Customer.objects.select_related("organization").prefetch_related(queries.LISTED_IDENTITIES),
        pk=customer_id,
    )


@router.patch(
    "/{customer_id}",
    response={200: CustomerOut, 403: ErrorOut, **ERRORS},
    summary="Update a customer",
)
def update_customer(
    request: HttpRequest, customer_id: PathId, payload: CustomerUpdateIn
) -> Customer:
    """Changes the fields given and adds the identities given; a new name is shown on the
    customer's tickets too. Identities are added only by agents who share a ticket with the
    customer, supervisors and admins (403 otherwise)."""
    customer = get_object_or_404(Customer, pk=customer_id)
    with refused_as_conflict("identity_taken", only="taken"):
        return services.update_customer(
            customer=customer,
            name=payload.name,
            language=payload.language,
            country=payload.country,
            notes=payload.notes,
            add_claims=_claims(payload.add_identities),
            actor=request.auth,
        )


@router.post(
    "/{customer_id}/merge",
    response={200: CustomerOut, **ERRORS},
    summary="Merge another customer in",
)
def merge_customer(request: HttpRequest, customer_id: PathId, payload: MergeCustomerIn) -> Customer:
    """The absorbed customer's identities and tickets move here; supervisors and admins only."""
    survivor = get_object_or_404(Customer, pk=customer_id)
    absorbed = Customer.objects.filter(pk=payload.absorbed_id).first()
    if absorbed is None:
        raise Missing("absorbed_id", _("There is no customer with this id."))
    with refused_as_conflict("cannot_merge"):
        services.merge_customers(survivor_customer=survivor, absorbed=absorbed, actor=request.auth)
    return read_customer(request, customer_id)


@router.put(
    "/{customer_id}/standing-agent",
    response={200: StandingAgentOut, 403: ErrorOut, **ERRORS},
    summary="Name a customer's account owner",
)
def set_standing_agent(request: HttpRequest, customer_id: PathId, payload: StandingAgentIn) -> dict:
    """ "Your agent": gets the customer's new tickets on every channel while available, else their
    backup. Supervisors and admins only."""
    customer = get_object_or_404(Customer, pk=customer_id)
    agent = None
    if payload.agent is not None:
        agent = Agent.objects.filter(pk=payload.agent).first()
        if agent is None:
            raise Missing("agent", _("There is no agent with this id."))
    with refused_as_conflict("cannot_take_tickets"):
        services.set_standing_agent(customer=customer, agent=agent, actor=request.auth)
    return {"customer_id": customer.pk, "standing_agent": agent}

"""Reads for customer lists and lookups, each naming the index it relies on."""

from attenda.core.pagination import Page, keyset_page
from attenda.customers.identities import DEFAULT_PHONE_REGION, normalise
from attenda.customers.models import Customer, Identity
from attenda.customers.services import survivor

PAGE_SIZE = 50


def customer_page(*, cursor: str | None, size: int = PAGE_SIZE, name_prefix: str = "") -> Page:
    """customer_name_idx. Records merged into another are left out: their survivor is listed.
    Raises InvalidCursor for a cursor that was not made here."""
    customers = (
        Customer.objects.filter(merged_into=None)
        .select_related("organization")
        .prefetch_related("identities")
    )
    if name_prefix:
        customers = customers.filter(name__istartswith=name_prefix)
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

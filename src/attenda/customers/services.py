"""Every write to customers: finding them by identity, creating, updating and merging them."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from attenda.agents.models import Agent
from attenda.core import audit, clock
from attenda.customers.identities import normalise
from attenda.customers.models import Customer, Identity, Organization
from attenda.tickets.models import Ticket


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
    return valid


def survivor(customer: Customer) -> Customer:
    while customer.merged_into_id is not None:
        customer = customer.merged_into
    return customer


@transaction.atomic
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
    known = {
        (identity.kind, identity.value): identity
        for identity in Identity.objects.select_related("customer").filter(
            value__in=[value for _kind, value in normalised]
        )
        if (identity.kind, identity.value) in normalised
    }
    customer = None
    for key in normalised:
        if key in known:
            customer = survivor(known[key].customer)
            break
    if customer is None:
        customer = Customer.objects.create(
            name=name.strip()[:200] or (normalised[0][1] if normalised else _("Unknown customer")),
            language=language,
        )
        audit.record(actor=actor, action="customer.created", target=customer)
    for kind, value in normalised:
        if (kind, value) not in known:
            Identity.objects.create(customer=customer, kind=kind, value=value)
    if language and not customer.language:
        customer.language = language
        customer.save(update_fields=["language"])
    return customer


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
    audit.record(actor=actor, action="customer.created", target=customer)
    return customer


def _claims_for_new_identities(
    claims: Sequence[IdentityClaim], region: str
) -> list[tuple[str, str]]:
    errors: dict[str, list[str]] = {}
    identities = []
    for claim in claims:
        try:
            value = normalise(claim.kind, claim.value, region=region)
        except ValidationError as error:
            errors.setdefault(claim.kind, []).extend(error.messages)
            continue
        if Identity.objects.filter(kind=claim.kind, value=value).exists():
            errors.setdefault(claim.kind, []).append(
                _("%(value)s already belongs to another customer.") % {"value": value}
            )
            continue
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
    return customer


@transaction.atomic
def merge_customers(*, survivor_customer: Customer, absorbed: Customer, actor: Agent) -> Customer:
    """Two records of one person become one: identities and tickets move to the survivor, and the
    absorbed record stays, pointing at it, so links and history still resolve. Supervisors and
    admins only: a wrong merge mixes two people's histories."""
    if not actor.is_supervisor:
        raise PermissionDenied
    if survivor_customer.pk == absorbed.pk or absorbed.merged_into_id is not None:
        raise ValidationError(_("These customers cannot be merged."))
    Identity.objects.filter(customer=absorbed).update(customer=survivor_customer)
    moved = Ticket.objects.filter(customer=absorbed).update(
        customer=survivor_customer, customer_name=survivor_customer.name
    )
    absorbed.merged_into = survivor_customer
    absorbed.updated_at = clock.now()
    absorbed.save(update_fields=["merged_into", "updated_at"])
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

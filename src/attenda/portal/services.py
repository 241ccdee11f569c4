"""Every write of the customer portal: asking for a sign-in link, using it once, and what a
signed-in customer does on their tickets (which go through the tickets' own services)."""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from attenda.core import audit, clock
from attenda.customers.models import Customer, Identity, IdentityKind
from attenda.customers.services import survivor
from attenda.portal.models import SignInLink
from attenda.tickets.messages import Inbound, InboundFile
from attenda.tickets.models import Channel, Ticket
from attenda.tickets.services import Received, receive, solve_for_customer

logger = logging.getLogger(__name__)

# A few links an hour per address, enough for someone who lost one and too few to flood a mailbox;
# more per network address, for an office behind one.
LINKS_PER_ADDRESS = 3
LINKS_PER_NETWORK = 20
RATE_WINDOW = timedelta(hours=1)


def _within_rate(key: str, limit: int) -> bool:
    rates = caches["rates"]
    window = int(clock.now().timestamp() // RATE_WINDOW.total_seconds())
    digest = hashlib.sha256(key.encode()).hexdigest()
    counter = f"portal-link:{digest}:{window}"
    rates.add(counter, 0, timeout=int(RATE_WINDOW.total_seconds()) + 1)
    try:
        return rates.incr(counter) <= limit
    except ValueError:
        rates.add(counter, 1, timeout=int(RATE_WINDOW.total_seconds()) + 1)
        return True


def request_sign_in_link(*, address: str, network_address: str | None) -> None:
    """Mails a sign-in link to ``address`` if a customer has it. Whether one does is never told:
    the request only queues the mail, and the worker looks the address up, so the answer and its
    time are the same either way."""
    from attenda.portal.tasks import mail_sign_in_link

    address = address.strip().lower()
    if not _within_rate(f"network:{network_address or 'unknown'}", LINKS_PER_NETWORK):
        logger.warning("Portal sign-in link refused: too many from one network address")
        return
    if not _within_rate(f"address:{address}", LINKS_PER_ADDRESS):
        logger.warning("Portal sign-in link refused: too many for one address")
        return
    mail_sign_in_link.enqueue_on_commit(address)


def customer_with_address(address: str) -> Customer | None:
    identity = (
        Identity.objects.select_related("customer")
        .filter(kind=IdentityKind.EMAIL, value=address.strip().lower())
        .first()
    )
    return survivor(identity.customer) if identity is not None else None


def new_sign_in_link(*, address: str) -> str:
    """A fresh single-use link for ``address``, valid PORTAL_LINK_SECONDS; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    SignInLink.objects.create(
        address=address,
        token_hash=SignInLink.hash(token),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.PORTAL_LINK_SECONDS),
    )
    return settings.BASE_URL + reverse("portal_link", args=[token])


@transaction.atomic
def use_sign_in_link(*, token: str) -> tuple[Customer, str] | None:
    """The customer the link signs in, and the address it was mailed to; None when the link is
    unknown, used or expired. Used once whatever happens next: the conditional update lets only
    one of two simultaneous uses through."""
    now = clock.now()
    link = SignInLink.objects.filter(token_hash=SignInLink.hash(token)).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    if SignInLink.objects.filter(pk=link.pk, used_at=None).update(used_at=now) != 1:
        return None
    customer = customer_with_address(link.address)
    if customer is None:
        return None
    audit.record(actor=None, action="portal.signed_in", target=customer, address=link.address)
    return customer, link.address


def signed_in_customer(*, customer_id: int, address: str) -> Customer | None:
    """The customer of a portal session, while the address they signed in with is still theirs (an
    agent may have moved it to another record, or removed it)."""
    current = customer_with_address(address)
    if current is None:
        return None
    if current.pk != customer_id:
        # A merge moved the address to the survivor: the session follows it there, nowhere else.
        signed_in = Customer.objects.filter(pk=customer_id).first()
        if signed_in is None or survivor(signed_in).pk != current.pk:
            return None
    return current


def _current(ticket: Ticket) -> Ticket:
    while ticket.merged_into_id is not None:
        ticket = ticket.merged_into
    return ticket


def reply_as_customer(
    *, customer: Customer, ticket: Ticket, body: str, files: list[InboundFile]
) -> Received:
    """The customer's own message on their ticket, as if it came by any channel: through
    receive(), threaded by the ticket's number (a merged ticket's goes to the one it joined; a
    closed one's opens a new ticket)."""
    if ticket.customer_id != survivor(customer).pk:
        raise PermissionDenied
    if not body.strip():
        raise ValidationError({"body": _("Write a message first.")})
    return receive(
        Inbound(
            channel=Channel.WEB,
            claims=[],
            customer_id=customer.pk,
            body=body,
            ticket_number=_current(ticket).pk,
            language=customer.language,
            files=files,
            entry_data={"portal": True},
        )
    )


def mark_solved(*, customer: Customer, ticket: Ticket) -> Ticket:
    return solve_for_customer(ticket=_current(ticket), customer=customer)

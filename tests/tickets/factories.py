"""Tickets are made through ``receive()``, the way they arrive in real life."""

from attenda.channels.email.models import Mailbox
from attenda.customers.services import IdentityClaim
from attenda.tickets.messages import Inbound
from attenda.tickets.models import Channel, Ticket
from attenda.tickets.services import receive


def outgoing_mailbox(address: str = "support@attenda.example") -> Mailbox:
    """A mailbox replies by email leave from; without one they cannot be sent."""
    return Mailbox.objects.create(address=address, name="Support")


def received_ticket(
    *,
    email: str = "maria@example.com",
    name: str = "Maria Santos",
    body: str = "A minha fatura está errada.",
    subject: str = "Fatura de outubro",
    channel: Channel = Channel.EMAIL,
    team=None,
    language: str = "pt",
    **fields,
) -> Ticket:
    return receive(
        Inbound(
            channel=channel,
            claims=[IdentityClaim(kind="email", value=email)],
            sender_name=name,
            subject=subject,
            body=body,
            language=language,
            team_id=team.pk if team else None,
            **fields,
        )
    ).ticket

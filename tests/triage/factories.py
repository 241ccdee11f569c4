"""Messages as customers write them, for triage's desk tests, and a way to receive one."""

from attenda.customers.services import IdentityClaim
from attenda.tickets.messages import Inbound
from attenda.tickets.models import Channel
from attenda.tickets.services import Received, receive

COMPLAINT_PT = (
    "Quero apresentar uma reclamação formal: cobraram-me duas vezes a fatura de outubro e"
    " ninguém resolve o problema."
)
QUESTION_ES = "Hola, ¿podrían decirme a qué hora abre la tienda de Valencia el sábado?"
QUESTION_RO = "Bună ziua, aș dori să știu cum pot schimba adresa de facturare. Mulțumesc!"
QUESTION_PL = "Dzień dobry, chciałbym zapytać, jak mogę zmienić adres do faktury. Dziękuję."
QUESTION_EN = "Hello, could you tell me how I can change the address on my bill? Thank you."
ANGRY_EN = (
    "This is absolutely unacceptable! I am furious: this is the third time I write and nobody"
    " answers. Fix my internet connection now!"
)
LEAVING_PT = (
    "Se não resolverem isto esta semana vou cancelar o contrato e entregar o caso a um advogado."
)
ABUSIVE_EN = (
    "You are useless idiots, all of you. Stupid morons, fix my bill or I will make you regret it."
)
ABUSIVE_COMPLAINT_PT = (
    "Quero fazer uma reclamação sobre a fatura cobrada duas vezes. Vocês são uns idiotas"
    " incompetentes, seus imbecis!"
)


def customer_writes(
    body: str,
    *,
    team=None,
    email: str = "maria@example.com",
    name: str = "Maria Santos",
    subject: str = "",
    ticket=None,
    language: str = "",
    channel: Channel = Channel.EMAIL,
    **fields,
) -> Received:
    return receive(
        Inbound(
            channel=channel,
            claims=[IdentityClaim(kind="email", value=email)],
            sender_name=name,
            subject=subject,
            body=body,
            language=language,
            team_id=team.pk if team else None,
            ticket_number=ticket.pk if ticket else None,
            **fields,
        )
    )

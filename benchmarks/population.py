"""What a large Attenda looks like: teams of very different sizes, customers writing in five languages,
a few years of tickets of which about a tenth are still open, and a short timeline on each.

Rows come out as tuples in the order of the field names given beside each generator, with ids
assigned here so that tickets, entries and tags can point at each other without reading anything
back. Timestamps are UTC text in the form Django itself stores and compares on SQLite."""

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from attenda.tickets.models import Channel, EntryKind, Kind, Priority, Status

# (name, share of all tickets): a front line that takes over a quarter of the traffic and a long
# tail of specialists, so one team's open list is deep enough to page 500 times.
TEAMS = [
    ("Customer care", 28),
    ("Billing", 14),
    ("Technical support", 10),
    ("Mobile", 8),
    ("Fixed broadband", 6),
    ("Television", 5),
    ("Complaints", 4),
    ("Retention", 4),
    ("Business customers", 3),
    ("Field service", 3),
    ("Orders and delivery", 3),
    ("Payments and collections", 2),
    ("Warranty and repairs", 2),
    ("Online shop", 2),
    ("Social media", 2),
    ("Moves and transfers", 1),
    ("Roaming", 1),
    ("Accessibility", 1),
    ("Energy", 0.5),
    ("Insurance", 0.5),
]

LANGUAGES = {"pt": 35, "es": 25, "ro": 15, "pl": 15, "en": 10}
COUNTRIES = {"pt": "PT", "es": "ES", "ro": "RO", "pl": "PL", "en": "GB"}
PHONE_PREFIXES = {"pt": "+3519", "es": "+346", "ro": "+407", "pl": "+485", "en": "+447"}
MAIL_DOMAINS = ["gmail.com", "outlook.com", "sapo.pt", "yahoo.es", "wp.pl", "yahoo.ro", "mail.com"]
TIME_ZONES = {
    "pt": "Europe/Lisbon",
    "es": "Europe/Madrid",
    "ro": "Europe/Bucharest",
    "pl": "Europe/Warsaw",
    "en": "Europe/London",
}

KINDS = {
    Kind.QUESTION: 40,
    Kind.COMPLAINT: 15,
    Kind.TECHNICAL_SERVICE: 15,
    Kind.ORDER: 10,
    Kind.CONCERN: 8,
    Kind.WARRANTY_CLAIM: 7,
    Kind.SUGGESTION: 5,
}
CHANNELS = {
    Channel.EMAIL: 40,
    Channel.PHONE: 25,
    Channel.CHAT: 15,
    Channel.WEB: 8,
    Channel.COUNTER: 5,
    Channel.SOCIAL: 5,
    Channel.API: 2,
}
PRIORITIES = {Priority.LOW: 15, Priority.NORMAL: 60, Priority.HIGH: 20, Priority.URGENT: 5}
OPEN_STATUSES = {
    Status.NEW: 20,
    Status.OPEN: 35,
    Status.WAITING_ON_CUSTOMER: 35,
    Status.WAITING_ON_THIRD_PARTY: 10,
}
# Chance that a ticket is still open, by age in days: recent ones mostly, then a long backlog.
OPEN_BY_AGE = [(7, 0.85), (30, 0.5), (180, 0.2), (None, 0.08)]
HISTORY_DAYS = 3 * 365

FIRST_NAMES = {
    "pt": "Maria Ana João José Pedro Rita Inês Tiago Beatriz Miguel Sofia Rui Catarina Nuno Joana Luís Marta Duarte Carolina Francisco",
    "es": "Lucía Sofía Martina María Pablo Hugo Daniel Alejandro Carmen Javier Elena Sergio Laura Diego Paula Álvaro Marta Adrián Irene Manuel",
    "ro": "Andrei Ioana Alexandru Elena Mihai Maria Ștefan Ana Gabriel Andreea Cristian Diana Ionuț Raluca Vlad Bianca Florin Alina Radu Mădălina",
    "pl": "Anna Piotr Katarzyna Krzysztof Maria Tomasz Małgorzata Paweł Agnieszka Michał Zofia Jakub Magdalena Marcin Ewa Łukasz Joanna Grzegorz Aleksandra Wojciech",
    "en": "Olivia Jack Emily Harry Amelia George Isla Oliver Sophie Thomas Grace James Chloe William Lucy Daniel Ella Samuel Mia Joseph",
}
LAST_NAMES = {
    "pt": "Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Jesus Sousa Fernandes Gonçalves Gomes Lopes Marques Alves Almeida Ribeiro Pinto Carvalho",
    "es": "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Navarro",
    "ro": "Popescu Ionescu Popa Pop Radu Dumitru Stan Stoica Gheorghe Matei Ciobanu Rusu Munteanu Constantin Marin Florea Dinu Tudor Ene Moldovan",
    "pl": "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski Nowakowski Pawłowski",
    "en": "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White Roberts Green Hall Wood Jackson Clarke",
}
SUBJECTS = {
    "pt": [
        "Fatura {ref} com valor errado",
        "Sem internet desde ontem",
        "Pedido de cancelamento do contrato {ref}",
        "Reclamação sobre o atendimento na loja",
        "Não recebi a encomenda {ref}",
        "Quero mudar de tarifário",
        "O telemóvel avariou dentro da garantia",
        "Cobrança duplicada no cartão",
    ],
    "es": [
        "Factura {ref} con importe incorrecto",
        "Sin conexión a internet desde ayer",
        "Solicitud de baja del contrato {ref}",
        "Queja sobre la atención en tienda",
        "No he recibido el pedido {ref}",
        "Quiero cambiar de tarifa",
        "El móvil se ha estropeado en garantía",
        "Cargo duplicado en la tarjeta",
    ],
    "ro": [
        "Factura {ref} are o sumă greșită",
        "Nu am internet de ieri",
        "Cerere de reziliere a contractului {ref}",
        "Reclamație despre servirea din magazin",
        "Nu am primit comanda {ref}",
        "Vreau să schimb abonamentul",
        "Telefonul s-a defectat în garanție",
        "Plată dublă pe card",
    ],
    "pl": [
        "Faktura {ref} z błędną kwotą",
        "Brak internetu od wczoraj",
        "Wniosek o rozwiązanie umowy {ref}",
        "Skarga na obsługę w salonie",
        "Nie otrzymałem zamówienia {ref}",
        "Chcę zmienić taryfę",
        "Telefon zepsuł się na gwarancji",
        "Podwójne obciążenie karty",
    ],
    "en": [
        "Invoice {ref} shows the wrong amount",
        "No internet since yesterday",
        "Request to cancel contract {ref}",
        "Complaint about the service in the shop",
        "Order {ref} never arrived",
        "I want to change my plan",
        "My phone broke under warranty",
        "Charged twice on my card",
    ],
}
CUSTOMER_SENTENCES = {
    "pt": [
        "Bom dia, escrevo porque o problema continua.",
        "Já liguei duas vezes e ninguém me resolveu nada.",
        "O valor cobrado este mês é muito superior ao habitual.",
        "Preciso que me enviem a segunda via da fatura.",
        "O técnico não apareceu na hora marcada.",
        "Agradeço uma resposta com a maior brevidade possível.",
        "Junto envio o comprovativo de pagamento.",
        "A ligação cai várias vezes por dia, sobretudo à noite.",
    ],
    "es": [
        "Buenos días, les escribo porque el problema sigue.",
        "He llamado dos veces y nadie me lo ha resuelto.",
        "El importe de este mes es mucho mayor de lo normal.",
        "Necesito un duplicado de la factura.",
        "El técnico no vino a la hora acordada.",
        "Les agradecería una respuesta lo antes posible.",
        "Adjunto el justificante de pago.",
        "La conexión se corta varias veces al día, sobre todo por la noche.",
    ],
    "ro": [
        "Bună ziua, vă scriu pentru că problema continuă.",
        "Am sunat de două ori și nimeni nu a rezolvat nimic.",
        "Suma facturată luna aceasta este mult mai mare decât de obicei.",
        "Am nevoie de un duplicat al facturii.",
        "Tehnicianul nu a venit la ora stabilită.",
        "Aștept un răspuns cât mai repede.",
        "Atașez dovada plății.",
        "Conexiunea se întrerupe de mai multe ori pe zi, mai ales seara.",
    ],
    "pl": [
        "Dzień dobry, piszę, bo problem nadal występuje.",
        "Dzwoniłem dwa razy i nikt mi nie pomógł.",
        "Kwota w tym miesiącu jest dużo wyższa niż zwykle.",
        "Proszę o duplikat faktury.",
        "Technik nie przyszedł o umówionej godzinie.",
        "Proszę o szybką odpowiedź.",
        "W załączniku przesyłam potwierdzenie płatności.",
        "Połączenie zrywa się kilka razy dziennie, zwłaszcza wieczorem.",
    ],
    "en": [
        "Hello, I am writing because the problem is still there.",
        "I have called twice and nobody has sorted it out.",
        "This month's bill is much higher than usual.",
        "Please send me a copy of the invoice.",
        "The technician did not turn up at the agreed time.",
        "I would appreciate an answer as soon as possible.",
        "I attach the proof of payment.",
        "The connection drops several times a day, especially in the evening.",
    ],
}
AGENT_SENTENCES = {
    "pt": [
        "Obrigado pelo seu contacto.",
        "Verifiquei a sua conta e encontrei o erro na faturação.",
        "O crédito será refletido na próxima fatura.",
        "Agendei uma nova visita técnica para amanhã de manhã.",
        "Pode confirmar-nos o seu NIF, por favor?",
        "Lamentamos o incómodo causado.",
    ],
    "es": [
        "Gracias por contactar con nosotros.",
        "He revisado su cuenta y he encontrado el error en la factura.",
        "El abono aparecerá en su próxima factura.",
        "He programado una nueva visita técnica para mañana por la mañana.",
        "¿Puede confirmarnos su DNI, por favor?",
        "Lamentamos las molestias.",
    ],
    "ro": [
        "Vă mulțumim că ne-ați contactat.",
        "Am verificat contul și am găsit eroarea de facturare.",
        "Creditul va apărea pe factura următoare.",
        "Am programat o nouă vizită tehnică mâine dimineață.",
        "Ne puteți confirma CNP-ul, vă rog?",
        "Ne pare rău pentru neplăcere.",
    ],
    "pl": [
        "Dziękujemy za kontakt.",
        "Sprawdziłem konto i znalazłem błąd w rozliczeniu.",
        "Korekta pojawi się na następnej fakturze.",
        "Umówiłem nową wizytę technika na jutro rano.",
        "Czy może Pan potwierdzić numer PESEL?",
        "Przepraszamy za niedogodności.",
    ],
    "en": [
        "Thank you for getting in touch.",
        "I checked your account and found the billing error.",
        "The credit will show on your next invoice.",
        "I booked a new technician visit for tomorrow morning.",
        "Could you confirm your date of birth, please?",
        "We are sorry for the trouble.",
    ],
}
NOTES = [
    "Customer is a long-standing client; offered a goodwill credit.",
    "Waiting for the network team to confirm the outage window.",
    "Asked the supplier for a replacement unit.",
    "Checked the last three invoices, only this one is wrong.",
]
TAGS = [
    "billing", "outage", "fibre", "mobile", "tv", "refund", "cancellation", "vip", "repeat-contact",
    "legal-deadline", "field-visit", "supplier", "roaming", "porting", "payment-plan",
    "social-tariff", "warranty", "delivery", "abuse", "press",
]  # fmt: skip

TICKET_FIELDS = (
    "id", "customer", "customer_name", "subject", "kind", "status", "priority", "channel",
    "language", "team", "owner", "created_at", "updated_at", "waiting_since", "first_response_at",
    "solved_at", "handoff_count", "pinned_handoff", "merged_into", "legal_deadline",
    "legal_consequence", "deemed_accepted", "service_clock", "preview",
)  # fmt: skip
ENTRY_FIELDS = (
    "id", "ticket", "kind", "created_at", "author_agent", "author_customer", "channel", "body",
    "language", "external_id", "data", "raw", "delivery", "delivery_note",
)  # fmt: skip
TICKET_TAG_FIELDS = ("id", "ticket_id", "tag_id")
CUSTOMER_FIELDS = (
    "id", "name", "organization", "language", "country", "notes", "merged_into", "created_at",
    "updated_at",
)  # fmt: skip
IDENTITY_FIELDS = (
    "id", "customer", "kind", "value", "created_at", "undeliverable_since", "undeliverable_reason",
)  # fmt: skip

EPOCH = datetime(1970, 1, 1, tzinfo=UTC).replace(tzinfo=None)
DAY = 86_400_000_000  # microseconds
HOUR = DAY // 24


def stamp(microseconds: int) -> str:
    return str(EPOCH + timedelta(microseconds=microseconds))


def picker(weights: dict) -> list:
    """A table of 1000 slots filled in proportion to the weights: one index is one weighted pick."""
    total = sum(weights.values())
    table = []
    for value, weight in weights.items():
        plain = value.value if isinstance(value, Enum) else value
        table.extend([plain] * round(1000 * weight / total))
    return (table + [table[-1]] * 1000)[:1000]


@dataclass(frozen=True)
class Size:
    tickets: int
    entries_per_ticket: int = 3
    customers: int = 0
    teams: int = len(TEAMS)
    agents: int = 200
    organizations: int = 2000

    @property
    def customer_count(self) -> int:
        return self.customers or max(100, self.tickets // 5)


@dataclass
class Staff:
    """The people tickets can belong to, as loaded: team ids and each team's agent ids."""

    team_ids: list[int]
    agents_by_team: dict[int, list[int]]
    all_agents: list[int]


class Population:
    def __init__(self, size: Size, *, now: datetime, seed: int = 20251125) -> None:
        self.size = size
        self.random = random.Random(seed)
        self.now = int(now.timestamp() * 1_000_000)
        self.start = self.now - HISTORY_DAYS * DAY
        self.languages = picker(LANGUAGES)
        self.customer_languages: list[str] = []
        self.customer_names: list[str] = []
        self.ticket_tag_rows = 0

    # People -------------------------------------------------------------------------------------

    def team_names(self) -> list[str]:
        names = [name for name, _share in TEAMS[: self.size.teams]]
        return names + [f"Team {n}" for n in range(len(names) + 1, self.size.teams + 1)]

    def agents(self, team_ids: Sequence[int]) -> Iterator[dict]:
        """Two admins outside any team, a supervisor leading each team, and agents spread over the
        teams in proportion to their traffic; one agent in ten also sits in a second team."""
        r = self.random
        seats = picker(dict(zip(team_ids, self.team_shares(len(team_ids)), strict=True)))
        for n in range(1, self.size.agents + 1):
            language = self.languages[int(r.random() * 1000)]
            if n <= 2:
                role, teams = "admin", []
            elif n - 3 < len(team_ids):
                role, teams = "supervisor", [team_ids[n - 3]]
            else:
                role, teams = "agent", [seats[int(r.random() * 1000)]]
                if r.random() < 0.1:
                    teams.append(r.choice(team_ids))
            yield {
                "username": f"agent{n:04d}",
                "first_name": r.choice(FIRST_NAMES[language].split()),
                "last_name": r.choice(LAST_NAMES[language].split()),
                "email": f"agent{n:04d}@attenda.example",
                "role": role,
                "language": language,
                "time_zone": TIME_ZONES[language],
                "languages_spoken": sorted({language, "en"}),
                "teams": sorted(set(teams)),
            }

    @staticmethod
    def team_shares(count: int) -> list[float]:
        shares = [share for _name, share in TEAMS[:count]]
        return shares + [1] * (count - len(shares))

    def organization_names(self) -> list[str]:
        return [f"Organization {n:05d}" for n in range(1, self.size.organizations + 1)]

    def customers(self) -> Iterator[tuple]:
        r = self.random
        rand = r.random
        languages = self.languages
        organizations = self.size.organizations
        first_names = {lang: names.split() for lang, names in FIRST_NAMES.items()}
        last_names = {lang: names.split() for lang, names in LAST_NAMES.items()}
        count = self.size.customer_count
        for n in range(1, count + 1):
            language = languages[int(rand() * 1000)]
            first = first_names[language]
            last = last_names[language]
            name = f"{first[int(rand() * len(first))]} {last[int(rand() * len(last))]}"
            if language in ("pt", "es"):
                name = f"{name} {last[int(rand() * len(last))]}"
            self.customer_languages.append(language)
            self.customer_names.append(name)
            created = self.start + int(rand() * (n / count) * HISTORY_DAYS * DAY)
            organization = int(rand() * organizations) + 1 if rand() < 0.1 else None
            yield (
                n,
                name,
                organization,
                language,
                COUNTRIES[language],
                "",
                None,
                stamp(created),
                stamp(created),
            )

    def identities(self) -> Iterator[tuple]:
        """Every customer has an email address, six in ten a phone number too."""
        rand = self.random.random
        identity_id = 0
        for n, (language, name) in enumerate(
            zip(self.customer_languages, self.customer_names, strict=True), start=1
        ):
            created = stamp(self.start + int(rand() * HISTORY_DAYS * DAY))
            local = name.split()[0].lower().encode("ascii", "ignore").decode() or "client"
            domain = MAIL_DOMAINS[n % len(MAIL_DOMAINS)]
            identity_id += 1
            yield (identity_id, n, "email", f"{local}.{n}@{domain}", created, None, "")
            if rand() < 0.6:
                identity_id += 1
                yield (
                    identity_id, n, "phone", f"{PHONE_PREFIXES[language]}{n:08d}", created, None, ""
                )  # fmt: skip

    # Tickets ------------------------------------------------------------------------------------

    def ticket_blocks(
        self, staff: Staff, tag_ids: Sequence[int], *, block: int = 50_000
    ) -> Iterator[tuple[list[tuple], list[tuple], list[tuple]]]:
        """Tickets in id order (which is the order they arrived), each with its timeline and tags,
        a block at a time."""
        for first in range(1, self.size.tickets + 1, block):
            yield self._tickets(staff, tag_ids, first, min(first + block, self.size.tickets + 1))

    def _tickets(
        self, staff: Staff, tag_ids: Sequence[int], first: int, stop: int
    ) -> tuple[list[tuple], list[tuple], list[tuple]]:
        r = self.random
        rand = r.random
        n_tickets = self.size.tickets
        per_ticket = self.size.entries_per_ticket
        customers = self.size.customer_count
        names = self.customer_names
        customer_languages = self.customer_languages
        kinds, channels, priorities = picker(KINDS), picker(CHANNELS), picker(PRIORITIES)
        open_statuses = picker(OPEN_STATUSES)
        teams = picker(
            dict(zip(staff.team_ids, self.team_shares(len(staff.team_ids)), strict=True))
        )
        agents_by_team = staff.agents_by_team
        all_agents = staff.all_agents
        now, start, span = self.now, self.start, self.now - self.start
        tickets, entries, tags = [], [], []
        for ticket_id in range(first, stop):
            # Frequent customers: ids near 1 write far more often than the rest.
            customer = int(customers * rand() ** 1.5) + 1
            language = customer_languages[customer - 1] if rand() < 0.95 else "en"
            created = start + int(span * (ticket_id - 0.5) / n_tickets) + int((rand() - 0.5) * HOUR)
            created = min(created, now - 60_000_000)
            age_days = (now - created) / DAY
            chance_open = next(p for limit, p in OPEN_BY_AGE if limit is None or age_days < limit)
            team = teams[int(rand() * 1000)] if rand() >= 0.01 else None
            colleagues = agents_by_team.get(team) or all_agents
            channel = channels[int(rand() * 1000)]
            handoffs = 0
            pinned = None
            if rand() < chance_open:
                status = open_statuses[int(rand() * 1000)]
                if status == Status.NEW:
                    owner = colleagues[int(rand() * len(colleagues))] if rand() < 0.2 else None
                    waiting = updated = created
                    first_response = None
                else:
                    owner = colleagues[int(rand() * len(colleagues))] if rand() < 0.7 else None
                    waiting = updated = created + int((now - created) * (0.05 + 0.95 * rand()))
                    first_response = created + (updated - created) // 3
                solved = None
            else:
                status = "solved" if age_days < 14 or rand() < 0.1 else "closed"
                owner = colleagues[int(rand() * len(colleagues))] if rand() < 0.95 else None
                took = min(int(HOUR + rand() * rand() * 20 * DAY), now - created - 1)
                solved = waiting = updated = created + took
                first_response = created + took // 4
            if team is None:
                owner = None
            handoff_draw = rand()
            if handoff_draw < 0.03:
                handoffs = 2
            elif handoff_draw < 0.15:
                handoffs = 1
            if per_ticket:
                timeline = self._timeline(
                    ticket_id,
                    status=status,
                    channel=channel,
                    language=language,
                    customer=customer,
                    owner=owner,
                    team=team,
                    agent=owner or colleagues[int(rand() * len(colleagues))],
                    created=created,
                    updated=updated,
                    handoffs=handoffs,
                )
                entries.extend(timeline)
                if handoffs and status not in (Status.SOLVED, Status.CLOSED):
                    pinned = timeline[-1][0] if timeline[-1][2] == EntryKind.TRANSFER else None
            subjects = SUBJECTS[language]
            subject = subjects[int(rand() * len(subjects))].format(
                ref=f"{2023 + int(rand() * 3)}/{int(rand() * 1_000_000):06d}"
            )
            tickets.append(
                (
                    ticket_id,
                    customer,
                    names[customer - 1],
                    subject,
                    kinds[int(rand() * 1000)],
                    status,
                    priorities[int(rand() * 1000)],
                    channel,
                    language,
                    team,
                    owner,
                    stamp(created),
                    stamp(updated),
                    stamp(waiting),
                    stamp(first_response) if first_response is not None else None,
                    stamp(solved) if solved is not None else None,
                    handoffs,
                    pinned,
                    None,
                    None,  # legal deadlines are not part of these measurements yet
                    "",
                    False,
                    "{}",  # nor service levels (benchmarks/service_levels_bench.py measures them)
                    subject,  # a preview of the inbox row's length
                )
            )
            if rand() < 0.25:
                for tag in r.sample(tag_ids, 1 if rand() < 0.7 else 2):
                    self.ticket_tag_rows += 1
                    tags.append((self.ticket_tag_rows, ticket_id, tag))
        return tickets, entries, tags

    def _timeline(
        self,
        ticket_id: int,
        *,
        status: str,
        channel: str,
        language: str,
        customer: int,
        owner: int | None,
        team: int | None,
        agent: int,
        created: int,
        updated: int,
        handoffs: int,
    ) -> list[tuple]:
        """The customer's first contact, then the conversation, ending with what put the ticket in
        its status: a status change, a transfer, a reply or another message."""
        rand = self.random.random
        count = self.size.entries_per_ticket
        said = CUSTOMER_SENTENCES[language]
        answered = AGENT_SENTENCES[language]
        first_kind = EntryKind.MESSAGE
        if channel == Channel.PHONE:
            first_kind = EntryKind.CALL
        elif channel == Channel.COUNTER:
            first_kind = EntryKind.VISIT
        if status == Status.NEW:
            closing = (EntryKind.MESSAGE, None)
        elif handoffs and status not in (Status.SOLVED, Status.CLOSED):
            closing = (EntryKind.TRANSFER, None)
        elif status == Status.OPEN:
            closing = (EntryKind.MESSAGE, None)
        elif status == Status.WAITING_ON_THIRD_PARTY:
            closing = (EntryKind.NOTE, None)
        else:
            before = Status.SOLVED if status == Status.CLOSED else Status.OPEN
            closing = (EntryKind.STATUS_CHANGE, {"from": before.value, "to": str(status)})
        middle = EntryKind.MESSAGE if status == Status.NEW else EntryKind.REPLY
        kinds = [first_kind]
        while len(kinds) < count - 1:
            kinds.append(middle if len(kinds) % 2 else EntryKind.MESSAGE)
        kinds = [*kinds, closing[0]][:count] if count > 1 else kinds[:count]
        rows = []
        step = (updated - created) // max(count - 1, 1)
        first_id = (ticket_id - 1) * count + 1
        for position, kind in enumerate(kinds):
            when = updated if position == count - 1 else created + step * position
            data = "{}"
            author_agent = author_customer = None
            external_id = None
            entry_channel = ""
            entry_language = ""
            if kind in (EntryKind.MESSAGE, EntryKind.CALL, EntryKind.VISIT):
                author_customer = customer
                author_agent = agent if kind != EntryKind.MESSAGE else None
                entry_channel, entry_language = channel, language
                body = " ".join(said[int(rand() * len(said))] for _ in range(2 + int(rand() * 3)))
                if channel == Channel.EMAIL:
                    external_id = f"<{ticket_id}.{position}.{int(rand() * 1e9)}@mail.example>"
            elif kind == EntryKind.REPLY:
                author_agent = agent
                entry_channel, entry_language = channel, language
                body = " ".join(
                    answered[int(rand() * len(answered))] for _ in range(2 + int(rand() * 3))
                )
            elif kind == EntryKind.NOTE:
                author_agent = agent
                body = NOTES[int(rand() * len(NOTES))]
            elif kind == EntryKind.TRANSFER:
                author_agent = agent
                body = NOTES[int(rand() * len(NOTES))]
                data = json.dumps(
                    {"from_agent": agent, "from_team": team, "to_agent": owner, "to_team": team}
                )
            else:
                author_agent = agent
                body = ""
                data = json.dumps(closing[1] or {})
            rows.append(
                (
                    first_id + position,
                    ticket_id,
                    kind.value,
                    stamp(when),
                    author_agent,
                    author_customer,
                    entry_channel,
                    body,
                    entry_language,
                    external_id,
                    data,
                    None,
                    "sent" if kind == EntryKind.REPLY else "",
                    "",
                )
            )
        return rows

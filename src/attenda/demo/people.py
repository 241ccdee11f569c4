"""Who works at the demo's support desk and who its customers are: names, languages, time zones,
and the email addresses and phone numbers of five countries."""

import random
import unicodedata
from dataclasses import dataclass

from attenda.agents.models import Role


@dataclass(frozen=True)
class TeamSpec:
    key: str
    name: str


TEAMS = [
    TeamSpec("billing", "Billing"),
    TeamSpec("technical", "Technical support"),
    TeamSpec("complaints", "Complaints"),
]


@dataclass(frozen=True)
class AgentSpec:
    username: str
    full_name: str
    role: Role
    language: str
    time_zone: str
    languages_spoken: tuple[str, ...]
    teams: tuple[str, ...]


AGENTS = [
    AgentSpec("marta", "Marta Ribeiro", Role.ADMIN, "pt", "Europe/Lisbon", ("pt", "en", "es"), ()),
    AgentSpec(
        "javier",
        "Javier Moreno",
        Role.SUPERVISOR,
        "es",
        "Europe/Madrid",
        ("es", "pt", "en"),
        ("billing", "complaints"),
    ),
    AgentSpec(
        "ioana",
        "Ioana Popescu",
        Role.SUPERVISOR,
        "ro",
        "Europe/Bucharest",
        ("ro", "en"),
        ("technical",),
    ),
    AgentSpec(
        "joao", "João Almeida", Role.AGENT, "pt", "Europe/Lisbon", ("pt", "es"), ("billing",)
    ),
    AgentSpec(
        "ines", "Inês Carvalho", Role.AGENT, "pt", "Europe/Lisbon", ("pt", "en"), ("technical",)
    ),
    AgentSpec(
        "lucia",
        "Lucía Fernández",
        Role.AGENT,
        "es",
        "Europe/Madrid",
        ("es", "en"),
        ("technical", "complaints"),
    ),
    AgentSpec(
        "andrei", "Andrei Ionescu", Role.AGENT, "ro", "Europe/Bucharest", ("ro", "en"), ("billing",)
    ),
    AgentSpec(
        "katarzyna",
        "Katarzyna Nowak",
        Role.AGENT,
        "pl",
        "Europe/Warsaw",
        ("pl", "en"),
        ("complaints", "billing"),
    ),
    AgentSpec(
        "piotr", "Piotr Wiśniewski", Role.AGENT, "pl", "Europe/Warsaw", ("pl", "en"), ("technical",)
    ),
    AgentSpec(
        "emily",
        "Emily Clarke",
        # An admin who also works tickets, in English: the one a visitor is asked to sign in as.
        Role.ADMIN,
        "en",
        "Europe/London",
        ("en", "pt", "ro"),
        ("complaints",),
    ),
]
AGENT_EMAIL_DOMAIN = "lumen.example"

# Share of customers per language, and the country each language's customers live in.
LANGUAGE_WEIGHTS = {"pt": 32, "es": 20, "ro": 16, "pl": 16, "en": 16}
COUNTRY = {"pt": "PT", "es": "ES", "ro": "RO", "pl": "PL", "en": "GB"}

FIRST_NAMES = {
    "pt": "Maria Ana João José Francisco Beatriz Catarina Rui Tiago Sofia Inês Pedro Miguel Rita"
    " Mariana Luís Carla Paulo Helena Diogo Filipa Nuno Joana Ricardo",
    "es": "Lucía Carmen Javier Alejandro Sofía Pablo Elena Daniel Marta Sergio Laura Carlos Paula"
    " Manuel Irene Álvaro Nuria Raúl",
    "ro": "Andrei Maria Elena Alexandru Ioana Mihai Ana Gabriel Cristina Florin Diana Bogdan Raluca"
    " Adrian Ștefan Oana Vlad",
    "pl": "Anna Piotr Katarzyna Krzysztof Agnieszka Tomasz Małgorzata Paweł Joanna Michał Magdalena"
    " Marcin Ewa Łukasz Zofia Jakub",
    "en": "Oliver Emily Harry Sophie James Charlotte George Amelia Thomas Grace William Chloe Jack"
    " Lucy Daniel Priya Mohammed",
}
LAST_NAMES = {
    "pt": "Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Sousa Fernandes Gonçalves"
    " Gomes Lopes Marques Alves Almeida Ribeiro Pinto Carvalho Teixeira",
    "es": "García Martínez López Sánchez González Pérez Rodríguez Fernández Gómez Díaz Moreno"
    " Muñoz Álvarez Romero Navarro Torres Ruiz",
    "ro": "Popescu Ionescu Popa Pop Radu Dumitru Stan Stoica Gheorghe Matei Ciobanu Rusu Munteanu"
    " Constantin Marin Tudor",
    # Surnames that do not change with gender, so any first name fits.
    "pl": "Nowak Wójcik Kowalczyk Woźniak Mazur Krawczyk Kaczmarek Zając Król Wieczorek Wróbel"
    " Dudek Adamczyk Pawlak Sikora",
    "en": "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Wright Walker Evans Thomas"
    " Roberts Clarke Khan",
}
EMAIL_DOMAINS = {
    "pt": ["gmail.com", "sapo.pt", "hotmail.com", "outlook.pt"],
    "es": ["gmail.com", "hotmail.es", "yahoo.es", "outlook.es"],
    "ro": ["gmail.com", "yahoo.ro", "yahoo.com"],
    "pl": ["gmail.com", "wp.pl", "onet.pl", "o2.pl"],
    "en": ["gmail.com", "btinternet.com", "outlook.com", "yahoo.co.uk"],
}
ORGANIZATIONS = {
    "pt": ["Padaria Aurora, Lda.", "Clínica Dentária do Bonfim", "Oficina Auto Marques"],
    "es": ["Construcciones Sierra S.L.", "Farmacia Ruiz", "Gestoría Levante"],
    "ro": ["Agromec SRL", "Cabinet Avocatură Radu", "Brutăria Sf. Ana"],
    "pl": ["Piekarnia Złoty Kłos sp. z o.o.", "Biuro Rachunkowe Mazur", "Auto-Serwis Dudek"],
    "en": ["Brightside Lettings Ltd", "Harbour Dental Practice", "Kettle & Crumb Café"],
}
SOCIAL_NETWORKS = ["facebook", "instagram", "x"]

_ASCII_FALLBACKS = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "ß": "ss"})


def ascii_name(text: str) -> str:
    """``João Gonçalves`` becomes ``joao.goncalves``, as people write their own email addresses."""
    folded = unicodedata.normalize("NFKD", text.translate(_ASCII_FALLBACKS))
    plain = "".join(character for character in folded if not unicodedata.combining(character))
    return ".".join(plain.lower().split())


def national_phone_number(rng: random.Random, language: str) -> str:
    """A mobile number written the way a customer of that country types it."""
    digits = "".join(str(rng.randint(0, 9)) for _digit in range(8))
    if language == "pt":
        return f"9{rng.choice('1236')}{digits[0]} {digits[1:4]} {digits[4:7]}"
    if language == "es":
        return f"6{digits[0:2]} {digits[2:5]} {digits[5:8]}"
    if language == "ro":
        return f"07{rng.choice('2345678')}{digits[0]} {digits[1:4]} {digits[4:7]}"
    if language == "pl":
        return f"{rng.choice(['50', '51', '60', '69', '72', '79', '88'])}{digits[0]} {digits[1:4]} {digits[4:7]}"
    return f"07{rng.choice('4579')}{digits[0:2]} {digits[2:8]}"


def amount(rng: random.Random, language: str) -> str:
    """A sum of money as it is written in that language's country."""
    if language == "en":
        return f"£{rng.uniform(38, 160):.2f}"
    if language == "ro":
        return f"{rng.uniform(210, 890):.2f} lei".replace(".", ",")
    if language == "pl":
        return f"{rng.uniform(179, 749):.2f} zł".replace(".", ",")
    return f"{rng.uniform(44, 189):.2f} €".replace(".", ",")

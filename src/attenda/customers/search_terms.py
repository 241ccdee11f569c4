"""The normalised words by which a customer is found: the parts of their name and their
organisation's, their addresses and the parts of them, their phone numbers as people dial them.
Written by customers/services.py, read by customers/queries.py; both fold text the same way here."""

import enum
import re
import unicodedata
from collections.abc import Iterable

import phonenumbers

# Longer terms are cut: nobody types more of a name than this, and a prefix still finds them.
TERM_LENGTH = 100

_NOT_A_WORD = re.compile(r"[\W_]+")
# Letters that Unicode does not decompose into a base letter and an accent ("Łukasz" is typed
# "lukasz"), folded as PostgreSQL's unaccent rules fold them.
_UNDECOMPOSABLE = str.maketrans(
    {"ł": "l", "đ": "d", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "ð": "d", "þ": "th"}
)


class TermKind(enum.IntEnum):
    """What a term is of the customer. Numbered by how strongly a match on it points at them, so
    the lookup can take the best kinds first straight from the index."""

    ADDRESS = 0  # a whole email address, phone number or handle
    FULL_NAME = 1
    ORGANIZATION = 2
    SURNAME = 3
    NAME_PART = 4  # a given name, or a word of the organisation's name
    ADDRESS_PART = 5  # an email address's local part or domain


def fold(text: str) -> str:
    """Lower case without accents, so "joao" finds "João" and "LUKASZ" finds "Łukasz"."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_UNDECOMPOSABLE))
    return "".join(character for character in decomposed if not unicodedata.combining(character))


def words(text: str) -> list[str]:
    """The words of a name as they are matched: "Jean-Luc D'Almeida" is jean, luc, d, almeida."""
    return _NOT_A_WORD.sub(" ", fold(text)).split()


def phone_terms(e164: str) -> list[str]:
    """A stored number as dialled from abroad and at home: +48506938128 is 48506938128 and
    506938128, so the national number finds the customer whatever the desk's country."""
    digits = e164.removeprefix("+")
    # Country calling codes are prefix-free, one to three digits long.
    for length in (1, 2, 3):
        if int(digits[:length] or 0) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return list(dict.fromkeys([digits, digits[length:]]))
    return [digits]


def address_terms(kind: str, value: str) -> list[tuple[str, int]]:
    """An identity's terms: the whole address, and for email its local part and domain."""
    if kind == "phone":
        return [(term, TermKind.ADDRESS) for term in phone_terms(value)]
    folded = fold(value)
    terms = [(folded, TermKind.ADDRESS)]
    if kind == "email" and "@" in folded:
        local, domain = folded.rsplit("@", 1)
        terms += [(local, TermKind.ADDRESS_PART), (domain, TermKind.ADDRESS_PART)]
    return terms


def customer_terms(
    *, name: str, organization: str, identities: Iterable[tuple[str, str]]
) -> list[tuple[str, int]]:
    """Every (term, kind) of one customer, each term once with its strongest kind. The first word
    of a name is taken as a given name and every later one as a surname: names in the five
    languages put the family names last, and Spanish and Portuguese ones carry two."""
    terms: dict[str, int] = {}

    def add(term: str, kind: int) -> None:
        term = term[:TERM_LENGTH].strip()
        if term and kind < terms.get(term, len(TermKind)):
            terms[term] = kind

    for kind, value in identities:
        for term, term_kind in address_terms(kind, value):
            add(term, term_kind)
    name_words = words(name)
    add(" ".join(name_words), TermKind.FULL_NAME)
    for position, word in enumerate(name_words):
        add(word, TermKind.SURNAME if position else TermKind.NAME_PART)
    organization_words = words(organization)
    add(" ".join(organization_words), TermKind.ORGANIZATION)
    for word in organization_words:
        add(word, TermKind.NAME_PART)
    return sorted(terms.items())

"""Caller numbers as telephone systems send them ("4912347114711", "+351912345678", "0049…",
"anonymous") turned into E.164, and the customer they belong to: one index read."""

import phonenumbers

from attenda.customers.identities import DEFAULT_PHONE_REGION
from attenda.customers.models import Customer, Identity, IdentityKind


def e164(raw: str, *, region: str = "") -> str | None:
    """None for a withheld or unusable number. PBXs write international numbers without the plus
    (Zammad's CTI convention), so digits that do not start with 0 are tried as international first;
    national numbers ("030 …") are read as ``region``'s, else the customers' default country's."""
    region = region or DEFAULT_PHONE_REGION
    text = "".join(character for character in raw if character.isdigit() or character == "+")
    if not text:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    candidates = [text] if text.startswith("+") else []
    if not text.startswith(("+", "0")) and len(text) > 9:
        candidates.append("+" + text)
    candidates.append(text)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, None if candidate.startswith("+") else region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def caller(number: str | None) -> Customer | None:
    """The customer whose phone identity is ``number`` (identity_unique_value), or the record it
    was merged into."""
    if number is None:
        return None
    # No ordering (first() would add one): identity_unique_value finds at most one row.
    found = list(
        Identity.objects.select_related("customer__merged_into").filter(
            kind=IdentityKind.PHONE, value=number
        )[:1]
    )
    if not found:
        return None
    customer = found[0].customer
    while customer.merged_into_id is not None:
        customer = customer.merged_into
    return customer

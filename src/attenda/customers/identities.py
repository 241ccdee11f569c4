"""Normalising the addresses customers reach us from, so the same person is found on every channel."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from attenda.customers.models import IdentityKind

DEFAULT_PHONE_REGION = "PT"
# Addresses real mail comes from that Django's validator, made for web forms, refuses: a UTF-8 local
# part (RFC 6531, ``josé@example.pt``) and underscores in domain labels (``firma_intern.pl``: DNS
# allows them and firms use them). Without them such a sender got a new customer on every mail.
_ATOM = r"(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|[^\x00-\x9f\s])+"
_LABEL = r"(?!-)[\w-]{1,63}(?<!-)"
_MAIL_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
MAX_EMAIL_LENGTH = 320


def _validate_email(value: str) -> None:
    try:
        validate_email(value)
    except ValidationError:
        if len(value) > MAX_EMAIL_LENGTH or not _MAIL_ADDRESS.fullmatch(value):
            raise


def normalise(kind: str, value: str, *, region: str = DEFAULT_PHONE_REGION) -> str:
    """Raises ValidationError with a message a person can act on when the value is not usable."""
    value = value.strip()
    if kind == IdentityKind.EMAIL:
        value = value.lower()
        _validate_email(value)
        return value
    if kind == IdentityKind.PHONE:
        try:
            number = phonenumbers.parse(value, region or DEFAULT_PHONE_REGION)
        except phonenumbers.NumberParseException as error:
            raise ValidationError(
                _("%(value)s is not a phone number.") % {"value": value}
            ) from error
        if not phonenumbers.is_possible_number(number):
            raise ValidationError(_("%(value)s is not a phone number.") % {"value": value})
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind in (IdentityKind.SOCIAL, IdentityKind.CHAT):
        if not value or any(character.isspace() for character in value):
            raise ValidationError(_("%(value)s is not a valid handle.") % {"value": value})
        return value.lower() if kind == IdentityKind.SOCIAL else value
    raise ValidationError(_("Unknown kind of identity: %(kind)s.") % {"kind": kind})


def guess_kind(text: str) -> str | None:
    """What an agent typed into a search or contact box: an email, a phone number, or neither."""
    text = text.strip()
    if "@" in text and " " not in text:
        return IdentityKind.EMAIL
    digits = sum(character.isdigit() for character in text)
    if digits >= 6 and all(character.isdigit() or character in "+-() ." for character in text):
        return IdentityKind.PHONE
    return None

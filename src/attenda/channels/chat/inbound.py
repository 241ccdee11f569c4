"""The chat's wire format (the widget's JSON posts) turned into the calls that make ``Inbound``
messages: a visitor's first message, a later one, and an offline message. The views parse; the
services (services.py) call ``receive()``."""

import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BODY = 16_384


@dataclass(frozen=True)
class Posted:
    """What the widget sent, each field a string (missing ones empty)."""

    fields: dict[str, str]

    def __getitem__(self, name: str) -> str:
        return self.fields.get(name, "")


def parse_post(body: bytes) -> Posted:
    """The widget posts JSON as text/plain, so that no browser preflight is needed."""
    if len(body) > MAX_BODY:
        raise ValidationError(_("The message is too long."))
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError(_("The request could not be read.")) from error
    if not isinstance(value, dict):
        raise ValidationError(_("The request could not be read."))
    return Posted(
        {str(key): str(item) for key, item in value.items() if isinstance(item, str | int)}
    )

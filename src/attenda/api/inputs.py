"""What every endpoint refuses before it runs, checked once for all of them: query parameters it
does not take (a misspelt filter would otherwise be ignored and answer with everything), and text
that the database cannot store (PostgreSQL's text holds no NUL, and no encoding holds a lone
surrogate, which JSON's \\ud800 escapes can make)."""

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from pydantic import BaseModel

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_character(text: str) -> str | None:
    """The first character of the text that cannot be stored, as U+XXXX, or None."""
    found = UNSTORABLE.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def unstorable_message(character: str) -> str:
    return _("Text cannot hold the character %(character)s; remove it.") % {"character": character}


def query_parameters(operation: Any) -> frozenset[str]:
    """The names of the query parameters an operation declares, as its OpenAPI document lists them."""
    names: set[str] = set()
    for model in operation.models:
        if model.__ninja_param_source__ != "query":
            continue
        flattened = getattr(model, "__ninja_flatten_map__", None)
        if flattened:
            names.update(flattened)
        else:
            names.update(field.alias or name for name, field in model.model_fields.items())
    return frozenset(names)


def _unstorable(value: Any, location: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        if character := unstorable_character(value):
            yield ".".join(location), character
    elif isinstance(value, BaseModel):
        for name, field in type(value).model_fields.items():
            yield from _unstorable(getattr(value, name), (*location, field.alias or name))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _unstorable(item, (*location, str(index)))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unstorable(item, (*location, str(key)))


def refuse_what_cannot_be_taken(view: Callable) -> Callable:
    """Wraps an endpoint after authentication and django-ninja's own validation. Both errors name
    the field, as every other 422 does: a query parameter by its name, a body field by its path
    (``identities.0.value``), whatever the endpoint's own argument names."""
    operation = view._ninja_operation  # type: ignore[attr-defined]
    accepted = query_parameters(operation)
    checked = operation.include_in_schema

    @functools.wraps(view)
    def refusing(request: HttpRequest, *args: Any, **values: Any) -> Any:
        if not checked:
            return view(request, *args, **values)
        fields: dict[str, list[str]] = {}
        for name in request.GET:
            if name not in accepted:
                fields.setdefault(name, []).append(_("This endpoint takes no such parameter."))
        for name, value in values.items():
            # A schema's fields are the caller's own names; the argument's name is ours.
            location = () if isinstance(value, BaseModel) else (name,)
            for field, character in _unstorable(value, location):
                fields.setdefault(field, []).append(unstorable_message(character))
        if fields:
            raise ValidationError(fields)
        return view(request, *args, **values)

    return refusing

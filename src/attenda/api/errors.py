"""Every failure of the API has one JSON shape, {"code", "message", "fields"}, whatever raised it:
our services, Django, or django-ninja's own parsing and validation."""

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from attenda.api.inputs import unstorable_character, unstorable_message
from attenda.api.schemas import BASE64, COUNTRY, DOCUMENTED_PATTERNS, EMAIL, HANDLE, TAG, WRITTEN
from attenda.core.pagination import InvalidCursor

logger = logging.getLogger(__name__)

# Where django-ninja found a value; the names after it are the caller's own field names.
SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


class Conflict(Exception):
    """The request cannot be done as asked, and repeating it will not help."""

    def __init__(self, code: str, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}


@contextmanager
def refused_as_conflict(code: str, *, only: str | None = None) -> Iterator[None]:
    """Around a service whose refusals of a request that matched its schema are about the state of
    what it changes (a merged ticket, a suggestion already taken): 409, with the service's message
    and fields. With ``only``, just the refusals of that code, the others staying 422."""
    try:
        yield
    except DjangoValidationError as error:
        if only is not None and not _has_code(error, only):
            raise
        if not hasattr(error, "error_dict"):
            raise Conflict(code, " ".join(error.messages)) from error
        fields = dict(error.message_dict)
        general = fields.pop(NON_FIELD_ERRORS, [])
        message = " ".join(general) or _("This cannot be done now; see fields.")
        raise Conflict(code, message, fields) from error


def _has_code(error: DjangoValidationError, code: str) -> bool:
    return (
        any(item.code == code for item in error.error_list)
        if not hasattr(error, "error_dict")
        else any(item.code == code for items in error.error_dict.values() for item in items)
    )


class Missing(Exception):
    """An id in the request's body or query (not in its path) names nothing the agent may use.
    Answered 409 with the field named: the request is well formed and its target is there, but
    what it refers to is not (404 would say the target itself is gone)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def error_response(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "fields": fields or {}},
        status=status,
        content_type="application/json; charset=utf-8",
    )


def unauthenticated(request: HttpRequest, error: AuthenticationError) -> JsonResponse:
    response = error_response(
        401,
        "unauthenticated",
        _("Send a valid API token in the header Authorization: Bearer <token>."),
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def permission_denied(request: HttpRequest, error: PermissionDenied) -> JsonResponse:
    return error_response(403, "permission_denied", _("You are not allowed to do this."))


def not_found(request: HttpRequest, error: Exception) -> JsonResponse:
    # The same answer for what does not exist and for what the agent may not see.
    return error_response(404, "not_found", _("Not found."))


def missing(request: HttpRequest, error: Missing) -> JsonResponse:
    return error_response(
        409,
        "unknown_id",
        _("An id in the request names nothing; see fields."),
        {error.field: [error.message]},
    )


def conflict(request: HttpRequest, error: Conflict) -> JsonResponse:
    return error_response(409, error.code, error.message, error.fields)


def invalid(fields: dict[str, list[str]], general: Iterable[str] = ()) -> JsonResponse:
    message = " ".join(general) or _("Some fields are not valid; see fields.")
    return error_response(422, "invalid", message, fields)


def django_validation_error(request: HttpRequest, error: DjangoValidationError) -> JsonResponse:
    if not hasattr(error, "error_dict"):
        return invalid({}, error.messages)
    fields = dict(error.message_dict)
    return invalid(fields, fields.pop(NON_FIELD_ERRORS, []))


def invalid_cursor(request: HttpRequest, error: InvalidCursor) -> JsonResponse:
    return invalid({"cursor": [_("This cursor is not valid; start again from the first page.")]})


def _field_message(detail: dict[str, Any]) -> str:
    kind = detail.get("type", "")
    context = detail.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field cannot be set here.")
    if kind in ("enum", "literal_error"):
        return _("Choose one of %(choices)s.") % {"choices": context.get("expected", "")}
    if kind == "value_error" and "error" in context:
        return str(context["error"])
    if kind == "greater_than_equal":
        return _("Use %(limit)s or more.") % {"limit": context.get("ge")}
    if kind == "less_than_equal":
        return _("Use %(limit)s or less.") % {"limit": context.get("le")}
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("Use a whole number.")
    if kind == "string_type":
        return _("Use text.")
    if kind == "string_too_short":
        return _("This field cannot be blank.")
    if kind == "string_pattern_mismatch":
        return _pattern_message(detail)
    if kind == "string_too_long":
        return _("Use at most %(limit)s characters.") % {"limit": context.get("max_length")}
    if kind == "too_long":
        return _("Give at most %(limit)s items.") % {"limit": context.get("max_length")}
    return detail.get("msg", "")


def _pattern_message(detail: dict[str, Any]) -> str:
    value = detail.get("input")
    if isinstance(value, str) and (character := unstorable_character(value)):
        return unstorable_message(character)
    pattern = (detail.get("ctx") or {}).get("pattern", "")
    if pattern == WRITTEN:
        return _("This field cannot be blank.")
    if COUNTRY in pattern:
        return _("Use a two-letter ISO 3166 code, such as PT.")
    if pattern == TAG:
        return _("Use letters, digits, hyphens and underscores only.")
    if pattern == EMAIL:
        return _("Enter a valid email address.")
    if pattern == HANDLE:
        return _("Write the handle without spaces.")
    if pattern == BASE64:
        return _("This is not base64.")
    return detail.get("msg", "")


def ninja_validation_error(request: HttpRequest, error: NinjaValidationError) -> JsonResponse:
    """django-ninja places each error as (source, [parameter,] field, ...); a body schema parameter
    adds its own name, which means nothing to the caller."""
    fields: dict[str, list[str]] = {}
    general = []
    for detail in error.errors:
        location = [str(part) for part in detail.get("loc", ())]
        if location and location[0] in SOURCES:
            source, location = location[0], location[1:]
            if source == "body" and location:
                location = location[1:]
        if location:
            fields.setdefault(".".join(location), []).append(_field_message(detail))
        else:
            general.append(_("The request needs a JSON object in its body."))
    return invalid(fields, general)


def http_error(request: HttpRequest, error: HttpError) -> JsonResponse:
    if error.status_code == 400:
        return error_response(400, "malformed", _("The request body is not valid JSON."))
    if error.status_code == 429:
        return error_response(429, "throttled", _("Too many requests; wait and try again."))
    return error_response(error.status_code, "error", str(error))


def server_error(request: HttpRequest, error: Exception) -> JsonResponse:
    logger.error("API request %s %s failed", request.method, request.path, exc_info=error)
    return error_response(500, "server_error", _("Something went wrong on our side."))


def install(api: NinjaAPI) -> None:
    """django-ninja picks the handler of the nearest class in the error's MRO, so order is free."""
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(PermissionDenied, permission_denied)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(ObjectDoesNotExist, not_found)
    api.add_exception_handler(Conflict, conflict)
    api.add_exception_handler(Missing, missing)
    api.add_exception_handler(DjangoValidationError, django_validation_error)
    api.add_exception_handler(InvalidCursor, invalid_cursor)
    api.add_exception_handler(NinjaValidationError, ninja_validation_error)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Exception, server_error)


# What every operation may answer besides its own successes; each is an ErrorOut. Declared here
# once, so no endpoint can leave one out of the OpenAPI document.
DECLARED_ERRORS = {
    "400": "The request body is not valid JSON.",
    "401": "No valid API token was sent.",
    "403": "The token's agent may not do this.",
    "404": "Nothing here, or nothing the token's agent may see.",
    "409": "The request conflicts with the current state of what it changes, or an id in its "
    "body names nothing (code unknown_id; see fields); repeating it will not help.",
    "422": "A parameter or field is not valid (see fields).",
    "429": "Too many requests; wait the seconds Retry-After says.",
}


NO_NUL = "^[^\\x00]*$"


def _without_nul(schema: Any, components: dict, seen: set[str]) -> None:
    """Every request text that has no rule of its own says it holds no NUL (api.inputs refuses
    one), following references to the input schemas once each."""
    if isinstance(schema, list):
        for item in schema:
            _without_nul(item, components, seen)
        return
    if not isinstance(schema, dict):
        return
    reference = schema.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        name = reference.rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            _without_nul(components[name], components, seen)
        return
    if schema.get("pattern") in DOCUMENTED_PATTERNS:
        schema["pattern"] = DOCUMENTED_PATTERNS[schema["pattern"]]
    if schema.get("type") == "string" and not {"enum", "const", "pattern", "format"} & set(schema):
        schema["pattern"] = NO_NUL
    for value in schema.values():
        _without_nul(value, components, seen)


def declare_errors(document: dict) -> dict:
    """Adds the errors every operation may answer to the OpenAPI document (400 only where there is
    a body to parse), and the rule of api.inputs to every text a request carries."""
    components = document.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for item in document["paths"].values():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue
            # django-ninja keys responses by int; JSON makes every key a string anyway.
            _without_nul(operation.get("parameters", []), components, seen)
            _without_nul(operation.get("requestBody", {}), components, seen)
            responses = {str(status): value for status, value in operation["responses"].items()}
            operation["responses"] = responses
            for status, description in DECLARED_ERRORS.items():
                if status == "400" and "requestBody" not in operation:
                    continue
                declared = responses.setdefault(status, {"description": description, "content": {}})
                declared["description"] = description
                declared["content"] = {"application/json": {"schema": error}}
                if status == "429":
                    declared["headers"] = {
                        "Retry-After": {
                            "description": "Seconds to wait before trying again.",
                            "schema": {"type": "integer", "minimum": 0},
                        }
                    }
    return document

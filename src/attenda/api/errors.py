"""Every failure of the API has one JSON shape, {"code", "message", "fields"}, whatever raised it:
our services, Django, or django-ninja's own parsing and validation."""

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from attenda.core.pagination import InvalidCursor

logger = logging.getLogger(__name__)

# Where django-ninja found a value; the names after it are the caller's own field names.
SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


class Conflict(Exception):
    """The request cannot be done as asked, and repeating it will not help."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
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


def conflict(request: HttpRequest, error: Conflict) -> JsonResponse:
    return error_response(409, error.code, error.message)


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
    if kind == "string_too_long":
        return _("Use at most %(limit)s characters.") % {"limit": context.get("max_length")}
    if kind == "too_long":
        return _("Give at most %(limit)s items.") % {"limit": context.get("max_length")}
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
    api.add_exception_handler(DjangoValidationError, django_validation_error)
    api.add_exception_handler(InvalidCursor, invalid_cursor)
    api.add_exception_handler(NinjaValidationError, ninja_validation_error)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Exception, server_error)

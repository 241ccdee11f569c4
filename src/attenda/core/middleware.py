"""Every request starts on fresh interpreter stack, then speaks the agent's language and shows times
in the agent's time zone."""

import sys
import types
import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

# CPython before 3.13 keeps Python frames on a data stack of 16 KB chunks and frees a chunk as soon as
# the call that needed it returns (python/cpython#142183). A loop whose calls cross the end of a
# chunk maps and unmaps it on every call: at an unlucky stack depth, thousands of times per page,
# which made the same inbox page take 28 ms instead of 11. Where the boundary falls depends on how
# deep the server's own stack is, so it differs per deployment and moves with any change.
#
# The cure is to start each request at the beginning of a chunk with room to spare. A call whose
# frame cannot fit in the current chunk gets a new chunk of its own, sized to the frame plus
# headroom and doubled from 16 KB until it fits; a frame of RESERVED_SLOTS pointers (25 KB) always
# gets a fresh 64 KB chunk, which leaves some 39 KB of frames for the rest of the request — more
# than a page needs, so the request never reaches another boundary.
RESERVED_SLOTS = 3200
NEEDS_HEADROOM = sys.implementation.name == "cpython" and sys.version_info < (3, 13)


def _respond(get_response: Callable[[HttpRequest], HttpResponse], request: HttpRequest):
    return get_response(request)


def _with_reserved_frame(function: types.FunctionType) -> types.FunctionType:
    """``function`` with RESERVED_SLOTS unused local variables, which only make its frame larger."""
    code = function.__code__
    names = code.co_varnames + tuple(f"_reserved{number}" for number in range(RESERVED_SLOTS))
    return types.FunctionType(
        code.replace(co_varnames=names, co_nlocals=len(names)),
        function.__globals__,
        function.__name__,
    )


respond_on_fresh_stack = _with_reserved_frame(_respond) if NEEDS_HEADROOM else _respond


class FreshStackMiddleware:
    """Runs the rest of the request on fresh interpreter stack (see above). First in MIDDLEWARE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return respond_on_fresh_stack(self.get_response, request)


class AgentPreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        agent = getattr(request, "user", None)
        if agent is not None and agent.is_authenticated:
            translation.activate(agent.language)
            request.LANGUAGE_CODE = agent.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(agent.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        response = self.get_response(request)
        timezone.deactivate()
        return response

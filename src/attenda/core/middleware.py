"""Every request starts on fresh interpreter stack; other companies' webhooks go straight to their
view; agents' pages speak the agent's language (until the response is closed) and show times in the
agent's time zone; the JSON API is rate-limited, and agents are held to the second factor."""

import hashlib
import ipaddress
import sys
import time
import types
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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


# Addresses where other companies' servers call Attenda. Nobody signs in there: each request is
# checked by its own view (a provider's signature) and answered in text or JSON.
WEBHOOK_PREFIXES = ("/social/webhooks/",)
# The chat widget's endpoints, called from other companies' web sites: each checks its widget's
# allowed origins and the visitor's signed token, speaks the language the widget asks for, and
# answers in JSON. Two of them go through the middleware all the same: the first message, which
# reads the portal's session (a signed-in customer), and the event stream, a coroutine.
WIDGET_PREFIX = "/chat/w/"
WIDGET_THROUGH_MIDDLEWARE = ("/start/", "/events/")


def past_browser_middleware(path: str) -> bool:
    """Whether the request is served past the middleware made for people in a browser (below)."""
    if path.startswith(WEBHOOK_PREFIXES):
        return True
    return path.startswith(WIDGET_PREFIX) and not path.endswith(WIDGET_THROUGH_MIDDLEWARE)


class WebhookMiddleware:
    """Requests to a webhook address, and the chat widget's (past_browser_middleware), go straight
    to their view, past the middleware after this one, which serves agents and customers in a
    browser: sessions, language, CSRF, sign-in, the second factor, messages, framing and content
    policies, lockouts. A provider has none of them, and they were a quarter of each webhook's CPU;
    the widget's typing indicators, two thirds of a chat's requests, need none of them either.
    Placed after SecurityMiddleware, whose headers (nosniff, HSTS, referrer policy) the answers
    keep. These views are synchronous, and return their answer (an unknown address included)
    rather than raising for Django's error pages, made for browsers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not past_browser_middleware(request.path_info):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return HttpResponseNotFound()
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)


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


def end_the_pages_language(**kwargs) -> None:
    """A page speaks its reader's language (the locale middleware's, an agent's, the one a customer
    chose on the portal) until its response is closed, a streamed one included. Then the thread goes
    back to the site's language, so what runs on it next outside a request does not speak the last
    reader's. Connected to request_finished."""
    translation.deactivate()


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from. X-Forwarded-For is anyone's to write, so it is read only
    behind a proxy (settings.BEHIND_PROXY), and then only its last entry: the one the proxy added."""
    if settings.BEHIND_PROXY:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if forwarded and _is_address(forwarded[-1]):
            return forwarded[-1]
    # None when there is none (a sign-in made by code): django-axes stores it in an address field.
    return request.META.get("REMOTE_ADDR") or None


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


FAILURE_WINDOW_SECONDS = 15 * 60


class ApiRateLimitMiddleware:
    """Requests to /api/ are counted per minute per token and per address, and refused tokens per
    address over 15 minutes; beyond the limits the API answers 429 with Retry-After. The counters
    are in the "rates" cache: Redis when configured, shared by every process."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        rates = caches["rates"]
        now = time.time()
        address = client_ip(request) or "unknown"
        failures_key = f"api-failures:{address}:{int(now // FAILURE_WINDOW_SECONDS)}"
        if (rates.get(failures_key) or 0) >= settings.API_FAILURE_LIMIT:
            return self._too_many(FAILURE_WINDOW_SECONDS - now % FAILURE_WINDOW_SECONDS)
        minute = int(now // 60)
        counters = [(f"api-address:{address}:{minute}", settings.API_RATE_PER_ADDRESS)]
        scheme, _space, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and key.strip():
            # The hash the token is stored under: counted per token without reading the database.
            digest = hashlib.sha256(key.strip().encode()).hexdigest()
            counters.append((f"api-token:{digest}:{minute}", settings.API_RATE_PER_TOKEN))
        for counter, limit in counters:
            if self._count(rates, counter, 60) > limit:
                return self._too_many(60 - now % 60)
        response = self.get_response(request)
        if response.status_code == 401:
            self._count(rates, failures_key, FAILURE_WINDOW_SECONDS)
        return response

    @staticmethod
    def _count(rates, key: str, seconds: int) -> int:
        rates.add(key, 0, timeout=seconds + 1)
        try:
            return rates.incr(key)
        except ValueError:  # Expired between add and incr: this is the first of a new window.
            rates.add(key, 1, timeout=seconds + 1)
            return 1

    @staticmethod
    def _too_many(retry_after: float) -> JsonResponse:
        seconds = max(1, int(retry_after + 0.999))
        response = JsonResponse(
            {
                "code": "rate_limited",
                "message": _("Too many requests; try again in %(seconds)d seconds.")
                % {"seconds": seconds},
                "fields": {},
            },
            status=429,
        )
        response["Retry-After"] = str(seconds)
        return response


# Pages an agent held to the second factor may still open: setting it up, giving the code, leaving.
TWO_FACTOR_EXEMPT_URLS = ("two_factor", "logout", "set_language")
# Set in the session at sign-in when admins require a second factor and the agent has not given a
# code yet; read here, so that no request pays a query for the policy.
SECOND_FACTOR_DUE = "attenda_second_factor_due"


class TwoFactorMiddleware:
    """When admins require a second factor (agents.SignInPolicy), an agent who signed in without
    one goes to set it up first, whatever page they asked for. The API signs in by token and is
    not affected."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not request.path.startswith(("/api/", settings.STATIC_URL))
            and request.session.get(SECOND_FACTOR_DUE)
            and request.user.is_authenticated
            and not request.user.is_verified()
            and request.path not in {reverse(name) for name in TWO_FACTOR_EXEMPT_URLS}
        ):
            return redirect("two_factor")
        return self.get_response(request)

"""The contact form's pages: the hosted form (also shown inside the embedding site's iframe), the
acknowledgement with the ticket number and the expected first answer, the script a company pastes
into its site, and the admins' list of held submissions.

The form's POST is not CSRF-protected, and is safe without it:
- Inside a frame on another site the browser withholds Attenda's cookies (SameSite=Lax), so a
  token tied to a cookie could not work there; and the form acts for nobody signed in: a forged
  POST can only do what anyone may, send a message.
- What a cross-site page could still do, make its visitors' browsers send messages (from their
  addresses, past the per-address limits), is refused by the Origin check: a browser's POST names
  the page it came from, and only Attenda's own pages (the form, also when framed) and the sites
  allowed to embed it (WEB_FORM_ORIGINS) pass; another is answered 403 and nothing is stored.
  A program can forge those headers, so the rest is the stamp's work (inbound.py).
- The signed stamp is bound to this form (its own salt, and the team the page named), good once (a
  nonce a submission uses up, unique in the database) and for WEB_FORM_MAX_AGE_SECONDS. A program
  must fetch the form for every message, and wait WEB_FORM_MIN_SECONDS; with the honeypot and the
  per-address and per-email hourly counts, that is what holds spam. Held submissions are kept
  for an admin, never dropped.
- Only the listed sites may frame the pages (frame-ancestors), so no other site can overlay them.
"""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from attenda.core.middleware import client_ip
from attenda.routing.waiting import describe_wait, expected_first_response
from attenda.tickets.models import Ticket

from . import inbound
from .forms import ContactForm
from .models import SubmissionState, WebSubmission

logger = logging.getLogger(__name__)

THANKS_SALT = "attenda.web-form.thanks"
THANKS_MAX_AGE = 3600
HELD_SHOWN = 50


def _language(request: HttpRequest) -> str:
    """The visitor's language: the one they picked (?lang=), else their browser's."""
    chosen = request.GET.get("lang", "")
    if chosen in dict(settings.LANGUAGES):
        return chosen
    return translation.get_language_from_request(request)


def _asked_team(request: HttpRequest) -> int | None:
    team = request.GET.get("team", "")
    return int(team) if team.isdigit() and len(team) < 10 else None


def _embeddable(response: HttpResponse) -> HttpResponse:
    """Only the sites the company listed may show these pages in a frame."""
    response._csp_replace = {"frame-ancestors": ["'self'", *settings.WEB_FORM_ORIGINS]}
    return response


def _query(request: HttpRequest, language: str) -> str:
    """The form's own parameters, kept from page to page: language, frame, team."""
    query = f"?lang={language}"
    if request.GET.get("embed") == "1":
        query += "&embed=1"
    if _asked_team(request) is not None:
        query += f"&team={_asked_team(request)}"
    return query


def _render(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    embedded = request.GET.get("embed") == "1"
    language = context["language"]
    with translation.override(language):
        response = render(
            request,
            template,
            {
                **context,
                "embedded": embedded,
                "query": _query(request, language),
            },
            status=status,
        )
    response["Content-Language"] = language
    return _embeddable(response)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else url


def _sent_from_allowed_page(request: HttpRequest) -> bool:
    """A browser's POST names its page's origin (Origin, else Referer): Attenda's own (the form,
    framed or not, at any of Attenda's trusted addresses) or a site allowed to embed it. A request naming none is not a browser's
    cross-site one; the stamp judges it."""
    named = request.headers.get("Origin") or request.headers.get("Referer")
    if not named:
        return True
    own = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}".lower()
    # Attenda's other addresses are those its own forms are trusted from (CSRF_TRUSTED_ORIGINS).
    trusted = [*settings.CSRF_TRUSTED_ORIGINS, *settings.WEB_FORM_ORIGINS]
    allowed = {own, *(_origin(origin) for origin in trusted)}
    return _origin(named.strip()) in allowed


# Not CSRF-protected; why that is safe is in this module's docstring.
@csrf_exempt
@xframe_options_exempt
def contact(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    if request.method == "POST" and not _sent_from_allowed_page(request):
        logger.warning("A contact form POST came from another site's page; nothing was stored")
        with translation.override(language):
            return _embeddable(
                HttpResponseForbidden(
                    _("This form can only be sent from its own page."),
                    content_type="text/plain; charset=utf-8",
                )
            )
    with translation.override(language):
        form = ContactForm(
            request.POST or None,
            request.FILES or None,
            initial={
                "language": language,
                "opened": inbound.opened_stamp(team_id=_asked_team(request)),
            },
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                submission = inbound.submit(
                    inbound.ContactForm(
                        name=data["name"],
                        email=data["email"],
                        subject=data["subject"],
                        message=data["message"],
                        kind=data["kind"],
                        language=data["language"],
                        files=data["files"],
                        honeypot=data["website"],
                        stamp=data["opened"],
                        address=client_ip(request),
                        team_id=_asked_team(request),
                    )
                )
            except inbound.TooManySubmissions:
                return _render(
                    request,
                    "web/too_many.html",
                    {"language": language},
                    status=429,
                )
            token = signing.dumps({"s": submission.pk, "t": submission.ticket_id}, salt=THANKS_SALT)
            return redirect(reverse("web_form_thanks", args=[token]) + _query(request, language))
    return _render(
        request,
        "web/contact.html",
        {"form": form, "language": language},
        status=422 if form.errors else 200,
    )


@require_GET
@xframe_options_exempt
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    """The acknowledgement: the ticket number and when to expect the first answer. Reached only
    through the signed address the form redirected to, so nobody reads another's ticket here."""
    language = _language(request)
    try:
        signed = signing.loads(token, salt=THANKS_SALT, max_age=THANKS_MAX_AGE)
    except signing.BadSignature:
        return _render(request, "web/thanks.html", {"language": language, "expired": True})
    ticket = Ticket.objects.select_related("team").filter(pk=signed.get("t")).first()
    wait = None
    if ticket is not None and ticket.team is not None and ticket.first_response_at is None:
        wait = expected_first_response(ticket.team, ahead_of=ticket)
    with translation.override(language):
        described = describe_wait(wait) if wait is not None else ""
    return _render(
        request,
        "web/thanks.html",
        {"language": language, "ticket": ticket, "wait": described},
    )


@require_GET
def embed_script(request: HttpRequest) -> HttpResponse:
    """The one script tag a company pastes into its site: it puts the form in a frame in its
    place, in the language the tag names (data-lang) or the visitor's."""
    response = render(
        request,
        "web/embed.js",
        {"form_url": request.build_absolute_uri(reverse("web_form"))},
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
def held_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    held = WebSubmission.objects.filter(state=SubmissionState.HELD).order_by("-created_at")
    return render(
        request,
        "web/held_list.html",
        {
            "held": held[:HELD_SHOWN],
            "shown": HELD_SHOWN,
            "nav": "web_form",
            "snippet": (
                f'<script src="{request.build_absolute_uri(reverse("web_form_script"))}" '
                'data-lang="en" async></script>'
            ),
            "page_url": request.build_absolute_uri(reverse("web_form")),
            "origins": settings.WEB_FORM_ORIGINS,
        },
    )


@login_required
@require_POST
def release(request: HttpRequest, submission_id: int) -> HttpResponse:
    _require_admin(request)
    submission = get_object_or_404(WebSubmission, pk=submission_id)
    submission = inbound.release(submission=submission, actor=request.user)
    if submission.ticket_id:
        from django.contrib import messages

        messages.success(
            request,
            _("The submission became ticket #%(number)s.") % {"number": submission.ticket_id},
        )
    return redirect("web_form_held")

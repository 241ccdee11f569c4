"""The messaging apps' webhooks (one address per account, checked with its secret), and admins'
pages: the accounts, and the events kept without being read."""

import json
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from attenda.channels.social import queries, services
from attenda.channels.social.forms import SocialAccountForm
from attenda.channels.social.inbound import PROVIDERS, record
from attenda.channels.social.models import EventState, SocialAccount, SocialEvent
from attenda.core.pagination import InvalidCursor

logger = logging.getLogger(__name__)


@csrf_exempt
def webhook(request: HttpRequest, key: str) -> HttpResponse:
    """Answers the provider's handshake (GET), or checks a POST's signature, stores its events and
    answers at once: reading them is the queue's work. A bad or missing signature stores nothing.
    Served past the agents' middleware (core.middleware.WebhookMiddleware)."""
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    account = queries.webhook_account(key)
    answer = _answer(request, account) if account is not None else None
    if account is not None and answer is None:
        # Refused with the account as this process kept it: its secret may have changed since, in
        # another process. The stored account decides.
        account = queries.webhook_account(key, kept=False)
        answer = _answer(request, account) if account is not None else None
    if account is None:
        return HttpResponseNotFound()
    if answer is None and request.method == "GET":
        logger.warning("A %s webhook handshake for account %s failed", account.provider, account.pk)
        return HttpResponse(status=403)
    if answer is None:
        logger.warning("A %s webhook for account %s was not signed", account.provider, account.pk)
        return HttpResponse(status=401)
    return answer


def _answer(request: HttpRequest, account: SocialAccount) -> HttpResponse | None:
    """The answer to a handshake or a signed POST, or None when ``account``'s secrets refuse it."""
    provider = PROVIDERS[account.provider]
    if request.method == "GET":
        return provider.handshake(account, request.GET)
    body = request.body
    if not provider.signed(account, body, request.headers):
        return None
    record(account=account, body=body)
    return HttpResponse(status=200)


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    accounts = SocialAccount.objects.select_related("team")
    webhooks = [
        (account, request.build_absolute_uri(f"/social/webhooks/{account.webhook_key}/"))
        for account in accounts
    ]
    return render(request, "social/account_list.html", {"webhooks": webhooks, "nav": "messaging"})


@login_required
def account_form(request: HttpRequest, account_id: int | None = None) -> HttpResponse:
    _require_admin(request)
    account = get_object_or_404(SocialAccount, pk=account_id) if account_id else SocialAccount()
    form = SocialAccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_account(account=account, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("The messaging account %(name)s was saved.") % {"name": account.name}
            )
            return redirect("social_account_list")
    return render(
        request, "social/account_form.html", {"form": form, "account": account, "nav": "messaging"}
    )


@login_required
def kept_list(request: HttpRequest) -> HttpResponse:
    """Events Attenda kept without reading them: of a kind it does not read, or that it failed on."""
    _require_admin(request)
    state = request.GET.get("state")
    if state not in queries.KEPT_STATES:
        state = EventState.UNSUPPORTED
    try:
        page = queries.kept_page(state=state, cursor=request.GET.get("cursor") or None)
    except InvalidCursor:
        messages.error(request, _("That page link is no longer valid; here is the first page."))
        page = queries.kept_page(state=state, cursor=None)
    return render(
        request,
        "social/kept_list.html",
        {
            "events": page.items,
            "next_cursor": page.next_cursor,
            "state": state,
            "states": [(value, EventState(value).label) for value in queries.KEPT_STATES],
            "nav": "messaging",
        },
    )


@login_required
def kept_event(request: HttpRequest, event_id: int) -> HttpResponse:
    """One event as it came, as text (never as HTML)."""
    _require_admin(request)
    event = get_object_or_404(SocialEvent.objects.select_related("account"), pk=event_id)
    raw = json.dumps(event.payload, indent=2, ensure_ascii=False)
    return render(
        request, "social/kept_event.html", {"event": event, "raw": raw, "nav": "messaging"}
    )

"""Admins' pages for mailboxes (the list, with held mail, and the form to add or change one), and the
agent's view of a customer's mail as it was sent."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attenda.channels.email import services
from attenda.channels.email.forms import MailboxForm
from attenda.channels.email.html import text_to_html
from attenda.channels.email.models import InboundMail, Mailbox, MailState
from attenda.channels.email.parsing import ParsedMail, parse_message
from attenda.tickets.permissions import can_view

HELD_SHOWN = 50


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    held = (
        InboundMail.objects.filter(state=MailState.HELD)
        .select_related("mailbox")
        .order_by("-received_at")[:HELD_SHOWN]
    )
    context = {
        "mailboxes": Mailbox.objects.select_related("team"),
        "held": held,
        "nav": "mailboxes",
    }
    return render(request, "email/mailbox_list.html", context)


@login_required
def mailbox_form(request: HttpRequest, mailbox_id: int | None = None) -> HttpResponse:
    _require_admin(request)
    mailbox = get_object_or_404(Mailbox, pk=mailbox_id) if mailbox_id else Mailbox()
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_mailbox(mailbox=mailbox, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("The mailbox %(address)s was saved.") % {"address": mailbox}
            )
            return redirect("mailbox_list")
    return render(
        request, "email/mailbox_form.html", {"form": form, "mailbox": mailbox, "nav": "mailboxes"}
    )


@login_required
@require_POST
def let_through(request: HttpRequest, mail_id: int) -> HttpResponse:
    _require_admin(request)
    mail = get_object_or_404(InboundMail, pk=mail_id)
    services.let_through(mail=mail, actor=request.user)
    messages.success(request, _("The message is now on its ticket."))
    return redirect("mailbox_list")


# Raster images only: an SVG is a document that can carry script.
SHOWN_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
_CID = re.compile(r'src="cid:([^"]+)"', re.IGNORECASE)
_REMOTE = re.compile(r'data-remote-src="(https?:[^"]*)"', re.IGNORECASE)


def _visible_mail(request: HttpRequest, mail_id: int) -> tuple[InboundMail, ParsedMail]:
    mail = get_object_or_404(
        InboundMail.objects.select_related("raw", "entry__ticket__merged_into"), pk=mail_id
    )
    ticket = mail.entry.ticket if mail.entry else None
    if ticket is None or not (
        can_view(request.user, ticket)
        or (ticket.merged_into and can_view(request.user, ticket.merged_into))
    ):
        raise Http404(_("No mail has that number."))
    with mail.raw.content.open("rb") as source:
        return mail, parse_message(source.read())


@login_required
def mail_as_sent(request: HttpRequest, mail_id: int) -> HttpResponse:
    """The customer's HTML as sent, sanitised, in a sandbox where nothing can run: inline images in
    place, remote images (tracking pixels) left out unless the agent asks with ``?images=remote``."""
    mail, parsed = _visible_mail(request, mail_id)
    body = parsed.html or text_to_html(parsed.text)
    parts = {part.content_id.strip("<>"): index for index, part in enumerate(parsed.parts)}
    body = _CID.sub(
        lambda found: (
            f'src="{request.path}parts/{parts[found[1]]}/"' if found[1] in parts else 'alt=""'
        ),
        body,
    )
    remote = request.GET.get("images") == "remote"
    if remote:
        body = _REMOTE.sub(r'src="\1"', body)
    title = _("Mail as sent")
    response = HttpResponse(
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body>{body}</body></html>",
        content_type="text/html; charset=utf-8",
    )
    images = "'self' https: http:" if remote else "'self'"
    response["Content-Security-Policy"] = (
        f"default-src 'none'; img-src {images}; style-src 'unsafe-inline'; "
        "sandbox allow-popups allow-popups-to-escape-sandbox"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
def mail_part(request: HttpRequest, mail_id: int, index: int) -> HttpResponse:
    """An inline image of a mail, for mail_as_sent; anything but a raster image is not shown."""
    _mail, parsed = _visible_mail(request, mail_id)
    if index >= len(parsed.parts) or parsed.parts[index].content_type not in SHOWN_IMAGE_TYPES:
        raise Http404(_("No image has that number."))
    part = parsed.parts[index]
    response = HttpResponse(part.content, content_type=part.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

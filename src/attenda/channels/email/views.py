"""Admins' pages for mailboxes (the list, with held mail, and the form to add or change one) and for
the unprocessable store (list, read, download, reprocess), and the agent's view of a customer's
mail as it was sent."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attenda.channels.email import queries, services
from attenda.channels.email.forms import MailboxForm, ReprocessForm
from attenda.channels.email.html import text_to_html
from attenda.channels.email.models import InboundMail, Mailbox, MailState, SetAsideReason
from attenda.channels.email.parsing import ParsedMail, parse_message
from attenda.core.pagination import InvalidCursor
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
        # Bounded: the page says "more than N" rather than counting a large store.
        "unprocessable": InboundMail.objects.filter(state=MailState.UNPROCESSABLE)
        .values("id")[: HELD_SHOWN + 1]
        .count(),
        "shown": HELD_SHOWN,
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


@login_required
def unprocessable_list(request: HttpRequest) -> HttpResponse:
    """The unprocessable store: mail Attenda failed on, that cost more than its budget, or whose
    sender was unclear, newest first."""
    _require_admin(request)
    try:
        page = queries.unprocessable_page(cursor=request.GET.get("cursor") or None)
    except InvalidCursor:
        messages.error(request, _("That page link is no longer valid; here is the first page."))
        page = queries.unprocessable_page(cursor=None)
    return render(
        request,
        "email/unprocessable_list.html",
        {"mails": page.items, "next_cursor": page.next_cursor, "nav": "mailboxes"},
    )


def _stored_mail(mail_id: int) -> InboundMail:
    return get_object_or_404(InboundMail.objects.select_related("mailbox", "raw"), pk=mail_id)


def _sender_candidates(mail: InboundMail) -> list[str]:
    if mail.state != MailState.UNPROCESSABLE:
        return []
    if mail.set_aside_reason != SetAsideReason.UNCLEAR_SENDER:
        return []
    return queries.sender_candidates(mail)


@login_required
def unprocessable_mail(request: HttpRequest, mail_id: int) -> HttpResponse:
    """One kept message as text (its headers, then the start of its body), never as HTML, with the
    way to reprocess it."""
    _require_admin(request)
    mail = _stored_mail(mail_id)
    headers, body, cut = queries.raw_text(mail)
    candidates = _sender_candidates(mail)
    return render(
        request,
        "email/unprocessable_mail.html",
        {
            "mail": mail,
            "headers": headers,
            "body": body,
            "cut": cut,
            "form": ReprocessForm(candidates=candidates),
            "nav": "mailboxes",
        },
    )


@login_required
def unprocessable_raw(request: HttpRequest, mail_id: int) -> HttpResponse:
    """The message exactly as it arrived, as a file to save, never shown by the browser."""
    _require_admin(request)
    mail = _stored_mail(mail_id)
    response = HttpResponse(queries.raw_bytes(mail), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="mail-{mail.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private"
    return response


@login_required
@require_POST
def reprocess(request: HttpRequest, mail_id: int) -> HttpResponse:
    _require_admin(request)
    mail = _stored_mail(mail_id)
    candidates = _sender_candidates(mail)
    form = ReprocessForm(request.POST, candidates=candidates)
    if not form.is_valid():
        messages.error(request, _("Choose one of the addresses the message names."))
        return redirect("unprocessable_mail", mail_id=mail.pk)
    result = services.reprocess(mail=mail, actor=request.user, sender=form.cleaned_data["sender"])
    if result.state == MailState.UNPROCESSABLE:
        messages.error(
            request,
            _("The message still could not be processed: %(reason)s.")
            % {"reason": result.get_set_aside_reason_display()},
        )
        return redirect("unprocessable_mail", mail_id=result.pk)
    if result.entry_id:
        ticket = result.entry.ticket
        messages.success(
            request,
            _("The message is now on ticket #%(number)s.") % {"number": ticket.number},
        )
        return redirect("ticket", number=ticket.number)
    messages.success(
        request,
        _("The message was processed: %(state)s.") % {"state": result.get_state_display()},
    )
    return redirect("unprocessable_list")


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

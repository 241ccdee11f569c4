"""Admins' pages for mailboxes: the list with what each one took lately and any held mail, and the
form to add or change one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attenda.channels.email import services
from attenda.channels.email.forms import MailboxForm
from attenda.channels.email.models import InboundMail, Mailbox, MailState

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

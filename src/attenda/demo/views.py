"""The Demo outbox page: the mail Attenda sent while the demo ran, for admins to open."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from attenda.demo.outbox import outbox_mail, outbox_mails


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(request, "demo/outbox.html", {"nav": "outbox", "mails": outbox_mails()})


@login_required
def outbox_message(request: HttpRequest, name: str) -> HttpResponse:
    _require_admin(request)
    mail = outbox_mail(name)
    if mail is None:
        raise Http404(_("There is no such mail in the demo outbox."))
    return render(request, "demo/outbox_mail.html", {"nav": "outbox", "mail": mail})

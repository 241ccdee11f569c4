"""Pages every agent shares: their preferences; and for admins, background work that gave up."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attenda.agents.services import update_preferences
from attenda.core import audit_labels
from attenda.core.forms import AuditFilterForm, PreferencesForm
from attenda.core.models import FailedTask
from attenda.core.pagination import InvalidCursor
from attenda.core.queries import audit_page
from attenda.core.tasks import run_failed_task_again, task_label


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    agent = request.user
    form = PreferencesForm(
        request.POST or None, initial={"language": agent.language, "time_zone": agent.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        update_preferences(agent=agent, **form.cleaned_data)
        messages.success(request, _("Your preferences were saved."))
        return redirect("preferences")
    return render(request, "core/preferences.html", {"form": form, "nav": "preferences"})


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
def failed_tasks(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    failed = list(FailedTask.objects.filter(retried_at__isnull=True).order_by("-failed_at")[:200])
    for task in failed:
        task.label = task_label(task.task_path)
    return render(
        request, "core/failed_tasks.html", {"failed_tasks": failed, "nav": "failed_tasks"}
    )


@login_required
@require_POST
def run_again(request: HttpRequest, failed_task_id: int) -> HttpResponse:
    _require_admin(request)
    run_failed_task_again(
        failed_task=get_object_or_404(FailedTask, pk=failed_task_id, retried_at__isnull=True)
    )
    messages.success(request, _("The task will run again."))
    return redirect("failed_tasks")


def health(request: HttpRequest) -> HttpResponse:
    connection.ensure_connection()
    return JsonResponse({"status": "ok"})


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Who changed what and when, for admins; one object's history with ?object_type=&object_id=."""
    _require_admin(request)
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    try:
        page = audit_page(
            object_type=filters.get("object_type", ""),
            object_id=filters.get("object_id", ""),
            cursor=request.GET.get("cursor") or None,
        )
    except InvalidCursor:
        messages.error(request, _("That page link is no longer valid; here is the first page."))
        page = audit_page(
            object_type=filters.get("object_type", ""),
            object_id=filters.get("object_id", ""),
            cursor=None,
        )
    next_query = None
    if page.next_cursor:
        query = request.GET.copy()
        query["cursor"] = page.next_cursor
        next_query = query.urlencode()
    for entry in page.items:
        entry.action_label = audit_labels.action_label(entry.action)
        entry.record_label = audit_labels.record_label(entry.object_type, entry.object_id)
        entry.details = audit_labels.details(entry.object_type, entry.data)
    return render(
        request,
        "core/audit_log.html",
        {"form": form, "entries": page.items, "next_query": next_query, "nav": "audit_log"},
    )

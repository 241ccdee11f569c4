from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import set_language

from attenda.agents import views as agent_views
from attenda.core import views

urlpatterns = [
    path("login/", agent_views.sign_in, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", set_language, name="set_language"),
    path("preferences/", views.preferences, name="preferences"),
    path("admin/failed-tasks/", views.failed_tasks, name="failed_tasks"),
    path(
        "admin/failed-tasks/<int:failed_task_id>/run-again/",
        views.run_again,
        name="run_failed_task_again",
    ),
    path("admin/audit/", views.audit_log, name="audit_log"),
    path("healthz", views.health, name="health"),
]

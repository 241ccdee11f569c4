from django.urls import path

from attenda.routing import views

urlpatterns = [
    path("settings/calendars/", views.calendar_list, name="calendar_list"),
    path("settings/calendars/<int:team_id>/", views.edit_calendar, name="edit_calendar"),
    path("settings/calendars/<int:team_id>/remove/", views.remove_calendar, name="remove_calendar"),
    path("settings/service-levels/", views.policy_list, name="policy_list"),
    path("settings/service-levels/new/", views.edit_policy, name="new_policy"),
    path("settings/service-levels/<int:policy_id>/", views.edit_policy, name="edit_policy"),
    path(
        "settings/service-levels/<int:policy_id>/delete/",
        views.delete_policy,
        name="delete_policy",
    ),
]

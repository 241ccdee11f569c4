from django.urls import path

from attenda.agents import views

urlpatterns = [
    path("api-tokens/", views.api_tokens, name="api_tokens"),
    path("api-tokens/<int:token_id>/revoke/", views.revoke, name="revoke_api_token"),
    path("status/", views.change_status, name="change_status"),
    path("settings/availability/", views.availability, name="availability"),
    path("settings/teams/", views.teams, name="teams"),
    path("settings/teams/<int:team_id>/", views.team_settings, name="team_settings"),
    path(
        "settings/agents/<int:agent_id>/availability/",
        views.availability,
        name="agent_availability",
    ),
    path("settings/agents/", views.agent_list, name="agent_list"),
    path("settings/agents/new/", views.new_agent, name="new_agent"),
    path("settings/agents/<int:agent_id>/", views.edit_agent, name="edit_agent"),
]

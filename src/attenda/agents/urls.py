from django.urls import path

from attenda.agents import views

urlpatterns = [
    path("login/code/", views.sign_in_code, name="sign_in_code"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/two-factor/", views.two_factor, name="two_factor"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_sent, name="password_reset_sent"),
    path(
        "password-reset/<str:uid>/<str:token>/",
        views.choose_password,
        {"purpose": "password_reset"},
        name="password_reset_confirm",
    ),
    path(
        "invitation/<str:uid>/<str:token>/",
        views.choose_password,
        {"purpose": "invitation"},
        name="accept_invitation",
    ),
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
    path("settings/agents/<int:agent_id>/invite/", views.send_invitation, name="invite_agent"),
    path(
        "settings/agents/<int:agent_id>/reset-second-factor/",
        views.reset_agent_second_factor,
        name="reset_second_factor",
    ),
    path("settings/sign-in/", views.sign_in_policy, name="sign_in_policy"),
]

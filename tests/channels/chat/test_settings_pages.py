"""Admins configure chat widgets and chat limits; each change is in the audit trail."""

import pytest

from attenda.channels.chat.models import ChatLimit, ChatWidget
from attenda.core.models import AuditEntry


def test_only_admins_configure_chat_widgets(client, agent, widget):
    client.force_login(agent)

    listing = client.get("/settings/chat-widgets/")
    change = client.post(f"/settings/chat-widgets/{widget.pk}/", {"name": "Taken over"})

    assert listing.status_code == 403
    assert change.status_code == 403
    widget.refresh_from_db()
    assert widget.name == "Shop"


def test_an_admin_adds_a_widget_and_sees_the_tag_to_paste(client, admin_agent, team):
    client.force_login(admin_agent)

    response = client.post(
        "/settings/chat-widgets/new/",
        {
            "name": "Loja",
            "team": team.pk,
            "allowed_origins": "https://loja.example.pt/\nhttp://localhost:8080",
            "greeting": "Olá!",
            "is_active": "on",
        },
        follow=True,
    )

    widget = ChatWidget.objects.get()
    assert widget.origins() == ["https://loja.example.pt", "http://localhost:8080"]
    assert f'data-attenda-chat="{widget.key}"' in response.content.decode()
    entry = AuditEntry.objects.get(action="chat.widget_added")
    assert entry.actor == admin_agent
    assert entry.data["origins"] == ["https://loja.example.pt", "http://localhost:8080"]


def test_an_origin_with_a_path_is_refused(client, admin_agent, team):
    client.force_login(admin_agent)

    response = client.post(
        "/settings/chat-widgets/new/",
        {"name": "Loja", "team": team.pk, "allowed_origins": "https://loja.example.pt/chat"},
    )

    assert response.status_code == 422
    assert "is not an origin" in response.content.decode()
    assert not ChatWidget.objects.exists()


def test_a_new_secret_replaces_the_old_one_and_is_audited(client, admin_agent, widget):
    client.force_login(admin_agent)
    old = widget.secret

    client.post(
        f"/settings/chat-widgets/{widget.pk}/",
        {
            "name": widget.name,
            "team": widget.team_id,
            "allowed_origins": widget.allowed_origins,
            "is_active": "on",
            "new_secret": "1",
        },
    )

    widget.refresh_from_db()
    assert widget.secret != old
    assert AuditEntry.objects.get(action="chat.widget_changed").data["new_secret"] is True


def test_an_admin_sets_a_teams_chat_limit(client, admin_agent, team, agent):
    client.force_login(admin_agent)

    client.post("/settings/chat-widgets/", {"team": team.pk, "limit": 5})

    assert ChatLimit.objects.get(team=team).limit == 5
    assert AuditEntry.objects.get(action="chat.limit_set").data["limit"] == 5


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("en", "Chat widgets"),
        ("pt", "Widgets de chat"),
        ("es", "Widgets de chat"),
        ("ro", "Widgeturi de chat"),
        ("pl", "Widżety czatu"),
    ],
)
def test_the_settings_page_is_in_the_admins_language(
    client, admin_agent, widget, language, heading
):
    admin_agent.language = language
    admin_agent.save()
    client.force_login(admin_agent)

    response = client.get("/settings/chat-widgets/")

    assert f"<h1>{heading}</h1>" in response.content.decode()

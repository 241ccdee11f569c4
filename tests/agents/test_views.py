import pytest
from django.test import Client

from attenda.agents.models import ApiToken
from attenda.agents.services import agent_for_api_key, issue_api_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(agent):
    client = Client()
    client.force_login(agent)
    return client


def test_the_token_page_needs_a_login(db):
    response = Client().get("/api-tokens/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login/?next=/api-tokens/"


def test_an_agent_issues_a_token_and_sees_its_key_only_once(browser, agent):
    issued = browser.post("/api-tokens/", {"name": "CRM"})

    key = issued.context["issued"]["key"]
    assert issued.status_code == 200
    assert key in issued.content.decode()
    assert "no-store" in issued.headers["Cache-Control"]
    assert agent_for_api_key(key) == agent
    assert key not in browser.get("/api-tokens/").content.decode()


def test_the_token_page_links_to_the_api_documentation(browser, agent):
    page = browser.get("/api-tokens/").content.decode()

    assert 'href="/api/v1/docs"' in page


def test_the_page_lists_the_agents_own_tokens_only(browser, agent, colleague):
    issue_api_token(agent=agent, name="CRM")
    issue_api_token(agent=colleague, name="Bruno's script")

    response = browser.get("/api-tokens/")

    assert [token.name for token in response.context["tokens"]] == ["CRM"]
    assert "Bruno&#x27;s script" not in response.content.decode()


def test_a_token_needs_a_name(browser, agent):
    response = browser.post("/api-tokens/", {"name": "  "})

    assert response.context["form"].errors == {"name": ["This field is required."]}
    assert response.context["issued"] is None
    assert ApiToken.objects.filter(agent=agent).count() == 0


def test_an_agent_revokes_a_token_and_it_stops_working(browser, agent):
    token, key = issue_api_token(agent=agent, name="CRM")

    response = browser.post(f"/api-tokens/{token.pk}/revoke/", follow=True)

    assert response.redirect_chain == [("/api-tokens/", 302)]
    assert [str(message) for message in response.context["messages"]] == [
        "The token CRM was revoked; programs using it can no longer connect."
    ]
    assert agent_for_api_key(key) is None


def test_an_agent_cannot_revoke_a_colleagues_token(browser, colleague):
    token, key = issue_api_token(agent=colleague, name="Bruno's script")

    response = browser.post(f"/api-tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert agent_for_api_key(key) == colleague


def test_revoking_needs_a_post(browser, agent):
    token, _key = issue_api_token(agent=agent, name="CRM")

    response = browser.get(f"/api-tokens/{token.pk}/revoke/")

    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None

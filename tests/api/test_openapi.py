import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

OPERATIONS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture
def document():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_openapi_document_is_valid(document):
    validate(document)


def test_every_operation_has_a_summary_and_documents_its_errors(document):
    undocumented = [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in OPERATIONS
        and not (operation.get("summary") and {"401", "422"} <= set(operation["responses"]))
    ]

    assert undocumented == []


def test_every_operation_needs_a_bearer_token(document):
    schemes = document["components"]["securitySchemes"]
    unprotected = [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in OPERATIONS and operation.get("security") != [{"ApiTokenAuth": []}]
    ]

    assert schemes == {"ApiTokenAuth": {"type": "http", "scheme": "bearer"}}
    assert unprotected == []


def test_the_document_lists_every_endpoint(document):
    assert sorted(document["paths"]) == [
        "/api/v1/agents",
        "/api/v1/agents/{agent_id}/availability",
        "/api/v1/chats",
        "/api/v1/chats/{chat_id}",
        "/api/v1/chats/{chat_id}/accept",
        "/api/v1/chats/{chat_id}/end",
        "/api/v1/chats/{chat_id}/messages",
        "/api/v1/customers",
        "/api/v1/customers/search",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/merge",
        "/api/v1/customers/{customer_id}/standing-agent",
        "/api/v1/mail/{address}",
        "/api/v1/routing/calendars/{team_id}",
        "/api/v1/routing/service-levels",
        "/api/v1/routing/service-levels/{policy_id}",
        "/api/v1/routing/statutory-rules",
        "/api/v1/social/accounts",
        "/api/v1/social/kept-events",
        "/api/v1/teams",
        "/api/v1/teams/{team_id}/wait-estimate",
        "/api/v1/tickets",
        "/api/v1/tickets/search",
        "/api/v1/tickets/{number}",
        "/api/v1/tickets/{number}/assign-automatically",
        "/api/v1/tickets/{number}/merge",
        "/api/v1/tickets/{number}/notes",
        "/api/v1/tickets/{number}/owner",
        "/api/v1/tickets/{number}/replies",
        "/api/v1/tickets/{number}/status",
        "/api/v1/tickets/{number}/tags",
        "/api/v1/tickets/{number}/timeline",
        "/api/v1/tickets/{number}/transfers",
        "/api/v1/triage/customers/{customer_id}/flags",
        "/api/v1/triage/entries/{entry_id}",
        "/api/v1/triage/entries/{entry_id}/reveal",
        "/api/v1/triage/tickets/{number}",
        "/api/v1/triage/tickets/{number}/accept",
        "/api/v1/unprocessable-mail",
    ]


def test_the_docs_page_is_served_by_attenda_with_nothing_from_elsewhere():
    response = Client().get("/api/v1/docs")

    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert response.status_code == 200
    assert sources and all(source.startswith("/static/ninja/") for source in sources)
    assert "<script>" not in page
    assert all(finders.find(source.removeprefix("/static/")) for source in sources)


def test_the_docs_page_is_allowed_by_the_content_security_policy():
    response = Client().get("/api/v1/docs")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_the_docs_page_turns_off_the_validator_that_would_send_the_document_elsewhere():
    page = Client().get("/api/v1/docs").content.decode()

    assert '"validatorUrl": null' in page


def test_every_operation_declares_every_error_it_may_answer(document):
    missing = [
        (method.upper(), path, status)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in OPERATIONS
        for status in ["401", "403", "404", "409", "422", "429"]
        + (["400"] if "requestBody" in operation else [])
        if status not in operation["responses"]
    ]

    assert missing == []

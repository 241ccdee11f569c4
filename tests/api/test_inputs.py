"""What no endpoint takes: a query parameter it does not know, and text the database cannot store.
Run with --pg too: PostgreSQL is the engine that refuses a NUL character."""

from urllib.parse import quote

import pytest
from django.test import Client

from attenda.customers.models import Customer
from attenda.tickets.models import Ticket, TimelineEntry
from tests.api.client import client_for
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db

OPERATIONS = {"get", "put", "post", "patch", "delete"}
NUL = "\x00"
SURROGATE = "\ud800"


@pytest.fixture
def admin_api(admin_agent):
    return client_for(admin_agent)


@pytest.fixture
def world(team, agent):
    ticket = received_ticket(team=team)
    return {"number": ticket.pk, "customer_id": ticket.customer_id, "agent_id": agent.pk}


# One request each endpoint answers with success, whose text inputs the tests spoil one at a time.
REQUESTS = {
    ("get", "/customers"): {"query": {"email": "maria@example.com", "cursor": "WyJNIiwgMV0"}},
    ("post", "/customers"): {
        "body": {
            "name": "Rui Lopes",
            "language": "pt",
            "country": "PT",
            "organization": "Lopes Lda",
            "identities": [{"kind": "email", "value": "rui@example.com"}],
        }
    },
    ("get", "/customers/search"): {"query": {"q": "maria"}},
    ("patch", "/customers/{customer_id}"): {
        "body": {
            "name": "Maria Santos",
            "language": "pt",
            "country": "PT",
            "notes": "Prefere email.",
            "add_identities": [{"kind": "email", "value": "m.santos@example.com"}],
        }
    },
    ("get", "/tickets"): {
        "query": {"language": "pt", "tag": "fatura", "cursor": "WyIyMDI2IiwgMV0"}
    },
    ("post", "/tickets"): {
        "body": {
            "identities": [{"kind": "email", "value": "rui@example.com"}],
            "customer_name": "Rui Lopes",
            "subject": "Contador",
            "body": "O contador está avariado.",
            "external_id": "form-1",
        }
    },
    ("get", "/tickets/search"): {"query": {"q": "fatura"}},
    ("put", "/tickets/{number}/owner"): {"body": {"owner": None, "reason": "Férias."}},
    ("put", "/tickets/{number}/tags"): {"body": {"tags": ["fatura"]}},
    ("post", "/tickets/{number}/replies"): {
        "body": {
            "body": "Já corrigimos a fatura.",
            "cc": ["contabilidade@example.pt"],
            "attachments": [
                {"filename": "fatura.txt", "content_type": "text/plain", "content_base64": "b2s="}
            ],
        }
    },
    ("post", "/tickets/{number}/notes"): {"body": {"body": "Ligar amanhã."}},
    ("post", "/tickets/{number}/transfers"): {"body": {"note": "Precisa de um técnico."}},
    ("get", "/tickets/{number}/timeline"): {"query": {"cursor": "WyIyMDI2IiwgMV0"}},
    ("post", "/routing/statutory-rules"): {
        "body": {
            "country": "PT",
            "kinds": ["complaint"],
            "days": 15,
            "count": "working",
            "consequence": "late_answer_breach",
            "source": "Lei n.º 24/96, artigo 10.º",
            "valid_from": "2026-01-01",
            "time_zone": "Europe/Lisbon",
            "condition": "",
        }
    },
    ("get", "/teams"): {"query": {"cursor": "WyJCIiwgMV0"}},
    ("get", "/agents"): {"query": {"cursor": "WyJhIiwgMV0"}},
    ("post", "/mail/{address}"): {"path": {"address": "suporte@example.com"}},
    ("get", "/chats"): {"query": {"state": "waiting"}},
    # The body is read before the chat is looked for: no chat needs to exist for its refusal.
    ("post", "/chats/{chat_id}/messages"): {"path": {"chat_id": 1}, "body": {"body": "Olá!"}},
    ("put", "/agents/{agent_id}/availability"): {
        "body": {
            "status": "away",
            "absent_from": "2026-03-02T09:00:00Z",
            "absent_until": "2026-03-09T09:00:00Z",
        }
    },
}


def _schema(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _text_fields(document: dict, schema: dict, location: str = "") -> list[str]:
    """The body fields that take text, named as the API names them in its errors."""
    schema = _schema(document, schema)
    options = schema.get("anyOf", [schema])
    found = []
    for option in options:
        option = _schema(document, option)
        if option.get("type") == "string" and "enum" not in option and location:
            found.append(location)
        for name, inner in option.get("properties", {}).items():
            found += _text_fields(document, inner, f"{location}.{name}".lstrip("."))
        if option.get("type") == "array" and location:
            found += _text_fields(document, option["items"], f"{location}.0")
    return list(dict.fromkeys(found))


def text_inputs() -> list[tuple[str, str, str, str]]:
    """Every text input of every operation in the OpenAPI document: (method, path, where, field)."""
    document = Client().get("/api/v1/openapi.json").json()
    inputs = []
    for full_path, item in document["paths"].items():
        path = full_path.removeprefix("/api/v1")
        for method, operation in item.items():
            if method not in OPERATIONS:
                continue
            for parameter in operation.get("parameters", []):
                schema = _schema(document, parameter["schema"])
                types = {_schema(document, s).get("type") for s in schema.get("anyOf", [schema])}
                if "string" in types and "enum" not in schema and "format" not in schema:
                    inputs.append((method, path, parameter["in"], parameter["name"]))
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                for field in _text_fields(document, content["application/json"]["schema"]):
                    inputs.append((method, path, "body", field))
    return inputs


def _spoiled(value, field: str, bad: str):
    """The request data with ``bad`` put into the text of ``field`` (a dotted path)."""
    head, _dot, rest = field.partition(".")
    if isinstance(value, list):
        items = list(value) or [""]
        index = int(head)
        items[index] = _spoiled(items[index], rest, bad) if rest else f"Ana{bad}"
        return items
    value = dict(value or {})
    value[head] = _spoiled(value.get(head), rest, bad) if rest else f"Ana{bad}"
    return value


def _send(api, method: str, path: str, request: dict, world: dict):
    path_values = {**world, **request.get("path", {})}
    url = path.format(**{name: quote(str(value), safe="@") for name, value in path_values.items()})
    if method == "get":
        return api.get(url, **{k: v for k, v in request.get("query", {}).items() if v is not None})
    return api.send(method.upper(), url, request.get("body", {}))


def test_every_text_input_of_the_api_has_a_request_to_try():
    missing = {(method, path) for method, path, _where, _field in text_inputs()} - set(REQUESTS)

    assert missing == set()


def test_a_nul_character_in_any_text_input_is_refused_naming_the_field(admin_api, world, mailbox):
    answers = {}
    for method, path, where, field in text_inputs():
        request = REQUESTS[(method, path)]
        spoiled = {**request, where: _spoiled(request.get(where, {}), field, NUL)}
        response = _send(admin_api, method, path, spoiled, world)
        answers[(method, path, field)] = (response.status_code, field in response.json()["fields"])

    assert {case: answer for case, answer in answers.items() if answer != (422, True)} == {}
    assert len(answers) >= 30


def test_a_lone_surrogate_in_any_body_text_is_refused_naming_the_field(admin_api, world):
    answers = {}
    for method, path, where, field in text_inputs():
        if where != "body":
            continue
        request = REQUESTS[(method, path)]
        spoiled = {**request, "body": _spoiled(request["body"], field, SURROGATE)}
        response = _send(admin_api, method, path, spoiled, world)
        answers[(method, path, field)] = (response.status_code, field in response.json()["fields"])

    assert {case: answer for case, answer in answers.items() if answer != (422, True)} == {}


def test_nothing_is_written_when_a_text_holds_a_nul(api, world):
    tickets, entries, customers = (
        Ticket.objects.count(),
        TimelineEntry.objects.count(),
        Customer.objects.count(),
    )

    note = api.post(f"/tickets/{world['number']}/notes", {"body": "Ligar\x00 amanhã."})
    ticket = api.post(
        "/tickets",
        {"identities": [{"kind": "email", "value": "rui@example.com"}], "body": "Olá\x00"},
    )

    assert note.json() == {
        "code": "invalid",
        "message": "Some fields are not valid; see fields.",
        "fields": {"body": ["Text cannot hold the character U+0000; remove it."]},
    }
    assert ticket.status_code == 422
    assert (Ticket.objects.count(), TimelineEntry.objects.count(), Customer.objects.count()) == (
        tickets,
        entries,
        customers,
    )


def test_a_search_for_a_nul_is_refused_naming_the_parameter(api):
    response = api.get("/tickets/search", q="fatura\x00")

    assert response.status_code == 422
    assert response.json()["fields"] == {"q": ["Text cannot hold the character U+0000; remove it."]}


def test_an_unknown_query_parameter_is_refused_naming_it(api, agent, colleague):
    response = api.get("/customers", name="Ana")

    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "Some fields are not valid; see fields.",
        "fields": {"name": ["This endpoint takes no such parameter."]},
    }


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ("/tickets", ["stauts"]),
        ("/tickets/{number}", ["stauts", "limit"]),
        ("/teams", ["stauts"]),
        ("/agents", ["stauts"]),
        ("/triage/tickets/{number}", ["stauts", "limit"]),
    ],
)
def test_every_endpoint_refuses_query_parameters_it_does_not_take(api, world, path, refused):
    response = api.get(path.format(**world), stauts="open", limit=5)

    assert response.status_code == 422
    assert list(response.json()["fields"]) == refused


def test_a_write_with_an_unknown_query_parameter_changes_nothing(api, world):
    response = api.client.post(
        f"/api/v1/tickets/{world['number']}/notes?notify=all",
        {"body": "Ligar amanhã."},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["fields"] == {"notify": ["This endpoint takes no such parameter."]}
    assert TimelineEntry.objects.filter(kind="note").exists() is False


def test_the_parameters_an_endpoint_takes_are_still_taken(api, agent, colleague):
    response = api.get("/agents", limit=1)

    assert response.status_code == 200
    assert len(response.json()["items"]) == 1

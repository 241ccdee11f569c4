from datetime import UTC, datetime

import pytest

from attenda.core.models import AuditEntry
from attenda.customers.models import Customer
from attenda.tickets.models import EntryKind, Status, Ticket, TimelineEntry
from attenda.tickets.services import add_note, set_status, set_tags
from tests.api.client import client_for
from tests.customers.factories import CustomerFactory, IdentityFactory
from tests.tickets.factories import outgoing_mailbox, received_ticket

pytestmark = pytest.mark.django_db

NOT_FOUND = {"code": "not_found", "message": "Not found.", "fields": {}}
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def a_new_ticket(**fields) -> dict:
    return {
        "identities": [{"kind": "email", "value": "Maria@Example.com"}],
        "customer_name": "Maria Santos",
        "subject": "Fatura de outubro",
        "body": "A minha fatura está errada.",
        **fields,
    }


def snapshot(ticket: Ticket) -> tuple:
    ticket.refresh_from_db()
    return (
        ticket.status,
        ticket.owner_id,
        ticket.team_id,
        ticket.kind,
        ticket.priority,
        ticket.updated_at,
        sorted(ticket.tags.values_list("name", flat=True)),
        ticket.timeline.count(),
    )


def test_it_opens_a_ticket_for_a_new_customer_in_the_agents_team(api, agent, team, time_machine):
    time_machine.move_to(NOON, tick=False)

    response = api.post("/tickets", a_new_ticket())

    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert response.json() == {
        "number": ticket.pk,
        "subject": "Fatura de outubro",
        "status": "new",
        "kind": "question",
        "priority": 2,
        "channel": "api",
        "language": "pt",
        "customer_id": ticket.customer_id,
        "customer_name": "Maria Santos",
        "team": {"id": team.pk, "name": "Billing"},
        "owner": None,
        "tags": [],
        "created_at": "2026-03-02T12:00:00Z",
        "updated_at": "2026-03-02T12:00:00Z",
        "waiting_since": "2026-03-02T12:00:00Z",
        "first_response_at": None,
        "solved_at": None,
        "handoff_count": 0,
        "merged_into": None,
        "service_level_id": None,
        "first_response_due": None,
        "next_response_due": None,
        "resolution_due": None,
        "due_at": None,
        "legal_deadline": None,
        "legal_consequence": "",
        "legal_missed_at": None,
        "deemed_accepted": False,
    }
    assert list(ticket.customer.identities.values_list("value", flat=True)) == ["maria@example.com"]
    entry = ticket.timeline.get()
    assert (entry.kind, entry.author_agent, entry.body) == (
        EntryKind.MESSAGE,
        agent,
        "A minha fatura está errada.",
    )


def test_it_opens_a_ticket_for_a_known_customer_on_the_channel_given(api, team):
    customer = CustomerFactory(name="João Pereira")

    response = api.post(
        "/tickets",
        {
            "customer_id": customer.pk,
            "channel": "phone",
            "body": "Ligou por causa da avaria.",
            "kind": "technical_service",
            "priority": 3,
            "team_id": team.pk,
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["customer_id"], body["channel"], body["kind"], body["priority"]) == (
        customer.pk,
        "phone",
        "technical_service",
        3,
    )
    assert body["subject"] == "Ligou por causa da avaria."


def test_the_same_external_id_twice_gives_back_the_first_ticket(api, team):
    first = api.post("/tickets", a_new_ticket(external_id="crm-4711"))

    again = api.post("/tickets", a_new_ticket(external_id="crm-4711", body="Outra vez."))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Ticket.objects.count() == 1
    assert TimelineEntry.objects.count() == 1


def test_an_external_id_already_used_on_a_ticket_the_agent_cannot_see_is_refused_without_its_ticket(
    api, outsider_api, team
):
    api.post("/tickets", a_new_ticket(external_id="crm-4711"))

    response = outsider_api.post("/tickets", a_new_ticket(external_id="crm-4711"))

    assert response.status_code == 409
    assert response.json() == {
        "code": "duplicate_external_id",
        "message": "A message with this external id was already received on this channel.",
        "fields": {},
    }
    assert Ticket.objects.count() == 1


def test_it_refuses_fields_a_caller_may_not_set_and_writes_nothing(api, agent, team):
    response = api.post("/tickets", a_new_ticket(owner=agent.pk, status="solved", handoff_count=0))

    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "Some fields are not valid; see fields.",
        "fields": {
            "owner": ["This field cannot be set here."],
            "status": ["This field cannot be set here."],
            "handoff_count": ["This field cannot be set here."],
        },
    }
    assert (Ticket.objects.count(), Customer.objects.count()) == (0, 0)


def test_each_invalid_field_is_named_in_the_answer(api, team):
    response = api.post(
        "/tickets",
        {
            "identities": [{"kind": "email", "value": "maria@"}, {"kind": "fax", "value": "1"}],
            "body": "  ",
            "priority": 9,
        },
    )

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "identities.0.value": ["Enter a valid email address."],
        "identities.1.kind": ["Choose one of 'email', 'phone', 'social' or 'chat'."],
        "body": ["This field cannot be blank."],
        "priority": ["Choose one of 1, 2, 3 or 4."],
    }
    assert Customer.objects.count() == 0


def test_it_refuses_to_open_a_ticket_in_a_team_the_agent_is_not_in(api, other_team):
    response = api.post("/tickets", a_new_ticket(team_id=other_team.pk))

    assert response.status_code == 422
    assert response.json()["fields"] == {"team_id": ["Choose one of your teams."]}
    assert (Ticket.objects.count(), Customer.objects.count()) == (0, 0)


def test_it_needs_either_the_customers_id_or_their_identities(api, team):
    customer = CustomerFactory()

    neither = api.post("/tickets", {"body": "Olá"})
    both = api.post("/tickets", a_new_ticket(customer_id=customer.pk))

    expected = {"customer_id": ["Give either the customer's id or their identities."]}
    assert (neither.status_code, neither.json()["fields"]) == (422, expected)
    assert (both.status_code, both.json()["fields"]) == (422, expected)
    assert Ticket.objects.count() == 0


def test_an_unknown_customer_id_is_a_conflict_naming_the_field_and_nothing_is_written(api, team):
    response = api.post("/tickets", {"customer_id": 999_999, "body": "Olá"})

    assert (response.status_code, response.json()["code"]) == (409, "unknown_id")
    assert response.json()["fields"] == {"customer_id": ["There is no customer with this id."]}
    assert Ticket.objects.count() == 0
    assert not AuditEntry.objects.filter(action="ticket.received").exists()


def test_a_body_that_is_not_json_is_refused(api):
    response = api.client.post("/api/v1/tickets", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "malformed",
        "message": "The request body is not valid JSON.",
        "fields": {},
    }


def test_an_admin_opens_a_ticket_in_any_team(admin_agent, other_team):
    response = client_for(admin_agent).post("/tickets", a_new_ticket(team_id=other_team.pk))

    assert response.status_code == 201
    assert response.json()["team"] == {"id": other_team.pk, "name": "Technical"}


def test_it_reads_a_ticket_of_the_agents_team(api, team):
    ticket = received_ticket(team=team)

    response = api.get(f"/tickets/{ticket.pk}")

    assert response.status_code == 200
    assert (response.json()["number"], response.json()["customer_name"]) == (
        ticket.pk,
        "Maria Santos",
    )


def test_a_missing_ticket_and_another_teams_ticket_get_the_same_404(api, other_team):
    hidden = received_ticket(team=other_team)

    missing = api.get("/tickets/999999")
    not_ours = api.get(f"/tickets/{hidden.pk}")

    assert (missing.status_code, not_ours.status_code) == (404, 404)
    assert missing.json() == not_ours.json() == NOT_FOUND


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "", None),
        ("GET", "/timeline", None),
        ("PATCH", "", {"priority": 4}),
        ("PUT", "/status", {"status": "solved"}),
        ("PUT", "/owner", {"owner": None}),
        ("PUT", "/tags", {"tags": ["vip"]}),
        ("POST", "/replies", {"body": "Olá"}),
        ("POST", "/notes", {"body": "Olá"}),
        ("POST", "/transfers", {"note": "Para vocês.", "to_agent": None}),
    ],
)
def test_an_agent_cannot_see_or_change_another_teams_ticket(
    outsider_api, outsider, team, method, path, data
):
    ticket = received_ticket(team=team)
    before = snapshot(ticket)

    response = outsider_api.send(method, f"/tickets/{ticket.pk}{path}", data)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert snapshot(ticket) == before
    assert not AuditEntry.objects.filter(actor=outsider, object_type="tickets.ticket").exists()


def test_the_inbox_lists_the_agents_teams_tickets_with_its_filters(api, team, other_team):
    question = received_ticket(team=team, email="a@example.com")
    complaint = received_ticket(team=team, email="b@example.com", kind="complaint")
    received_ticket(team=other_team, email="c@example.com", kind="complaint")

    everything = api.get("/tickets")
    complaints = api.get("/tickets", kind="complaint")

    assert [item["number"] for item in everything.json()["items"]] == [question.pk, complaint.pk]
    assert complaints.json() == {
        "items": [api.get(f"/tickets/{complaint.pk}").json()],
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "open"}, ["open"]),
        ({"channel": "phone"}, ["phone"]),
        ({"language": "es"}, ["spanish"]),
        ({"tag": "vip"}, ["vip"]),
    ],
)
def test_the_inbox_narrows_by_status_channel_language_and_tag(
    api, agent, team, other_team, filters, expected
):
    opened = received_ticket(team=team, email="a@example.com", subject="open")
    set_status(ticket=opened, status=Status.OPEN, actor=agent)
    received_ticket(team=team, email="b@example.com", subject="phone", channel="phone")
    received_ticket(
        team=team,
        email="c@example.com",
        subject="spanish",
        body="Mi factura de octubre está mal, me han cobrado dos veces.",
        language="es",
    )
    tagged = received_ticket(team=team, email="d@example.com", subject="vip")
    set_tags(ticket=tagged, names=["vip"], actor=agent)
    received_ticket(team=other_team, email="e@example.com", subject="phone", channel="phone")

    response = api.get("/tickets", **filters)

    assert [item["subject"] for item in response.json()["items"]] == expected


def test_filtering_by_a_team_the_agent_is_not_in_shows_nothing(api, team, other_team):
    received_ticket(team=other_team)

    response = api.get("/tickets", team=other_team.pk)

    assert response.json() == {"items": [], "next_cursor": None}


def test_the_inbox_views_and_sorts(api, agent, team, time_machine):
    time_machine.move_to(NOON, tick=False)
    low = received_ticket(team=team, email="a@example.com", priority=1)
    urgent = received_ticket(team=team, email="b@example.com", priority=4)
    solved = received_ticket(team=team, email="c@example.com")
    set_status(ticket=solved, status=Status.SOLVED, actor=agent)

    by_priority = api.get("/tickets", sort="priority")
    solved_view = api.get("/tickets", view="solved")

    assert [item["number"] for item in by_priority.json()["items"]] == [urgent.pk, low.pk]
    assert [item["number"] for item in solved_view.json()["items"]] == [solved.pk]


def test_paging_through_the_inbox_shows_every_ticket_once(api, team, time_machine):
    time_machine.move_to(NOON, tick=False)
    numbers = [received_ticket(team=team, email=f"c{n}@example.com").pk for n in range(7)]

    first = api.get("/tickets", limit=3).json()
    second = api.get("/tickets", limit=3, cursor=first["next_cursor"]).json()
    third = api.get("/tickets", limit=3, cursor=second["next_cursor"]).json()

    seen = [item["number"] for page in (first, second, third) for item in page["items"]]
    assert seen == numbers
    assert len(set(seen)) == 7
    assert third["next_cursor"] is None


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WyJ4Il0", "bnVsbA"])
def test_an_invalid_cursor_is_refused(api, team, cursor):
    response = api.get("/tickets", cursor=cursor)

    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "Some fields are not valid; see fields.",
        "fields": {"cursor": ["This cursor is not valid; start again from the first page."]},
    }


def test_unknown_inbox_views_and_limits_out_of_range_are_refused(api, team):
    response = api.get("/tickets", view="everything", limit=500)

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "view": ["Choose one of 'mine', 'unassigned', 'open', 'waiting' or 'solved'."],
        "limit": ["Use 100 or less."],
    }


def test_it_changes_a_tickets_status(api, team):
    ticket = received_ticket(team=team)

    response = api.put(f"/tickets/{ticket.pk}/status", {"status": "solved"})

    assert response.status_code == 200
    assert response.json()["status"] == "solved"
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    assert ticket.timeline.last().data == {"from": "new", "to": "solved"}


def test_an_agent_takes_a_ticket_and_lets_it_go(api, agent, team):
    ticket = received_ticket(team=team)

    taken = api.put(f"/tickets/{ticket.pk}/owner", {"owner": agent.pk})
    released = api.put(f"/tickets/{ticket.pk}/owner", {"owner": None, "reason": "Férias."})

    assert taken.json()["owner"] == {"id": agent.pk, "name": "Ana Silva"}
    assert released.json()["owner"] is None
    assert [entry.data for entry in ticket.timeline.filter(kind=EntryKind.ASSIGNMENT)] == [
        {"from": None, "to": agent.pk},
        {"from": agent.pk, "to": None},
    ]


def test_an_agent_cannot_give_a_ticket_to_a_colleague_and_nothing_changes(api, colleague, team):
    ticket = received_ticket(team=team)
    before = snapshot(ticket)

    response = api.put(f"/tickets/{ticket.pk}/owner", {"owner": colleague.pk})

    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "message": "You are not allowed to do this.",
        "fields": {},
    }
    assert snapshot(ticket) == before


def test_a_supervisor_gives_a_ticket_to_someone_in_the_team(supervisor_api, colleague, team):
    ticket = received_ticket(team=team)

    response = supervisor_api.put(f"/tickets/{ticket.pk}/owner", {"owner": colleague.pk})

    assert response.status_code == 200
    assert response.json()["owner"] == {"id": colleague.pk, "name": "Bruno Costa"}


def test_assigning_to_an_unknown_agent_is_a_conflict_naming_the_field(supervisor_api, team):
    ticket = received_ticket(team=team)

    response = supervisor_api.put(f"/tickets/{ticket.pk}/owner", {"owner": 999_999})

    # The ticket is there (a 404 would say it is not); the agent the body names is not.
    assert (response.status_code, response.json()["code"]) == (409, "unknown_id")
    assert response.json()["fields"] == {"owner": ["There is no agent with this id."]}


def test_it_changes_a_tickets_kind_and_priority(api, team):
    ticket = received_ticket(team=team)

    response = api.patch(f"/tickets/{ticket.pk}", {"kind": "complaint", "priority": 4})

    assert response.status_code == 200
    assert (response.json()["kind"], response.json()["priority"]) == ("complaint", 4)


def test_a_ticket_cannot_be_moved_to_another_customer_or_owner_through_its_details(api, team):
    ticket = received_ticket(team=team)
    stranger = CustomerFactory()
    customer_id = ticket.customer_id
    before = snapshot(ticket)

    response = api.patch(
        f"/tickets/{ticket.pk}", {"priority": 4, "customer_id": stranger.pk, "team_id": None}
    )

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "customer_id": ["This field cannot be set here."],
        "team_id": ["This field cannot be set here."],
    }
    assert snapshot(ticket) == before
    assert ticket.customer_id == customer_id


def test_it_sets_a_tickets_tags(api, team):
    ticket = received_ticket(team=team)

    response = api.put(f"/tickets/{ticket.pk}/tags", {"tags": ["VIP", "fatura", "vip"]})

    assert response.status_code == 200
    assert response.json()["tags"] == ["fatura", "vip"]


def test_a_tag_that_is_not_a_slug_is_refused(api, team):
    ticket = received_ticket(team=team)

    response = api.put(f"/tickets/{ticket.pk}/tags", {"tags": ["not a slug"]})

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "tags.0": ["Use letters, digits, hyphens and underscores only."]
    }
    assert ticket.tags.count() == 0


def test_a_reply_goes_on_the_timeline_and_the_ticket_waits_on_the_customer(
    api, agent, team, time_machine
):
    time_machine.move_to(NOON, tick=False)
    outgoing_mailbox()
    ticket = received_ticket(team=team)

    response = api.post(f"/tickets/{ticket.pk}/replies", {"body": "Vamos corrigir a fatura."})

    assert response.status_code == 201
    entry = TimelineEntry.objects.get(kind=EntryKind.REPLY)
    assert response.json() == {
        "id": entry.pk,
        "ticket": ticket.pk,
        "kind": "reply",
        "created_at": "2026-03-02T12:00:00Z",
        "author_agent": {"id": agent.pk, "name": "Ana Silva"},
        "author_customer_id": None,
        "channel": "email",
        "body": "Vamos corrigir a fatura.",
        "language": "",
        "external_id": None,
        "data": {"to": "maria@example.com", "from": "support@attenda.example"},
        "attachments": [],
        "sender_check": None,
        "delivery": {
            "state": "queued",
            "channel": "email",
            "address": "maria@example.com",
            "sender": "support@attenda.example",
            "cc": [],
            "reason": "",
        },
    }
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CUSTOMER


@pytest.mark.parametrize("content", ["*e¢É¡", "Ⱥ", "QUJD\n", "QUI", "QUJD===="])
def test_a_file_that_is_not_base64_as_the_document_states_is_refused(api, team, content):
    ticket = received_ticket(team=team)
    file = {"filename": "fatura.pdf", "content_base64": content}

    response = api.post(
        f"/tickets/{ticket.pk}/replies", {"body": "Segue a fatura.", "attachments": [file]}
    )

    assert response.status_code == 422
    assert response.json()["fields"] == {"attachments.0.content_base64": ["This is not base64."]}
    assert not TimelineEntry.objects.filter(kind=EntryKind.REPLY).exists()


@pytest.mark.parametrize(
    ("own", "channel", "cc", "field"),
    [("email", "web", [], "channel"), ("phone", None, ["contabilidade@example.pt"], "cc")],
)
def test_a_reply_the_tickets_route_cannot_send_is_a_conflict(api, team, own, channel, cc, field):
    ticket = received_ticket(team=team, channel=own)

    response = api.post(
        f"/tickets/{ticket.pk}/replies", {"body": "Já vejo.", "channel": channel, "cc": cc}
    )

    assert (response.status_code, response.json()["code"]) == (409, "cannot_send")
    assert list(response.json()["fields"]) == [field]
    assert not TimelineEntry.objects.filter(kind=EntryKind.REPLY).exists()


def test_copies_on_a_reply_named_for_another_channel_than_email_are_refused(api, team):
    ticket = received_ticket(team=team)

    response = api.post(
        f"/tickets/{ticket.pk}/replies",
        {"body": "Já vejo.", "channel": "phone", "cc": ["contabilidade@example.pt"]},
    )

    assert response.status_code == 422
    assert response.json()["fields"] == {"cc": ["Copies can only be sent with a reply by email."]}


def test_a_reply_can_leave_the_ticket_open(api, team):
    ticket = received_ticket(team=team)

    api.post(f"/tickets/{ticket.pk}/replies", {"body": "Já vejo.", "status": "open"})

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a_blank_reply_is_refused_and_nothing_is_written(api, team):
    ticket = received_ticket(team=team)
    before = snapshot(ticket)

    response = api.post(f"/tickets/{ticket.pk}/replies", {"body": "   "})

    assert response.status_code == 422
    assert response.json()["fields"] == {"body": ["This field cannot be blank."]}
    assert snapshot(ticket) == before


def test_a_note_stays_internal(api, team):
    ticket = received_ticket(team=team)

    response = api.post(f"/tickets/{ticket.pk}/notes", {"body": "Cliente antigo."})

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["channel"]) == ("note", "")


def test_a_transfer_hands_the_ticket_on_with_its_note(api, outsider, team, other_team):
    ticket = received_ticket(team=team)

    response = api.post(
        f"/tickets/{ticket.pk}/transfers",
        {"note": "Avaria técnica; já confirmei a morada.", "to_team": other_team.pk},
    )

    assert response.status_code == 201
    assert response.json()["kind"] == "transfer"
    ticket.refresh_from_db()
    assert (ticket.team, ticket.handoff_count, ticket.pinned_handoff_id) == (
        other_team,
        1,
        response.json()["id"],
    )
    assert api.get(f"/tickets/{ticket.pk}").status_code == 404


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ({}, "This field is required."),
        ({"note": "  "}, "This field cannot be blank."),
    ],
)
def test_a_transfer_without_a_note_is_refused_and_nothing_changes(
    api, agent, team, other_team, note, message
):
    ticket = received_ticket(team=team)
    before = snapshot(ticket)

    response = api.post(f"/tickets/{ticket.pk}/transfers", {"to_team": other_team.pk, **note})

    assert response.status_code == 422
    assert response.json()["fields"] == {"note": [message]}
    assert snapshot(ticket) == before
    assert ticket.handoff_count == 0
    assert not AuditEntry.objects.filter(actor=agent, action="ticket.transferred").exists()


def test_a_transfer_to_an_unknown_team_is_a_conflict_naming_the_field(api, team):
    ticket = received_ticket(team=team)

    response = api.post(f"/tickets/{ticket.pk}/transfers", {"note": "Ver.", "to_team": 999_999})

    assert (response.status_code, response.json()["code"]) == (409, "unknown_id")
    assert response.json()["fields"] == {"to_team": ["There is no team with this id."]}


def test_the_timeline_is_read_in_order_a_page_at_a_time(api, agent, team, time_machine):
    time_machine.move_to(NOON, tick=False)
    ticket = received_ticket(team=team)
    for number in range(4):
        add_note(ticket=ticket, agent=agent, body=f"Nota {number}")

    first = api.get(f"/tickets/{ticket.pk}/timeline", limit=3).json()
    second = api.get(f"/tickets/{ticket.pk}/timeline", limit=3, cursor=first["next_cursor"]).json()

    bodies = [item["body"] for item in first["items"] + second["items"]]
    assert bodies == ["A minha fatura está errada.", "Nota 0", "Nota 1", "Nota 2", "Nota 3"]
    assert second["next_cursor"] is None


def test_a_ticket_for_a_customer_known_by_phone_joins_that_customer(api, team):
    identity = IdentityFactory(kind="phone", value="+351912345678")

    response = api.post(
        "/tickets",
        {"identities": [{"kind": "phone", "value": "912 345 678"}], "body": "Sem rede."},
    )

    assert response.json()["customer_id"] == identity.customer_id


def test_merging_a_ticket_closes_it_and_shows_its_timeline_in_the_other(api, team):
    kept = received_ticket(team=team, body="A fatura de março está errada.")
    duplicate = received_ticket(team=team, subject="Outra vez a fatura", body="Escrevo de novo.")

    response = api.post(f"/tickets/{duplicate.pk}/merge", {"into": kept.pk})

    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    timeline = api.get(f"/tickets/{kept.pk}/timeline").json()["items"]
    assert "Escrevo de novo." in [entry["body"] for entry in timeline]


def test_a_ticket_cannot_be_merged_into_another_customers_ticket(api, team):
    kept = received_ticket(team=team, email="maria@example.com")
    stranger = received_ticket(team=team, email="rui@example.com")

    response = api.post(f"/tickets/{stranger.pk}/merge", {"into": kept.pk})

    assert response.status_code == 409
    assert response.json()["message"] == "Only tickets of the same customer can be merged."
    stranger.refresh_from_db()
    assert (stranger.status, stranger.merged_into_id) == ("new", None)

"""The agent's ticket pages as an agent uses them: the inbox, a ticket and its forms, logging a call,
and search."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attenda.customers.models import Customer, IdentityKind
from attenda.customers.services import IdentityClaim
from attenda.tickets.messages import Inbound, InboundFile
from attenda.tickets.models import Attachment, Channel, EntryKind, Priority, Status, Ticket
from attenda.tickets.queries import inbox_counts, inbox_people
from attenda.tickets.services import add_note, assign, receive, set_status, set_tags, transfer
from tests.agents.factories import AgentFactory, TeamFactory
from tests.customers.factories import IdentityFactory
from tests.plans import plans
from tests.tickets.factories import outgoing_mailbox, received_ticket

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def listed(response) -> list[int]:
    """The ticket numbers a list shows, in order."""
    return [
        int(number)
        for number in re.findall(r'href="/tickets/(\d+)/" data-row-link', text(response))
    ]


def text(response) -> str:
    return response.content.decode()


def kinds_on(ticket: Ticket) -> list[str]:
    return list(ticket.timeline.order_by("created_at", "id").values_list("kind", flat=True))


# Inbox


def test_the_inbox_opens_on_the_agents_own_open_tickets(client, team, agent):
    mine = received_ticket(team=team, email="a@example.com")
    received_ticket(team=team, email="b@example.com")
    assign(ticket=mine, owner=agent, actor=agent)
    client.force_login(agent)

    response = client.get("/")

    assert response.status_code == 200
    assert listed(response) == [mine.pk]
    assert re.search(r'<a href="/\?view=mine" aria-current="page">.*?Mine</span>', text(response))


def test_the_inbox_rows_show_each_column_escaped(client, team, agent):
    ticket = received_ticket(
        team=team, name="Ana <b>& Filhos</b>", subject="<script>alert(1)</script>" + "x" * 130
    )
    set_tags(ticket=ticket, names=["fatura", "urgente"], actor=agent)
    client.force_login(agent)

    page = text(client.get("/", {"view": "open"}))

    row = re.search(r"<tr data-ticket=.*?</tr>", page).group(0)
    assert (
        f'<a href="/tickets/{ticket.pk}/" data-row-link>&lt;script&gt;alert(1)&lt;/script&gt;'
        in row
    )
    assert "&lt;/script&gt;" + "x" * 94 + "…</a>" in row  # 120 characters, the last an ellipsis
    assert '<span class="who">Ana &lt;b&gt;&amp; Filhos&lt;/b&gt;</span>' in row
    assert '<span class="badge status-new">New</span>' in row
    assert '<span class="muted owner-name">Nobody</span>' in row
    assert (
        '<span class="tags"><span class="tag">fatura</span><span class="tag">urgente</span>' in row
    )


def test_the_inbox_lists_only_the_tickets_of_the_agents_teams(client, team, other_team, agent):
    ours = received_ticket(team=team, email="a@example.com")
    received_ticket(team=other_team, email="b@example.com")
    client.force_login(agent)

    response = client.get("/", {"view": "open"})

    assert listed(response) == [ours.pk]


def test_each_inbox_tab_lists_its_tickets(client, team, agent, colleague):
    unassigned = received_ticket(team=team, email="a@example.com")
    colleagues = received_ticket(team=team, email="b@example.com")
    waiting = received_ticket(team=team, email="c@example.com")
    solved = received_ticket(team=team, email="d@example.com")
    assign(ticket=colleagues, owner=colleague, actor=colleague)
    set_status(ticket=waiting, status=Status.WAITING_ON_CUSTOMER, actor=agent)
    set_status(ticket=solved, status=Status.SOLVED, actor=agent)
    client.force_login(agent)

    lists = {
        view: listed(client.get("/", {"view": view}))
        for view in ("unassigned", "open", "waiting", "solved")
    }

    assert lists == {
        "unassigned": [unassigned.pk, waiting.pk],
        "open": [unassigned.pk, colleagues.pk, waiting.pk],
        "waiting": [waiting.pk],
        "solved": [solved.pk],
    }


@pytest.mark.parametrize(
    ("view", "message"),
    [
        ("mine", "No open tickets are assigned to you."),
        ("unassigned", "Every open ticket of your teams has an owner."),
        ("open", "Your teams have no open tickets."),
        ("waiting", "No ticket is waiting on a customer or a third party."),
        ("solved", "No solved tickets here yet."),
    ],
)
def test_an_empty_inbox_tab_says_so(client, agent, view, message):
    client.force_login(agent)

    response = client.get("/", {"view": view})

    assert f'<p class="empty">{message}</p>' in text(response)


def test_every_view_in_the_sidebar_has_its_count(client, team, agent):
    mine = received_ticket(team=team, email="a@example.com")
    received_ticket(team=team, email="b@example.com")
    waiting = received_ticket(team=team, email="c@example.com")
    assign(ticket=mine, owner=agent, actor=agent)
    set_status(ticket=waiting, status=Status.WAITING_ON_CUSTOMER, actor=agent)
    client.force_login(agent)

    page = text(client.get("/"))

    counts = re.findall(
        r'<span class="label">(.*?)</span> <span class="count"><span aria-hidden="true">(.*?)</span>',
        page,
    )
    assert counts == [
        ("Mine", "1"),
        ("Unassigned", "2"),
        ("All open", "3"),
        ("Waiting", "1"),
        ("Solved", "0"),
    ]
    assert '<span class="visually-hidden">Number of tickets: 3</span>' in page


def sidebar_counts(page: str) -> list[str]:
    return re.findall(r'<span class="visually-hidden">Number of tickets: (.*?)</span>', page)


def test_an_admin_counts_every_team_and_an_agent_only_theirs(
    client, team, other_team, agent, outsider, admin_agent
):
    received_ticket(team=team, email="a@example.com")
    elsewhere = received_ticket(team=other_team, email="b@example.com")
    set_status(ticket=elsewhere, status=Status.SOLVED, actor=outsider)
    mine = received_ticket(team=team, email="c@example.com")
    assign(ticket=mine, owner=agent, actor=agent)

    client.force_login(admin_agent)
    assert sidebar_counts(text(client.get("/"))) == ["0", "1", "2", "0", "1"]
    client.force_login(agent)
    assert sidebar_counts(text(client.get("/"))) == ["1", "1", "2", "0", "0"]


def test_an_agent_in_no_team_counts_only_their_own_tickets(client, team, agent):
    ticket = received_ticket(team=team)
    assign(ticket=ticket, owner=agent, actor=agent)
    agent.teams.clear()
    client.force_login(agent)

    assert sidebar_counts(text(client.get("/inbox/counts/", **HTMX))) == ["1", "0", "0", "0", "0"]


def test_the_counts_read_the_indexes_of_their_views(team, agent):
    received_ticket(team=team)
    agent.team_ids()  # Read before capturing: only the counts' statement is planned below.

    with CaptureQueriesContext(connection) as captured:
        inbox_counts(agent)

    plan = plans(captured.captured_queries)
    # Each view's count is one range of an index of the tickets, never the whole table.
    assert not [line for line in plan if line.startswith("SCAN tickets_ticket")]
    assert sum("tickets_ticket USING" in line or "on tickets_ticket" in line for line in plan) >= 5
    assert not [line for line in plan if "Seq Scan" in line]


def test_the_counts_stop_at_999_plus(client, team, agent, monkeypatch):
    monkeypatch.setattr("attenda.tickets.queries.COUNT_LIMIT", 3)
    for number in range(4):
        received_ticket(team=team, email=f"{number}@example.com")
    client.force_login(agent)

    page = text(client.get("/", {"view": "unassigned"}))

    assert '<span class="visually-hidden">Number of tickets: 2+</span>' in page
    assert '<span class="visually-hidden">Number of tickets: 0</span>' in page


def test_other_pages_load_the_sidebar_counts_after_the_page(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    page = text(client.get(f"/tickets/{ticket.pk}/"))
    counts = text(client.get("/inbox/counts/", {"current": ""}, **HTMX))

    assert 'hx-get="/inbox/counts/?current="' in page
    assert "Number of tickets" not in page
    assert '<span class="visually-hidden">Number of tickets: 1</span>' in counts
    assert "aria-current" not in counts


def test_the_inbox_offers_the_agents_teams_and_their_active_colleagues(
    team, other_team, agent, colleague, outsider
):
    """An admin is offered every team and every active agent; an agent their own teams and
    those teams' active agents, by name."""
    AgentFactory(username="left", first_name="Aaron", teams=[team], is_active=False)
    admin = AgentFactory(username="root", first_name="Zé", role="admin")

    mine = inbox_people(agent)
    everyone = inbox_people(admin)

    assert mine.teams == ((team.pk, "Billing"),)
    assert mine.owners == ((agent.pk, "Ana Silva"), (colleague.pk, "Bruno Costa"))
    assert agent.team_ids() == [team.pk]
    assert everyone.teams == ((team.pk, "Billing"), (other_team.pk, "Technical"))
    assert [name for _pk, name in everyone.owners] == ["Ana Silva", "Bruno Costa", "Olga", "Zé"]


def test_a_row_shows_what_an_agent_needs_to_pick_a_ticket(client, team, agent):
    with time_machine.travel(datetime(2026, 1, 15, 9, 0, tzinfo=UTC), tick=False):
        ticket = received_ticket(team=team, subject="Fatura de outubro")
    set_tags(ticket=ticket, names=["fatura", "urgente"], actor=agent)
    assign(ticket=ticket, owner=agent, actor=agent)
    agent.time_zone = "America/Sao_Paulo"
    agent.save()
    client.force_login(agent)

    page = text(client.get("/"))

    row = re.search(r"<tr data-ticket=.*?</tr>", page, re.S).group(0)
    cells = [
        re.sub(r"<[^>]+>", " ", cell).split()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]
    assert cells == [
        [],
        ["MS", "Maria", "Santos"],
        [
            f"#{ticket.pk}",
            "Fatura",
            "de",
            "outubro",
            "A",
            "minha",
            "fatura",
            "está",
            "errada.",
            "fatura",
            "urgente",
        ],
        ["New"],
        ["Normal"],
        ["AS", "Ana", "Silva"],
        ["—"],
        ["15/01/2026"],
    ]
    assert '<time datetime="2026-01-15T06:00:00-03:00" title="15/01/2026 06:00">' in row


def test_the_inbox_filters_by_channel_and_tag(client, team, agent):
    by_phone = received_ticket(team=team, email="a@example.com", channel=Channel.PHONE)
    tagged_phone = received_ticket(team=team, email="b@example.com", channel=Channel.PHONE)
    received_ticket(team=team, email="c@example.com", channel=Channel.EMAIL)
    set_tags(ticket=tagged_phone, names=["fatura"], actor=agent)
    client.force_login(agent)

    by_channel = listed(client.get("/", {"view": "open", "channel": "phone"}))
    by_both = listed(client.get("/", {"view": "open", "channel": "phone", "tag": "fatura"}))

    assert by_channel == [by_phone.pk, tagged_phone.pk]
    assert by_both == [tagged_phone.pk]


def test_the_inbox_sorts_by_priority(client, team, agent):
    normal = received_ticket(team=team, email="a@example.com")
    urgent = received_ticket(team=team, email="b@example.com", priority=Priority.URGENT)
    client.force_login(agent)

    response = client.get("/", {"view": "open", "sort": "priority"})

    assert listed(response) == [urgent.pk, normal.pk]


def test_a_filter_value_that_makes_no_sense_is_explained_and_left_out(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.get("/", {"view": "open", "status": "lost", "team": "abc"})

    assert response.status_code == 200
    assert "Some filters were not understood and were left out." in text(response)
    assert (
        '<ul class="errorlist" id="id_status_error"><li>Select a valid choice. lost is not one of'
        " the available choices.</li></ul>"
    ) in text(response)
    assert listed(response) == [ticket.pk]


def test_the_inbox_refuses_a_team_the_agent_is_not_in(client, team, other_team, agent):
    received_ticket(team=other_team)
    client.force_login(agent)

    response = client.get("/", {"view": "open", "team": str(other_team.pk)})

    assert listed(response) == []
    assert "Some filters were not understood and were left out." in text(response)


def test_the_next_page_continues_where_the_first_ended(client, team, agent):
    tickets = [received_ticket(team=team, email=f"c{n}@example.com").pk for n in range(53)]
    client.force_login(agent)

    first = client.get("/", {"view": "open"})
    next_url = re.search(
        r'<a href="([^"]+)" hx-get="[^"]+" hx-target="#inbox"[^>]*rel="next">Next page</a>',
        text(first),
    ).group(1)
    second = client.get("/" + next_url.replace("&amp;", "&"))

    assert len(listed(first)) == 50
    assert listed(first) + listed(second) == tickets
    assert "Next page" not in text(second)


def test_a_broken_page_link_shows_the_first_page_with_a_message(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.get("/", {"view": "open", "cursor": "not-a-cursor"})

    assert response.status_code == 200
    assert "That page link is no longer valid, so the first page is shown." in text(response)
    assert listed(response) == [ticket.pk]


def test_an_htmx_request_gets_only_the_inbox_part(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.get("/", {"view": "open"}, **HTMX)

    assert text(response).lstrip().startswith('<div id="inbox" class="inbox">')
    assert "<html" not in text(response)
    assert listed(response) == [ticket.pk]
    assert set(response["Vary"].split(", ")) == {"HX-Request", "Accept-Language", "Cookie"}


def test_a_page_speaks_the_agents_language(client, agent):
    agent.language = "pt"
    agent.save()
    client.force_login(agent)

    response = client.get("/")

    assert '<html lang="pt">' in text(response)


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


# The ticket page


def test_the_ticket_page_shows_the_timeline_in_order_and_notes_as_internal(client, team, agent):
    outgoing_mailbox()
    ticket = received_ticket(team=team)
    client.force_login(agent)
    client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"reply-body": "Vamos ver.", "reply-status": "waiting_on_customer"},
    )
    client.post(f"/tickets/{ticket.pk}/notes/", {"note-body": "Leitura estimada."})

    page = text(client.get(f"/tickets/{ticket.pk}/"))

    headlines = re.findall(r'<span class="headline">(.*?)</span>', page)
    assert headlines == [
        "Maria Santos wrote by Email",
        "Ana Silva replied by Email",
        "Ana Silva changed the status from New to Waiting on customer.",
        "Internal note by Ana Silva",
    ]
    assert re.search(
        r'<li class="entry entry-note internal"[^>]*>\s*<p class="entry-head">\s*'
        r'<span class="badge internal">Internal</span>',
        page,
    )


def test_the_ticket_page_lists_the_colleagues_as_they_are_now(client, team, agent, colleague):
    """The lists a page kept from the one before are read again: a renamed agent, a new one and a new
    team show on the next page, and the lists speak the agent's language."""
    ticket = received_ticket(team=team)
    client.force_login(agent)
    client.get(f"/tickets/{ticket.pk}/")
    colleague.first_name = "Bruna"
    colleague.save()
    AgentFactory(username="carla", first_name="Carla", last_name="Reis", teams=[team])
    TeamFactory(name="Vendas")

    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    agent.language = "pt"
    agent.save()
    in_portuguese = client.get(f"/tickets/{ticket.pk}/").content.decode()

    transfer_to = page[
        page.index('id="id_transfer-to_agent"') : page.index(
            "</select>", page.index('id="id_transfer-to_agent"')
        )
    ]
    assert ">Bruna Costa</option>" in transfer_to
    assert ">Carla Reis</option>" in transfer_to
    assert "Bruno Costa" not in page
    assert ">Vendas</option>" in page
    assert ">Nobody in particular</option>" in page
    assert ">Ninguém em particular</option>" in in_portuguese


def test_the_ticket_page_labels_its_fields_for_people_and_browser_tests(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    page = text(client.get(f"/tickets/{ticket.pk}/"))

    for field, label in [
        ("id_reply-body", "Reply to the customer"),
        ("id_reply-status", "Then set status to"),
        ("id_note-body", "Internal note"),
        ("id_transfer-to_agent", "Transfer to agent"),
        ("id_transfer-to_team", "Transfer to team"),
        ("id_transfer-note", "Hand-off note"),
        ("id_properties-status", "Status"),
        ("id_properties-kind", "Kind"),
        ("id_properties-priority", "Priority"),
        ("id_properties-owner", "Owner"),
        ("id_properties-tags", "Tags"),
    ]:
        assert f'<label for="{field}">{label}</label>' in page
    for button, name in [
        ("reply-submit", "Send reply"),
        ("note-submit", "Add note"),
        ("transfer-submit", "Transfer"),
        ("assign-take", "Take it"),
        ("properties-submit", "Save"),
    ]:
        assert f'<button type="submit" id="{button}">{name}</button>' in page


def test_an_agent_outside_the_team_gets_404_and_changes_nothing(client, team, outsider):
    ticket = received_ticket(team=team)
    client.force_login(outsider)

    page = client.get(f"/tickets/{ticket.pk}/")
    posts = [
        client.post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "Olá", "reply-status": "open"}),
        client.post(f"/tickets/{ticket.pk}/notes/", {"note-body": "Nota"}),
        client.post(f"/tickets/{ticket.pk}/assign/", {"assign-owner": str(outsider.pk)}),
        client.post(
            f"/tickets/{ticket.pk}/properties/",
            {
                "properties-status": "solved",
                "properties-priority": "2",
                "properties-kind": "question",
                "properties-owner": str(outsider.pk),
            },
        ),
        client.post(f"/tickets/{ticket.pk}/presence/", {"activity": "viewing"}),
    ]

    assert [page.status_code, *[post.status_code for post in posts]] == [404] * 6
    ticket.refresh_from_db()
    assert (ticket.status, ticket.owner) == (Status.NEW, None)
    assert kinds_on(ticket) == [EntryKind.MESSAGE]


def test_a_reply_goes_on_the_timeline_and_the_ticket_waits_on_the_customer(client, team, agent):
    outgoing_mailbox()
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"reply-body": "Vamos corrigir a fatura.", "reply-status": "waiting_on_customer"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CUSTOMER
    assert kinds_on(ticket) == [EntryKind.MESSAGE, EntryKind.REPLY, EntryKind.STATUS_CHANGE]
    assert ticket.timeline.get(kind=EntryKind.REPLY).body == "Vamos corrigir a fatura."
    assert "Your reply is on its way to maria@example.com." in text(
        client.get(response["Location"])
    )


def test_an_empty_reply_shows_the_error_beside_the_text_and_sends_nothing(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.post(
        f"/tickets/{ticket.pk}/reply/", {"reply-body": "  ", "reply-status": "open"}
    )

    assert response.status_code == 422
    assert (
        '<ul class="errorlist" id="id_reply-body_error"><li>Write a message first.</li></ul>'
        in text(response)
    )
    assert kinds_on(ticket) == [EntryKind.MESSAGE]


def test_a_reply_through_htmx_swaps_the_form_and_updates_the_rest_out_of_band(client, team, agent):
    outgoing_mailbox()
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.post(
        f"/tickets/{ticket.pk}/reply/", {"reply-body": "Já está.", "reply-status": "solved"}, **HTMX
    )

    page = text(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<form id="reply-form"')
    assert (
        '<section id="timeline" class="timeline" aria-labelledby="timeline-heading" hx-swap-oob="true">'
        in page
    )
    assert '<div id="ticket-summary" class="ticket-summary" hx-swap-oob="true">' in page
    assert '<div id="messages" class="messages" role="status" hx-swap-oob="innerHTML">' in page
    assert '<li class="message success">Your reply is on its way to maria@example.com.</li>' in page
    assert '<div class="text">Já está.</div>' in page
    assert Ticket.objects.get(pk=ticket.pk).status == Status.SOLVED


def test_a_note_goes_on_the_timeline_and_changes_no_status(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    client.post(f"/tickets/{ticket.pk}/notes/", {"note-body": "Verificar com a faturação."})

    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert ticket.timeline.get(kind=EntryKind.NOTE).body == "Verificar com a faturação."


def once_token(page: str, prefix: str) -> str:
    return re.search(rf'name="{prefix}-once" value="([^"]+)"', page).group(1)


def test_a_reply_sent_again_from_the_same_page_is_written_and_mailed_once(client, team, agent):
    """A browser sends a POST again when its connection broke before any answer came: the web
    process may have written the reply before it died."""
    from attenda.channels.email.models import OutboundMail

    outgoing_mailbox()
    ticket = received_ticket(team=team)
    client.force_login(agent)
    form = {
        "reply-body": "Vamos corrigir a fatura.",
        "reply-status": "waiting_on_customer",
        "reply-once": once_token(text(client.get(f"/tickets/{ticket.pk}/")), "reply"),
    }

    first = client.post(f"/tickets/{ticket.pk}/reply/", form)
    again = client.post(f"/tickets/{ticket.pk}/reply/", form)

    assert (first.status_code, again.status_code) == (302, 302)
    assert again["Location"] == f"/tickets/{ticket.pk}/"
    assert kinds_on(ticket) == [EntryKind.MESSAGE, EntryKind.REPLY, EntryKind.STATUS_CHANGE]
    assert OutboundMail.objects.filter(ticket=ticket).count() == 1


def test_a_note_sent_again_from_the_same_page_is_written_once(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)
    form = {
        "note-body": "Verificar com a faturação.",
        "note-once": once_token(text(client.get(f"/tickets/{ticket.pk}/")), "note"),
    }

    client.post(f"/tickets/{ticket.pk}/notes/", form)
    again = client.post(f"/tickets/{ticket.pk}/notes/", form)

    assert again.status_code == 302
    assert kinds_on(ticket) == [EntryKind.MESSAGE, EntryKind.NOTE]


def test_each_showing_of_the_forms_carries_a_token_of_its_own(client, team, agent):
    """The same words written twice, from two pages, are two notes."""
    ticket = received_ticket(team=team)
    client.force_login(agent)
    first = text(client.get(f"/tickets/{ticket.pk}/"))
    swapped = text(
        client.post(
            f"/tickets/{ticket.pk}/notes/",
            {"note-body": "Ligar amanhã.", "note-once": once_token(first, "note")},
            **HTMX,
        )
    )

    client.post(
        f"/tickets/{ticket.pk}/notes/",
        {"note-body": "Ligar amanhã.", "note-once": once_token(swapped, "note")},
    )

    tokens = {once_token(first, "note"), once_token(first, "reply"), once_token(swapped, "note")}
    assert len(tokens) == 3
    assert kinds_on(ticket) == [EntryKind.MESSAGE, EntryKind.NOTE, EntryKind.NOTE]


def test_a_transfer_hands_the_ticket_over_with_its_note(client, team, agent, colleague):
    ticket = received_ticket(team=team)
    assign(ticket=ticket, owner=agent, actor=agent)
    client.force_login(agent)

    response = client.post(
        f"/tickets/{ticket.pk}/transfer/",
        {"transfer-to_agent": str(colleague.pk), "transfer-note": "Cliente pagou duas vezes."},
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.owner, ticket.handoff_count) == (colleague, 1)
    assert ticket.pinned_handoff.body == "Cliente pagou duas vezes."
    assert ticket.pinned_handoff.kind == EntryKind.TRANSFER


def test_a_transfer_without_a_note_shows_the_error_beside_the_note_and_changes_nothing(
    client, team, agent, colleague
):
    ticket = received_ticket(team=team)
    assign(ticket=ticket, owner=agent, actor=agent)
    client.force_login(agent)

    response = client.post(
        f"/tickets/{ticket.pk}/transfer/",
        {"transfer-to_agent": str(colleague.pk), "transfer-note": " "},
    )

    assert response.status_code == 422
    assert re.search(
        r'<label for="id_transfer-note">Hand-off note</label>\s*<div class="helptext"[^>]*>[^<]*</div>\s*'
        r'<ul class="errorlist" id="id_transfer-note_error"><li>Write a hand-off note: what the '
        r"customer needs and what was done.</li></ul>\s*<textarea[^>]*aria-invalid=\"true\"",
        text(response),
    )
    ticket.refresh_from_db()
    assert (ticket.owner, ticket.handoff_count, ticket.pinned_handoff) == (agent, 0, None)
    assert not ticket.timeline.filter(kind=EntryKind.TRANSFER).exists()


def test_a_transfer_out_of_the_agents_teams_leads_back_to_the_inbox(
    client, team, other_team, agent
):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.post(
        f"/tickets/{ticket.pk}/transfer/",
        {"transfer-to_team": str(other_team.pk), "transfer-note": "É da parte técnica."},
        **HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/"
    assert Ticket.objects.get(pk=ticket.pk).team == other_team


def test_the_receiver_sees_the_hand_off_note_first_and_got_it_unpins_it(
    client, team, agent, colleague
):
    ticket = received_ticket(team=team)
    transfer(ticket=ticket, actor=agent, to_agent=colleague, note="Cliente pagou duas vezes.")
    client.force_login(colleague)

    before = text(client.get(f"/tickets/{ticket.pk}/"))
    got_it = client.post(f"/tickets/{ticket.pk}/hand-off/read/")
    after = text(client.get(f"/tickets/{ticket.pk}/"))

    pinned = before.index("<h2>Hand-off note from Ana Silva</h2>")
    assert pinned < before.index("<h1>") < before.index("A minha fatura está errada.")
    assert before.index('<section class="handoff" role="alert">') < pinned
    assert got_it.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).pinned_handoff is None
    assert "Hand-off note from" not in after
    assert '<span class="headline">Bruno Costa read the hand-off note.</span>' in after


def test_a_team_receiving_a_ticket_sees_the_note_but_the_sender_does_not(
    client, team, other_team, agent, outsider
):
    ticket = received_ticket(team=team)
    transfer(ticket=ticket, actor=agent, to_team=other_team, note="Contador avariado.")

    client.force_login(outsider)
    receiver_page = text(client.get(f"/tickets/{ticket.pk}/"))
    client.force_login(agent)
    sender_page = client.get(f"/tickets/{ticket.pk}/")

    assert "<h2>Hand-off note from Ana Silva</h2>" in receiver_page
    assert sender_page.status_code == 404


def test_only_the_receiver_can_mark_the_hand_off_note_read(
    client, team, agent, colleague, supervisor
):
    ticket = received_ticket(team=team)
    transfer(ticket=ticket, actor=agent, to_agent=colleague, note="Cliente pagou duas vezes.")
    client.force_login(supervisor)

    response = client.post(f"/tickets/{ticket.pk}/hand-off/read/")

    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).pinned_handoff is not None
    assert "Hand-off note from" not in text(client.get(f"/tickets/{ticket.pk}/"))


def test_an_agent_takes_a_ticket_and_lets_it_go(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    client.post(f"/tickets/{ticket.pk}/assign/", {"assign-owner": str(agent.pk)})
    taken = Ticket.objects.get(pk=ticket.pk).owner
    client.post(f"/tickets/{ticket.pk}/assign/", {"assign-owner": ""})

    assert taken == agent
    assert Ticket.objects.get(pk=ticket.pk).owner is None


def test_an_agent_cannot_give_a_ticket_to_a_colleague_and_nothing_changes(
    client, team, agent, colleague
):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.post(f"/tickets/{ticket.pk}/assign/", {"assign-owner": str(colleague.pk)})

    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).owner is None
    assert kinds_on(ticket) == [EntryKind.MESSAGE]


def test_a_supervisor_picks_an_agent_of_the_team(client, team, supervisor, colleague, outsider):
    ticket = received_ticket(team=team)
    client.force_login(supervisor)

    options = re.search(
        r'<select name="properties-owner" id="id_properties-owner">(.*?)</select>',
        text(client.get(f"/tickets/{ticket.pk}/")),
        re.S,
    ).group(1)
    response = client.post(f"/tickets/{ticket.pk}/assign/", {"assign-owner": str(colleague.pk)})

    assert re.findall(r">([^<]+)</option>", options) == ["Nobody", "Bruno Costa", "Sofia"]
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).owner == colleague


def test_a_tag_that_is_not_a_word_is_refused_beside_the_field(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.post(
        f"/tickets/{ticket.pk}/properties/",
        {
            "properties-status": "new",
            "properties-priority": "2",
            "properties-kind": "question",
            "properties-owner": "",
            "properties-tags": "fatura, não é tag!",
        },
        **HTMX,
    )

    assert response.status_code == 200
    assert text(response).lstrip().startswith('<section id="ticket-actions"')
    assert 'id="id_properties-tags_error"' in text(response)
    assert not ticket.tags.exists()


def test_the_live_notice_says_who_else_is_viewing_or_replying(
    client, team, agent, colleague, supervisor
):
    ticket = received_ticket(team=team)
    client.force_login(colleague)
    client.post(f"/tickets/{ticket.pk}/presence/", {"activity": "replying"}, **HTMX)
    client.force_login(supervisor)
    client.post(f"/tickets/{ticket.pk}/presence/", {"activity": "viewing"}, **HTMX)
    client.force_login(agent)

    response = client.post(
        f"/tickets/{ticket.pk}/presence/", {"activity": "viewing", "shown": ""}, **HTMX
    )

    notices = re.findall(r"<p>(.*?)</p>", text(response))
    assert notices == ["Bruno Costa is replying", "Sofia is viewing this ticket"]


def test_the_live_notice_is_not_sent_again_when_nothing_changed(client, team, agent, colleague):
    ticket = received_ticket(team=team)
    client.force_login(colleague)
    client.post(f"/tickets/{ticket.pk}/presence/", {"activity": "viewing"}, **HTMX)
    client.force_login(agent)

    response = client.post(
        f"/tickets/{ticket.pk}/presence/",
        {"activity": "viewing", "shown": f"{colleague.pk}:viewing"},
        **HTMX,
    )

    assert response.status_code == 204


def test_the_ticket_page_polls_the_live_notice_every_five_seconds(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    page = text(client.get(f"/tickets/{ticket.pk}/"))

    assert (
        f'<div id="presence" class="presence" aria-live="polite" data-poll hx-post="/tickets/{ticket.pk}/presence/"'
        ' hx-trigger="load, every 5s"'
    ) in page


def ticket_with_attachment(team, filename: str = "<script>fatura.SVG") -> tuple[Ticket, Attachment]:
    received = receive(
        Inbound(
            channel=Channel.EMAIL,
            claims=[IdentityClaim(kind="email", value="maria@example.com")],
            sender_name="Maria Santos",
            subject="Fatura",
            body="Segue a fatura.",
            team_id=team.pk,
            files=[
                InboundFile(
                    filename=filename,
                    content_type="image/svg+xml",
                    content=b"<svg onload=alert(1)>",
                )
            ],
        )
    )
    return received.ticket, received.entry.attachments.get()


def test_an_attachment_downloads_under_a_generated_name_and_is_never_rendered(client, team, agent):
    ticket, attachment = ticket_with_attachment(team)
    client.force_login(agent)

    page = text(client.get(f"/tickets/{ticket.pk}/"))
    response = client.get(f"/attachments/{attachment.pk}/")

    assert f'<a href="/attachments/{attachment.pk}/" download>&lt;script&gt;fatura.SVG</a>' in page
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="ticket-{ticket.pk}-attachment-{attachment.pk}.svg"'
    )
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"<svg onload=alert(1)>"


def test_an_agent_outside_the_team_cannot_download_an_attachment(client, team, outsider):
    _ticket, attachment = ticket_with_attachment(team)
    client.force_login(outsider)

    response = client.get(f"/attachments/{attachment.pk}/")

    assert response.status_code == 404


def test_the_customer_card_lists_the_customers_other_tickets_the_agent_may_see(
    client, team, other_team, agent
):
    ticket = received_ticket(team=team)
    other = received_ticket(team=team, subject="Contador avariado")
    received_ticket(team=other_team, subject="Assunto técnico")
    IdentityFactory(customer=ticket.customer, kind=IdentityKind.PHONE, value="+351912345678")
    client.force_login(agent)

    page = text(client.get(f"/tickets/{ticket.pk}/"))

    card = re.search(r'<section class="card customer-card".*?</section>', page, re.S).group(0)
    assert (
        f'<p class="customer-name"><a href="/customers/{ticket.customer_id}/">Maria Santos</a></p>'
        in card
    )
    assert re.findall(r'<li><span class="muted">(.*?)</span> (.*?)</li>', card) == [
        ("Email address", "maria@example.com"),
        ("Phone number", "+351912345678"),
    ]
    assert re.findall(
        r'<a href="/tickets/(\d+)/">(.*?)</a> <span class="badge[^"]*">(.*?)</span>', card
    ) == [(str(other.pk), f"#{other.pk} Contador avariado", "New")]


# Logging a contact


def test_a_phone_call_is_logged_for_a_customer_found_by_email(client, team, agent):
    ticket = received_ticket(team=team)
    customer = ticket.customer
    client.force_login(agent)

    found = text(client.get("/contacts/new/", {"q": "MARIA@example.com"}))
    chosen = text(client.get("/contacts/new/", {"customer": customer.pk}))
    response = client.post(
        "/contacts/new/",
        {
            "customer": customer.pk,
            "channel": "phone",
            "ticket": "",
            "subject": "Ligou por causa da fatura",
            "body": "Diz que pagou duas vezes.",
            "team": str(team.pk),
        },
    )

    assert (
        f'<a href="/contacts/new/?customer={customer.pk}">Log a contact with Maria Santos</a>'
        in found
    )
    assert f'<option value="{ticket.pk}">#{ticket.pk} Fatura de outubro</option>' in chosen
    logged = Ticket.objects.exclude(pk=ticket.pk).get()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{logged.pk}/"
    assert (logged.customer, logged.channel, logged.subject, logged.team) == (
        customer,
        Channel.PHONE,
        "Ligou por causa da fatura",
        team,
    )
    call = logged.timeline.get(kind=EntryKind.CALL)
    assert (call.kind, call.channel, call.body, call.author_agent) == (
        EntryKind.CALL,
        Channel.PHONE,
        "Diz que pagou duas vezes.",
        agent,
    )
    assert (logged.owner, logged.status) == (agent, Status.NEW)


def test_an_office_visit_is_logged_on_an_open_ticket_of_the_customer(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    client.post(
        "/contacts/new/",
        {
            "customer": ticket.customer_id,
            "channel": "counter",
            "ticket": str(ticket.pk),
            "body": "Trouxe a fatura.",
        },
    )

    assert kinds_on(ticket) == [EntryKind.MESSAGE, EntryKind.VISIT]
    assert ticket.timeline.get(kind=EntryKind.VISIT).channel == Channel.COUNTER


def test_a_contact_without_what_was_said_is_refused_and_nothing_is_logged(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.post(
        "/contacts/new/", {"customer": ticket.customer_id, "channel": "phone", "body": ""}
    )

    assert response.status_code == 422
    assert (
        '<ul class="errorlist" id="id_body_error"><li>Write what the customer said.</li></ul>'
        in text(response)
    )
    assert Ticket.objects.count() == 1


def test_a_caller_found_by_phone_number_or_name(client, team, agent):
    ticket = received_ticket(team=team)
    IdentityFactory(customer=ticket.customer, kind=IdentityKind.PHONE, value="+351912345678")
    client.force_login(agent)

    by_phone = text(client.get("/contacts/new/", {"q": "912 345 678"}))
    by_name = text(client.get("/contacts/new/", {"q": "mari"}))

    choice = f'<a href="/contacts/new/?customer={ticket.customer_id}">Log a contact with Maria Santos</a>'
    assert choice in by_phone
    assert choice in by_name


def test_a_new_caller_is_added_as_a_customer_before_the_call_is_logged(client, agent):
    client.force_login(agent)

    unknown = text(client.get("/contacts/new/", {"q": "+351 913 000 000"}))
    response = client.post(
        "/contacts/new/customer/",
        {
            "new-name": "João Pereira",
            "new-phone": "+351 913 000 000",
            "new-email": "",
            "new-language": "pt",
            "new-country": "pt",
        },
    )

    assert "No customer matches. Add them below." in unknown
    assert 'value="+351 913 000 000"' in unknown
    customer = Customer.objects.get()
    assert response["Location"] == f"/contacts/new/?customer={customer.pk}"
    assert (customer.name, customer.language, customer.country) == ("João Pereira", "pt", "PT")
    assert list(customer.identities.values_list("kind", "value")) == [("phone", "+351913000000")]


def test_a_new_customer_with_someone_elses_email_is_refused_beside_the_field(client, team, agent):
    received_ticket(team=team)
    client.force_login(agent)

    response = client.post(
        "/contacts/new/customer/", {"new-name": "Outra Maria", "new-email": "maria@example.com"}
    )

    assert response.status_code == 422
    assert (
        '<ul class="errorlist" id="id_new-email_error"><li>maria@example.com already belongs to another'
        " customer.</li></ul>"
    ) in text(response)
    assert Customer.objects.count() == 1


# Search


def test_searching_a_ticket_number_opens_the_ticket(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.get("/search/", {"q": f"#{ticket.pk}"})

    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/"


def test_searching_a_number_of_a_ticket_the_agent_may_not_see_finds_nothing(client, team, outsider):
    ticket = received_ticket(team=team)
    client.force_login(outsider)

    response = client.get("/search/", {"q": str(ticket.pk)})

    assert response.status_code == 200
    assert f"Nothing was found for “{ticket.pk}”." in text(response)


@pytest.mark.parametrize("query", ["maria@example.com", "+351 912 345 678", "Maria"])
def test_searching_an_email_phone_or_name_lists_the_customer_and_their_tickets(
    client, team, agent, query
):
    ticket = received_ticket(team=team)
    IdentityFactory(customer=ticket.customer, kind=IdentityKind.PHONE, value="+351912345678")
    client.force_login(agent)

    response = client.get("/search/", {"q": query})

    assert f'<li><a href="/customers/{ticket.customer_id}/">Maria Santos</a></li>' in text(response)
    assert listed(response) == [ticket.pk]


def test_an_empty_search_explains_what_can_be_searched(client, agent):
    client.force_login(agent)

    response = client.get("/search/", {"q": ""})

    assert "Type what you are looking for" in text(response)


def test_a_search_with_a_nul_character_is_refused_with_a_message_on_the_field(client, agent):
    client.force_login(agent)

    response = client.get("/search/", {"q": "fatura\x00"})

    assert response.status_code == 400
    assert 'aria-describedby="search-q-error"' in text(response)
    assert "Search text cannot contain the NUL character; remove it." in text(response)


def test_an_inactive_owner_is_still_named_on_the_timeline(client, team, agent, colleague):
    ticket = received_ticket(team=team)
    assign(ticket=ticket, owner=colleague, actor=colleague)
    colleague.is_active = False
    colleague.save()
    client.force_login(agent)

    page = text(client.get(f"/tickets/{ticket.pk}/"))

    assert '<span class="headline">Bruno Costa took the ticket.</span>' in page
    assert f'<option value="{colleague.pk}">Bruno Costa</option>' not in page


def test_a_file_without_a_safe_extension_downloads_without_one(client, team, agent):
    ticket, attachment = ticket_with_attachment(team, filename="fatura.p%20df")
    client.force_login(agent)

    response = client.get(f"/attachments/{attachment.pk}/")

    assert response["Content-Disposition"] == (
        f'attachment; filename="ticket-{ticket.pk}-attachment-{attachment.pk}"'
    )


def test_an_agent_merges_a_duplicate_ticket_from_its_page(client, agent, team):
    kept = received_ticket(team=team, body="A fatura de março está errada.")
    duplicate = received_ticket(team=team, subject="Outra vez", body="Escrevo de novo.")
    client.force_login(agent)

    response = client.post(f"/tickets/{duplicate.pk}/merge/", {"merge-into": kept.pk})

    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == ("closed", kept.pk)
    assert "Escrevo de novo." in client.get(f"/tickets/{kept.pk}/").content.decode()


def test_merging_into_a_ticket_the_agent_cannot_see_is_refused(client, agent, team, other_team):
    hidden = received_ticket(team=other_team)
    mine = received_ticket(team=team)
    client.force_login(agent)

    response = client.post(f"/tickets/{mine.pk}/merge/", {"merge-into": hidden.pk})

    assert response.status_code == 422
    assert f"There is no ticket #{hidden.pk} that you can see." in response.content.decode()
    mine.refresh_from_db()
    assert mine.merged_into_id is None


def test_a_long_timeline_can_be_read_whole_page_by_page(client, agent, team):
    ticket = received_ticket(team=team, body="Primeira mensagem.")
    for number in range(1, 205):
        add_note(ticket=ticket, agent=agent, body=f"Nota {number}.")
    client.force_login(agent)

    ticket_page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    first = client.get(f"/tickets/{ticket.pk}/timeline/")
    second = client.get(f"/tickets/{ticket.pk}/timeline/{first.context['next_url']}")

    assert "Show the whole timeline" in ticket_page
    assert "Primeira mensagem." not in ticket_page
    assert [item.entry.body for item in first.context["timeline"]][:2] == [
        "Primeira mensagem.",
        "Nota 1.",
    ]
    assert [item.entry.body for item in second.context["timeline"]][0] == "Nota 50."


def test_an_outsider_cannot_read_a_whole_timeline(client, outsider, team):
    ticket = received_ticket(team=team)
    client.force_login(outsider)

    assert client.get(f"/tickets/{ticket.pk}/timeline/").status_code == 404


# The workspace: properties saved at once, bulk changes, the live inbox.


def test_the_properties_panel_saves_every_change_at_once(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.post(
        f"/tickets/{ticket.pk}/properties/",
        {
            "properties-status": "open",
            "properties-priority": "3",
            "properties-kind": "complaint",
            "properties-owner": str(agent.pk),
            "properties-tags": "fatura, urgente",
        },
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.kind, ticket.owner) == (
        Status.OPEN,
        Priority.HIGH,
        "complaint",
        agent,
    )
    assert ticket.tag_names == ["fatura", "urgente"]
    assert "The ticket was saved." in text(client.get(response["Location"]))


def test_the_ticket_page_shows_its_tags_by_name_and_a_dash_without_any(client, team, agent):
    tagged, untagged = received_ticket(team=team), received_ticket(team=team, email="b@example.com")
    set_tags(ticket=tagged, names=["urgente", "ação", "fatura"], actor=agent)
    client.force_login(agent)

    page = text(client.get(f"/tickets/{tagged.pk}/"))
    bare = text(client.get(f"/tickets/{untagged.pk}/"))

    shown = re.search(r"<dt>Tags</dt><dd>(.*?)</dd>", page).group(1)
    assert re.findall(r'<span class="tag">([^<]*)</span>', shown) == ["ação", "fatura", "urgente"]
    assert 'value="ação, fatura, urgente"' in page
    assert "<dt>Tags</dt><dd>—</dd>" in bare


def test_a_properties_change_that_is_refused_changes_nothing(client, team, agent, colleague):
    """Only a supervisor gives a ticket to someone else; the other changes are not kept either."""
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.post(
        f"/tickets/{ticket.pk}/properties/",
        {
            "properties-status": "solved",
            "properties-priority": "2",
            "properties-kind": "question",
            "properties-owner": str(colleague.pk),
            "properties-tags": "",
        },
    )

    assert response.status_code == 422
    ticket.refresh_from_db()
    assert (ticket.status, ticket.owner) == (Status.NEW, None)
    assert kinds_on(ticket) == [EntryKind.MESSAGE]


def test_bulk_actions_assign_tag_and_solve_the_selected_tickets(client, team, agent):
    first = received_ticket(team=team, email="a@example.com")
    second = received_ticket(team=team, email="b@example.com")
    untouched = received_ticket(team=team, email="c@example.com")
    client.force_login(agent)

    response = client.post(
        "/inbox/bulk/",
        {
            "tickets": [first.pk, second.pk],
            "owner": str(agent.pk),
            "status": "solved",
            "add_tags": "fatura",
            "next": "/?view=unassigned",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/?view=unassigned"
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert (ticket.owner, ticket.status, ticket.tag_names) == (agent, Status.SOLVED, ["fatura"])
    untouched.refresh_from_db()
    assert (untouched.owner, untouched.status) == (None, Status.NEW)
    page = text(client.get(response["Location"]))
    assert "Owner changed on 2 tickets." in page
    assert "Status changed on 2 tickets." in page
    assert "Tags added to 2 tickets." in page


def test_bulk_actions_skip_tickets_the_agent_may_not_see_and_say_so(
    client, team, other_team, agent
):
    mine = received_ticket(team=team, email="a@example.com")
    hidden = received_ticket(team=other_team, email="b@example.com")
    client.force_login(agent)

    response = client.post(
        "/inbox/bulk/", {"tickets": [mine.pk, hidden.pk], "status": "solved"}, follow=True
    )

    hidden.refresh_from_db()
    assert hidden.status == Status.NEW
    assert kinds_on(hidden) == [EntryKind.MESSAGE]
    assert Ticket.objects.get(pk=mine.pk).status == Status.SOLVED
    assert f"There is no ticket #{hidden.pk} that you can see." in text(response)
    assert "Status changed on 1 ticket." in text(response)


def test_bulk_assign_to_a_colleague_is_refused_for_an_agent(client, team, agent, colleague):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    response = client.post(
        "/inbox/bulk/", {"tickets": [ticket.pk], "owner": str(colleague.pk)}, follow=True
    )

    ticket.refresh_from_db()
    assert ticket.owner is None
    assert f"Ticket #{ticket.pk} was not changed:" in text(response)


def test_bulk_merge_joins_the_tickets_of_one_customer_into_the_oldest(client, team, agent):
    oldest = received_ticket(team=team, subject="Fatura de outubro")
    newer = received_ticket(team=team, subject="Fatura de novembro")
    client.force_login(agent)

    response = client.post("/inbox/bulk/", {"tickets": [newer.pk, oldest.pk], "merge": "on"})

    newer.refresh_from_db()
    assert (newer.merged_into_id, newer.status) == (oldest.pk, Status.CLOSED)
    assert "2 tickets merged into the oldest one." in text(client.get(response["Location"]))


def test_a_bulk_action_without_tickets_or_a_change_says_what_is_missing(client, team, agent):
    ticket = received_ticket(team=team)
    client.force_login(agent)

    nothing_ticked = client.post("/inbox/bulk/", {"status": "solved"}, follow=True)
    nothing_chosen = client.post("/inbox/bulk/", {"tickets": [ticket.pk]}, follow=True)

    assert "Select at least one ticket." in text(nothing_ticked)
    assert "Choose what to change." in text(nothing_chosen)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_the_live_inbox_tells_how_many_tickets_arrived_since_the_page_was_shown(
    client, team, agent
):
    with time_machine.travel(datetime(2026, 1, 15, 9, 0, tzinfo=UTC), tick=False):
        received_ticket(team=team, email="a@example.com")
    client.force_login(agent)
    since = "2026-01-15T09:30:00+00:00"

    with time_machine.travel(datetime(2026, 1, 15, 10, 0, tzinfo=UTC), tick=False):
        received_ticket(team=team, email="b@example.com")
    quiet = text(client.get("/inbox/live/", {"view": "mine", "since": since}))
    news = text(client.get("/inbox/live/", {"view": "unassigned", "since": since}))
    heard = text(
        client.get("/inbox/live/", {"view": "unassigned", "since": since}, HTTP_LAST_EVENT_ID="1")
    )

    assert quiet == "retry: 1000\n\n"
    assert news == (
        'retry: 1000\n\nid: 1\ndata: {"count": 1, "text": "1 ticket is new or changed."}\n\n'
    )
    assert heard == "retry: 1000\n\n"


def test_the_live_inbox_refuses_a_moment_it_cannot_read(client, agent):
    client.force_login(agent)

    response = client.get("/inbox/live/", {"view": "mine", "since": "yesterday"})

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "15/01/2026 18:30"),
        ("pt", "15/01/2026 18:30"),
        ("es", "15/01/2026 18:30"),
        ("ro", "15.01.2026, 18:30"),
        ("pl", "15.01.2026, 18:30"),
    ],
)
def test_times_are_written_as_the_agents_language_does_on_a_24_hour_clock(
    client, team, agent, language, shown
):
    with time_machine.travel(datetime(2026, 1, 15, 18, 30, tzinfo=UTC), tick=False):
        ticket = received_ticket(team=team)
    agent.language = language
    agent.save()
    client.force_login(agent)

    page = text(client.get(f"/tickets/{ticket.pk}/"))

    assert f'<time datetime="2026-01-15T18:30:00+00:00">{shown}</time>' in page

"""Triage on the agent's pages: the suggestion on the ticket page, abusive messages hidden until
revealed, the policy actions, the supervisors' lists and the admins' page."""

import re

import pytest
from django.utils.html import escape

from attenda.core.models import AuditEntry
from attenda.tickets.models import Kind, Ticket
from attenda.tickets.services import assign, transfer
from attenda.triage import services
from attenda.triage.models import (
    CustomerFlag,
    KindRule,
    Reveal,
    SuggestionState,
    SupervisorFlag,
    TicketTriage,
    TriageSettings,
)
from tests.agents.factories import AgentFactory
from tests.triage.factories import (
    ABUSIVE_EN,
    COMPLAINT_PT,
    LEAVING_PT,
    QUESTION_EN,
    QUESTION_ES,
    customer_writes,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def waiting_suggestion(team):
    services.set_threshold(admin=AgentFactory(role="admin"), threshold=1.0)
    return customer_writes(COMPLAINT_PT, team=team).ticket


def test_the_ticket_page_shows_the_suggestion_with_its_confidence(
    client, agent, waiting_suggestion
):
    suggestion = TicketTriage.objects.get(ticket=waiting_suggestion)
    client.force_login(agent)

    response = client.get(f"/tickets/{waiting_suggestion.pk}/")

    percent = round(suggestion.kind_confidence * 100)
    assert f"Suggested: Complaint, {percent}%" in text(response)
    assert 'id="triage-accept"' in text(response)


def test_accepting_the_suggestion_applies_it_and_hides_it(client, agent, waiting_suggestion):
    client.force_login(agent)

    response = client.post(f"/tickets/{waiting_suggestion.pk}/triage/accept/", follow=True)

    waiting_suggestion.refresh_from_db()
    assert waiting_suggestion.kind == Kind.COMPLAINT
    assert "The suggestion was applied." in text(response)
    assert "Suggested: " not in text(response)


def test_an_outsider_accepting_gets_404_and_nothing_changes(client, outsider, waiting_suggestion):
    client.force_login(outsider)

    response = client.post(f"/tickets/{waiting_suggestion.pk}/triage/accept/")

    assert response.status_code == 404
    waiting_suggestion.refresh_from_db()
    assert waiting_suggestion.kind == Kind.QUESTION
    assert TicketTriage.objects.get().state == SuggestionState.PENDING


@pytest.fixture
def abusive(team):
    return customer_writes(ABUSIVE_EN, team=team)


def test_an_abusive_message_is_not_in_the_page_until_the_agent_reveals_it(client, agent, abusive):
    """Hidden on the server, not blurred in the browser: the words are not in the page at all, so
    no screen reader reads them out, no copy or cached page holds them, and reading them is a choice
    Attenda can record."""
    client.force_login(agent)
    page = f"/tickets/{abusive.ticket.pk}/"

    hidden = text(client.get(page))
    assert escape(ABUSIVE_EN) not in hidden
    assert "useless idiots" not in hidden
    assert "This message was hidden because it may insult or threaten." in hidden
    assert f'id="reveal-{abusive.entry.pk}"' in hidden

    revealed = client.post(f"/entries/{abusive.entry.pk}/reveal/", **HTMX)

    assert revealed.status_code == 200
    assert escape(ABUSIVE_EN) in text(revealed)
    assert escape(ABUSIVE_EN) in text(client.get(page))


def test_revealing_is_for_the_agent_who_chose_it(client, agent, colleague, abusive):
    services.reveal(entry_id=abusive.entry.pk, agent=agent)
    client.force_login(colleague)

    response = client.get(f"/tickets/{abusive.ticket.pk}/")

    assert escape(ABUSIVE_EN) not in text(response)


def test_revealing_without_htmx_goes_back_to_the_message(client, agent, abusive):
    client.force_login(agent)

    response = client.post(f"/entries/{abusive.entry.pk}/reveal/")

    assert response.status_code == 302
    assert response.url == f"/tickets/{abusive.ticket.pk}/#entry-{abusive.entry.pk}"


def test_an_outsider_cannot_reveal_and_nothing_is_recorded(client, outsider, abusive):
    client.force_login(outsider)

    response = client.post(f"/entries/{abusive.entry.pk}/reveal/", **HTMX)

    assert response.status_code == 404
    assert not Reveal.objects.exists()
    assert not AuditEntry.objects.filter(action="triage.abuse_revealed").exists()


def test_the_whole_timeline_hides_the_abusive_message_too(client, agent, abusive):
    client.force_login(agent)

    response = client.get(f"/tickets/{abusive.ticket.pk}/timeline/")

    assert escape(ABUSIVE_EN) not in text(response)
    assert f'id="reveal-{abusive.entry.pk}"' in text(response)


def test_the_boundary_reply_is_put_in_the_reply_box_in_the_customers_language(client, agent, team):
    ticket = customer_writes(QUESTION_ES, team=team).ticket
    customer_writes(ABUSIVE_EN, ticket=ticket)
    client.force_login(agent)

    response = client.get(f"/tickets/{ticket.pk}/", {"reply": "boundary"})

    reply_box = re.search(
        r'<textarea name="reply-body"[^>]*>(.*?)</textarea>', text(response), re.S
    )
    assert escape(services.boundary_reply(ticket=Ticket.objects.get(pk=ticket.pk))) in (
        reply_box.group(1)
    )
    assert "Estimad" in reply_box.group(1)


def test_an_agent_hands_an_abusive_conversation_to_the_team_at_once(client, agent, team, abusive):
    ticket = abusive.ticket
    assign(ticket=ticket, owner=agent, actor=agent)
    client.force_login(agent)
    page = text(client.get(f"/tickets/{ticket.pk}/"))
    note = re.search(
        r'<textarea id="abuse-handoff-note" name="transfer-note"[^>]*>(.*?)</textarea>', page, re.S
    )
    assert note.group(1).startswith("I am handing over this conversation")

    client.post(
        f"/tickets/{ticket.pk}/transfer/",
        {"transfer-to_team": team.pk, "transfer-note": note.group(1) + " a corrected bill."},
    )

    ticket.refresh_from_db()
    assert ticket.owner is None
    assert ticket.handoff_count == 1
    assert ticket.pinned_handoff.body.endswith("a corrected bill.")


def test_a_supervisor_takes_the_conversation_over_from_the_page(client, supervisor, agent, abusive):
    assign(ticket=abusive.ticket, owner=agent, actor=agent)
    client.force_login(supervisor)
    assert 'id="triage-take-over"' in text(client.get(f"/tickets/{abusive.ticket.pk}/"))

    client.post(f"/tickets/{abusive.ticket.pk}/triage/take-over/")

    abusive.ticket.refresh_from_db()
    assert abusive.ticket.owner == supervisor


def test_an_agent_cannot_take_a_conversation_over(client, colleague, agent, abusive):
    assign(ticket=abusive.ticket, owner=agent, actor=agent)
    client.force_login(colleague)
    assert 'id="triage-take-over"' not in text(client.get(f"/tickets/{abusive.ticket.pk}/"))

    response = client.post(f"/tickets/{abusive.ticket.pk}/triage/take-over/")

    assert response.status_code == 403
    abusive.ticket.refresh_from_db()
    assert abusive.ticket.owner == agent


def test_the_customer_page_shows_the_abuse_flag_with_its_history(
    client, agent, supervisor, abusive
):
    customer = abusive.ticket.customer
    client.force_login(agent)
    page = text(client.get(f"/customers/{customer.pk}/"))
    assert "This customer was abusive" in page
    assert 'id="lift-abuse-flag"' not in page
    assert client.post(f"/customers/{customer.pk}/abuse-flags/lift/").status_code == 403
    assert CustomerFlag.objects.get().lifted_at is None

    client.force_login(supervisor)
    client.post(f"/customers/{customer.pk}/abuse-flags/lift/")

    page = text(client.get(f"/customers/{customer.pk}/"))
    assert "This customer was abusive" not in page
    assert "lifted by Sofia" in page


# Supervisors' lists


def test_supervisors_see_the_flagged_tickets_of_their_teams_newest_first(
    client, team, other_team, supervisor, time_machine
):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    leaving = customer_writes(LEAVING_PT, team=team).ticket
    time_machine.move_to("2026-03-02 10:00Z", tick=False)
    abusive = customer_writes(ABUSIVE_EN, team=team, email="rude@example.com").ticket
    customer_writes(LEAVING_PT, team=other_team, email="elsewhere@example.com")
    client.force_login(supervisor)

    response = client.get("/tickets/flagged/")

    numbers = [int(n) for n in re.findall(r'href="/tickets/(\d+)/" data-row-link', text(response))]
    assert numbers == [abusive.pk, leaving.pk]


def test_the_flagged_list_pages_by_keyset(client, team, supervisor):
    for number in range(3):
        customer_writes(LEAVING_PT, team=team, email=f"c{number}@example.com")
    client.force_login(supervisor)

    from attenda.triage import queries

    first = queries.flagged_page(supervisor, cursor=None, size=2)
    second = queries.flagged_page(supervisor, cursor=first.next_cursor, size=2)

    assert len(first.items) == 2
    assert len(second.items) == 1
    assert second.next_cursor is None
    assert client.get("/tickets/flagged/", {"cursor": "nonsense"}).status_code == 200


def test_a_supervisor_clears_a_flag_and_it_leaves_the_list(client, team, supervisor):
    customer_writes(LEAVING_PT, team=team)
    flag = SupervisorFlag.objects.get()
    client.force_login(supervisor)

    client.post(f"/tickets/flagged/{flag.pk}/clear/")

    assert "data-row-link" not in text(client.get("/tickets/flagged/"))


def test_agents_cannot_open_the_supervisors_lists(client, agent):
    client.force_login(agent)

    assert client.get("/tickets/flagged/").status_code == 403
    assert client.get("/agents/abuse/").status_code == 403


def test_the_abuse_list_counts_each_agents_messages_in_the_period(
    client, team, agent, supervisor, abusive, time_machine
):
    assign(ticket=abusive.ticket, owner=agent, actor=agent)
    customer_writes(ABUSIVE_EN, ticket=abusive.ticket)
    client.force_login(supervisor)
    today = abusive.entry.created_at.date()

    response = client.get("/agents/abuse/", {"since": today, "until": today})

    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"number\">(\d+)</td></tr>", text(response))
    assert rows[0] == ("Ana Silva", "1")


# The admins' page


def test_only_admins_open_the_triage_page(client, supervisor, admin_agent):
    client.force_login(supervisor)
    assert client.get("/settings/triage/").status_code == 403
    assert (
        client.post("/settings/triage/threshold/", {"threshold-threshold": "0.6"}).status_code
        == 403
    )

    client.force_login(admin_agent)
    response = client.get("/settings/triage/")

    assert response.status_code == 200
    assert 'id="retrain"' in text(response)
    assert TriageSettings.objects.filter(auto_apply_threshold=0.6).count() == 0


def test_an_admin_sets_the_threshold_and_edits_a_rule(client, admin_agent):
    client.force_login(admin_agent)

    client.post("/settings/triage/threshold/", {"threshold-threshold": "0.75"})
    client.post(
        "/settings/triage/rules/",
        {
            "rule-kind": "order",
            "rule-language": "pl",
            "rule-keywords": "paczka\nprzesyłka",
            "rule-weight": "2",
        },
    )

    assert TriageSettings.objects.get().auto_apply_threshold == 0.75
    rule = KindRule.objects.get()
    assert (rule.kind, rule.language, rule.keyword_list) == ("order", "pl", ("paczka", "przesyłka"))
    page = text(client.get("/settings/triage/"))
    assert "paczka, przesyłka" in page


def test_a_threshold_out_of_range_is_refused_with_its_reason(client, admin_agent):
    client.force_login(admin_agent)

    response = client.post("/settings/triage/threshold/", {"threshold-threshold": "0.2"})

    assert response.status_code == 422
    assert TriageSettings.objects.filter(auto_apply_threshold=0.2).count() == 0


def test_an_english_ticket_page_still_reads_as_before(client, agent, team):
    ticket = customer_writes(QUESTION_EN, team=team).ticket
    client.force_login(agent)

    response = client.get(f"/tickets/{ticket.pk}/")

    assert escape(QUESTION_EN) in text(response)
    assert "This message was hidden" not in text(response)


def test_a_flagged_ticket_handed_to_another_team_is_shown_to_its_supervisors(
    client, team, other_team, agent, supervisor
):
    ticket = customer_writes(LEAVING_PT, team=team).ticket
    other_supervisor = AgentFactory(username="rui", role="supervisor", teams=[other_team])
    transfer(ticket=ticket, actor=agent, to_team=other_team, note="They handle cancellations.")

    client.force_login(supervisor)
    assert "data-row-link" not in text(client.get("/tickets/flagged/"))
    client.force_login(other_supervisor)
    assert f'href="/tickets/{ticket.pk}/" data-row-link' in text(client.get("/tickets/flagged/"))

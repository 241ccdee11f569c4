"""The hand-off mail goes out from the worker, later than the transfer: whether its receiver may
still read the ticket is decided when it is sent."""

import pytest

from attenda.agents.services import update_agent
from attenda.tickets.services import transfer
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


def test_no_hand_off_mail_reaches_an_agent_deactivated_before_it_was_sent(
    team, agent, colleague, admin_agent, run_tasks, django_capture_on_commit_callbacks, mailoutbox
):
    ticket = received_ticket(team=team)
    with django_capture_on_commit_callbacks(execute=True):
        transfer(ticket=ticket, actor=agent, to_agent=colleague, note="Fatura por corrigir.")

    update_agent(
        agent=colleague,
        actor=admin_agent,
        full_name="Bruno Costa",
        email=colleague.email,
        role="agent",
        teams=[team],
        languages_spoken=[],
        is_active=False,
    )
    run_tasks()

    assert mailoutbox == []


def test_no_hand_off_mail_reaches_an_agent_who_may_no_longer_read_the_ticket(
    team,
    other_team,
    agent,
    colleague,
    outsider,
    run_tasks,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    ticket = received_ticket(team=team)
    with django_capture_on_commit_callbacks(execute=True):
        transfer(ticket=ticket, actor=agent, to_agent=colleague, note="Fatura por corrigir.")
        colleague.teams.set([])  # Moved out of Billing before the mail left.
        transfer(ticket=ticket, actor=agent, to_team=other_team, note="É técnico, afinal.")
    run_tasks()

    assert [mail.to for mail in mailoutbox] == [[outsider.email]]

"""A page someone may not open is one line in the server's log, not a traceback."""

import io
import logging

import pytest

from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


def test_a_forbidden_or_missing_page_logs_one_line_without_a_traceback(client, team, outsider):
    ticket = received_ticket(team=team)
    client.force_login(outsider)
    [console] = logging.getLogger().handlers[:1]
    terminal = io.StringIO()
    previous = console.setStream(terminal)

    try:
        client.get(f"/tickets/{ticket.pk}/")
        client.get("/settings/service-levels/new/")
    finally:
        console.setStream(previous)

    logged = terminal.getvalue()
    assert f"Not Found: /tickets/{ticket.pk}/" in logged
    assert "Forbidden (Permission denied): /settings/service-levels/new/" in logged
    assert "Traceback" not in logged

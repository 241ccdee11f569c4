"""The unprocessable store in a real browser: an admin finds a held message by keyboard-reachable
links, reads it as text, chooses its sender and processes it again; every page meets WCAG 2.1 AA
as far as axe-core can tell."""

import pytest
from playwright.sync_api import expect

from attenda.channels.email.inbound import take_mail
from tests.channels.email.mail import real_mail

pytestmark = pytest.mark.browser


def test_an_admin_reads_and_reprocesses_a_held_message_on_accessible_pages(
    page, log_in, axe_violations, admin_agent, mailbox
):
    raw = real_mail(
        "zammad",
        "test-data-mail",
        "mail002.box",
        headers={b"From": b"alice@example.org)<bob@evil.example>", b"Subject": b"<b>Fatura</b>"},
    )
    take_mail(mailbox, raw, source="api")
    log_in(admin_agent)

    page.goto("/settings/mailboxes/")
    page.get_by_role("link", name="See the unprocessable mail").click()
    expect(page.get_by_role("heading", name="Unprocessable mail")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="<b>Fatura</b>").click()
    expect(page.get_by_role("heading", name="<b>Fatura</b>")).to_be_visible()
    expect(page.get_by_label("Headers")).to_contain_text("alice@example.org)<bob@evil.example>")
    assert axe_violations(page) == []
    page.get_by_label("Treat as sent by").select_option("alice@example.org")
    # Processing it makes a ticket (triage, routing, clocks): slower than a page on a busy machine.
    page.get_by_role("button", name="Process it again").click(no_wait_after=True)

    expect(page.get_by_text("The message is now on ticket")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("heading", name="<b>Fatura</b>")).to_be_visible()

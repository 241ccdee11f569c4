"""In a real browser: a customer signs in to the portal by the link mailed to them, finds their
tickets from email and from the web form, answers one with a file and marks one solved."""

import pytest
from playwright.sync_api import expect

from attenda.tickets.models import Channel, EntryKind, Status
from tests.portal.conftest import link_in
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def two_channels(db):
    by_email = received_ticket(
        email="maria@example.com", subject="Fatura de outubro", language="en"
    )
    by_web = received_ticket(
        email="maria@example.com",
        subject="Mudança de morada",
        body="Mudei de casa em março.",
        channel=Channel.WEB,
        language="en",
    )
    by_email.customer.language = "en"
    by_email.customer.save(update_fields=["language"])
    return by_email, by_web


def test_a_customer_signs_in_by_link_answers_with_a_file_and_marks_one_solved(
    page, two_channels, mailoutbox, run_tasks, tmp_path, axe_violations
):
    by_email, by_web = two_channels
    proof = tmp_path / "comprovativo.pdf"
    proof.write_bytes(b"%PDF-1.4 comprovativo de morada")

    page.goto("/portal/")
    expect(page.get_by_role("heading", name="Sign in to follow your requests")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Your email address").fill("maria@example.com")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert axe_violations(page) == []

    run_tasks()
    page.goto(link_in(mailoutbox[0]))
    assert axe_violations(page) == []
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Your requests")).to_be_visible()
    expect(page.get_by_role("link", name=f"#{by_email.number} Fatura de outubro")).to_be_visible()
    expect(page.get_by_role("link", name=f"#{by_web.number} Mudança de morada")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name=f"#{by_web.number} Mudança de morada").click()
    expect(page.get_by_text("Mudei de casa em março.")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Your message").fill("Junto o comprovativo.")
    page.get_by_label("Attach files (optional)").set_input_files(str(proof))
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("Your message was sent.")
    expect(page.get_by_text("Junto o comprovativo.")).to_be_visible()
    expect(page.get_by_role("link", name="comprovativo.pdf")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("button", name="My problem is solved").click()
    expect(page.get_by_role("status")).to_contain_text("The ticket is marked as solved.")
    assert axe_violations(page) == []

    message = by_web.timeline.filter(kind=EntryKind.MESSAGE).latest("pk")
    by_web.refresh_from_db()
    assert (message.channel, message.attachments.get().filename) == (
        Channel.WEB,
        "comprovativo.pdf",
    )
    assert by_web.status == Status.SOLVED

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to follow your requests")).to_be_visible()
    page.goto("/portal/")
    expect(page.get_by_role("heading", name="Sign in to follow your requests")).to_be_visible()


def test_a_used_link_says_so_without_wcag_violations(page, two_channels, axe_violations):
    page.goto("/portal/sign-in/not-a-real-token/")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    assert axe_violations(page) == []

"""In a real browser: a visitor writes through the contact form, on the hosted page or inside a
company's site, gets the ticket number, and an agent then finds the ticket in the inbox."""

import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from playwright.sync_api import expect

from attenda.tickets.models import Attachment, Channel, Ticket

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def quick_visitors(settings):
    """People take seconds to fill the form in; a test takes less, so the timing check waits 0 s
    here (tests/channels/web holds forms sent too fast)."""
    settings.WEB_FORM_MIN_SECONDS = 0


def fill_in(page, tmp_path) -> None:
    photo = tmp_path / "contador.jpg"
    photo.write_bytes(b"\xff\xd8\xff foto do contador")
    page.get_by_label("Your name").fill("Ioana Popescu")
    page.get_by_label("Your email address").fill("ioana@example.ro")
    page.get_by_label("What is it about?").select_option("technical_service")
    page.get_by_label("Subject").fill("Contorul nu funcționează")
    page.get_by_label("Your message").fill("Contorul de gaz afișează eroare E4.")
    page.get_by_label("Attach files (optional)").set_input_files(str(photo))
    page.get_by_label("Answer me in").select_option("ro")


def test_the_web_form_makes_a_ticket_that_an_agent_then_sees(
    page, log_in, agent, team, tmp_path, axe_violations
):
    page.goto(f"/contact/?lang=en&team={team.pk}")
    expect(page.get_by_role("heading", name="Contact us")).to_be_visible()
    assert axe_violations(page) == []

    fill_in(page, tmp_path)
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("heading", name="Thank you, we received your message")).to_be_visible()
    ticket = Ticket.objects.get()
    expect(page.get_by_text(f"#{ticket.number}")).to_be_visible()
    expect(page.get_by_text("We will answer you as soon as we can.")).to_be_visible()
    assert axe_violations(page) == []
    assert (ticket.channel, ticket.team, ticket.language) == (Channel.WEB, team, "ro")
    assert Attachment.objects.get().filename == "contador.jpg"

    log_in(agent)
    page.goto("/?view=unassigned")
    page.get_by_role("link", name="Contorul nu funcționează").click()

    expect(page.get_by_text("Contorul de gaz afișează eroare E4.")).to_be_visible()
    expect(page.get_by_role("link", name="contador.jpg")).to_be_visible()


def test_a_form_with_mistakes_says_what_to_fix_without_wcag_violations(page, axe_violations):
    page.goto("/contact/?lang=en")
    page.get_by_label("Your email address").fill("not an address")

    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked below.")
    expect(page.get_by_label("Your email address")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []


@pytest.fixture
def company_site(live_server, tmp_path):
    """The company's own site, served by another server on another origin, with the tag pasted in."""
    (tmp_path / "index.html").write_text(
        "<!DOCTYPE html><html lang='pt'><head><title>Energia</title></head><body>"
        "<h1>Contacte-nos</h1>"
        f"<script src='{live_server.url}/contact/embed.js' data-lang='en'></script>"
        "</body></html>"
    )
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_form_works_inside_a_companys_site(page, settings, company_site, tmp_path):
    settings.WEB_FORM_ORIGINS = [company_site]

    page.goto(f"{company_site}/")
    form = page.frame_locator("iframe[title='Contact form']")
    fill_in(form, tmp_path)
    form.get_by_role("button", name="Send").click()

    expect(form.get_by_role("heading", name="Thank you, we received your message")).to_be_visible()
    ticket = Ticket.objects.get()
    expect(form.get_by_text(f"#{ticket.number}")).to_be_visible()
    assert re.match(r"^Contorul", ticket.subject)


def test_an_admin_releases_a_held_submission_without_wcag_violations(
    page, log_in, admin_agent, axe_violations
):
    Client().post(
        "/contact/",
        {
            "name": "Robô",
            "email": "robo@example.com",
            "kind": "question",
            "subject": "Oferta",
            "message": "Compre já.",
            "language": "pt",
            "website": "http://spam.example",
        },
    )
    log_in(admin_agent)
    page.goto("/settings/web-form/")
    expect(page.get_by_role("cell", name="Filled in the hidden field")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Release as a ticket").click()

    ticket = Ticket.objects.get()
    expect(page.get_by_text(f"The submission became ticket #{ticket.number}.")).to_be_visible()
    expect(page.get_by_text("Nothing is held.")).to_be_visible()

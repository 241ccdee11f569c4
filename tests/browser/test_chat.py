"""The chat widget in a real browser: a host site on another origin embeds the one script tag, a
visitor chats with a signed-in agent both ways, with nobody available the chat becomes a ticket,
and a returning customer reaches their own agent. The widget and the agent's chat view are
axe-clean."""

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from attenda.channels.chat.identity import host_signature
from attenda.channels.chat.models import ChatConversation, ChatWidget
from attenda.customers.models import Customer, Identity, IdentityKind
from attenda.tickets.models import Channel, Ticket, TimelineEntry
from tests.browser.conftest import TIMEOUT_MS
from tests.channels.chat.factories import ChatWidgetFactory

HOST_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title><link rel="icon" href="data:,"></head>
<body><main><h1>The shop</h1><p>Everything you need.</p></main>
<script src="{attenda}/chat/widget.js" data-attenda-chat="{key}" {identity} async></script>
</body></html>"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the standard library's name
        pass


@pytest.fixture
def host_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Another web site, on another origin, served by a tiny local HTTP server."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", tmp_path
    server.shutdown()


def _host_page(host_site, live_server, widget: ChatWidget, identity: str = "") -> str:
    origin, folder = host_site
    (folder / "index.html").write_text(
        HOST_PAGE.format(attenda=live_server.url, key=widget.key, identity=identity)
    )
    return f"{origin}/index.html"


@pytest.fixture
def widget(team, host_site):
    return ChatWidgetFactory(team=team, allowed_origins=host_site[0], greeting="Hello from Shop!")


@pytest.fixture
def visitor_page(browser: Browser, live_server) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def test_a_visitor_and_an_agent_chat_both_ways(
    page, log_in, visitor_page, host_site, live_server, widget, agent, axe_violations
):
    log_in(agent)
    page.goto("/chats/")
    expect(page.get_by_text("Nobody is waiting to chat.")).to_be_visible()

    visitor_page.goto(_host_page(host_site, live_server, widget))
    visitor_page.get_by_role("button", name="Chat with us").click()
    expect(visitor_page.get_by_role("dialog", name="Chat")).to_be_visible()
    expect(visitor_page.get_by_label("Your name")).to_be_focused()
    expect(visitor_page.get_by_text("Hello from Shop!")).to_be_visible()
    assert axe_violations(visitor_page) == []
    visitor_page.get_by_label("Your name").fill("Maria Santos")
    visitor_page.get_by_label("Your email address").fill("maria@example.com")
    visitor_page.get_by_label("Your message").fill("My order has not arrived.")
    visitor_page.get_by_role("button", name="Start the chat").click()
    expect(visitor_page.get_by_role("status")).to_contain_text("You are number 1 in the queue.")

    page.get_by_role("button", name="Accept the chat with Maria Santos").click()
    expect(page.get_by_role("heading", name="Chat with Maria Santos")).to_be_visible()
    expect(page.get_by_role("log")).to_contain_text("My order has not arrived.")
    expect(visitor_page.get_by_role("status")).to_contain_text("Ana joined the chat.")

    page.get_by_label("Your answer").fill("Hello Maria, let me look at it.")
    page.get_by_role("button", name="Send").click()
    expect(visitor_page.get_by_role("log")).to_contain_text("Hello Maria, let me look at it.")
    expect(page.get_by_label("Your answer")).to_be_focused()

    visitor_page.get_by_label("Your message").fill("It is order 4411.")
    expect(page.get_by_text("The visitor is writing…")).to_be_visible()
    visitor_page.keyboard.press("Enter")
    expect(page.get_by_role("log")).to_contain_text("It is order 4411.")
    assert axe_violations(page) == []
    assert axe_violations(visitor_page) == []

    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.CHAT
    assert ticket.owner == agent
    said = TimelineEntry.objects.filter(ticket=ticket, kind__in=["message", "reply"])
    assert list(said.order_by("pk").values_list("body", flat=True)) == [
        "My order has not arrived.",
        "Hello Maria, let me look at it.",
        "It is order 4411.",
    ]


def test_with_nobody_available_the_chat_becomes_a_ticket(
    visitor_page, host_site, live_server, widget, agent, axe_violations
):
    agent.status = "away"
    agent.save()

    visitor_page.goto(_host_page(host_site, live_server, widget))
    visitor_page.get_by_role("button", name="Chat with us").click()
    expect(visitor_page.get_by_role("heading", name="Leave us a message")).to_be_visible()
    assert axe_violations(visitor_page) == []
    visitor_page.get_by_label("Your name").fill("João Pereira")
    visitor_page.get_by_label("Your email address").fill("joao@example.com")
    visitor_page.get_by_label("Your message").fill("Please call me back about my bill.")
    visitor_page.get_by_role("button", name="Send").click()

    expect(visitor_page.get_by_text("We received your message")).to_be_visible()
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.CHAT
    assert ticket.customer.identities.get().value == "joao@example.com"


def test_a_returning_customer_reaches_their_own_agent(
    page, log_in, visitor_page, host_site, live_server, widget, agent, colleague
):
    customer = Customer.objects.create(name="Maria Santos", standing_agent=colleague)
    Identity.objects.create(
        customer=customer, kind=IdentityKind.CHAT, value=f"{widget.key}/user-42"
    )
    signature = host_signature(widget, "user-42", "")
    identity = f'data-user-id="user-42" data-user-signature="{signature}"'
    log_in(colleague)
    page.goto("/chats/")

    visitor_page.goto(_host_page(host_site, live_server, widget, identity))
    visitor_page.get_by_role("button", name="Chat with us").click()
    visitor_page.get_by_label("Your message").fill("It's me again.")
    visitor_page.get_by_role("button", name="Start the chat").click()

    expect(page.get_by_text("Your customer")).to_be_visible()
    page.get_by_role("button", name="Accept the chat with Maria Santos").click()
    expect(visitor_page.get_by_role("status")).to_contain_text("Bruno joined the chat.")
    conversation = ChatConversation.objects.get()
    assert conversation.customer == customer
    assert conversation.agent == colleague


def test_the_ticket_page_shows_the_visitors_messages_and_typing_as_they_happen(
    page, log_in, visitor_page, host_site, live_server, widget, agent, axe_violations
):
    log_in(agent)
    visitor_page.goto(_host_page(host_site, live_server, widget))
    visitor_page.get_by_role("button", name="Chat with us").click()
    visitor_page.get_by_label("Your name").fill("Maria Santos")
    visitor_page.get_by_label("Your message").fill("My order has not arrived.")
    visitor_page.get_by_role("button", name="Start the chat").click()
    expect(visitor_page.get_by_role("status")).to_contain_text("You are number 1 in the queue.")
    page.goto(f"/tickets/{Ticket.objects.get().pk}/")
    expect(page.locator("#timeline")).to_contain_text("My order has not arrived.")

    visitor_page.get_by_label("Your message").fill("It is order 4411.")
    expect(page.get_by_text("The visitor is writing…")).to_be_visible()
    visitor_page.keyboard.press("Enter")

    expect(page.locator("#timeline")).to_contain_text("It is order 4411.")
    expect(page.get_by_text("The visitor wrote a new message.")).to_be_visible()
    assert axe_violations(page) == []

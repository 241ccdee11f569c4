from django.conf import settings
from django.urls import reverse
from django.utils import translation

from attenda.core import middleware


def test_each_request_starts_on_fresh_interpreter_stack(client, db):
    """The first middleware runs the rest of the request from a frame too large for a partly used
    data-stack chunk, where the interpreter frees chunks eagerly (see attenda.core.middleware)."""
    assert settings.MIDDLEWARE[0] == "attenda.core.middleware.FreshStackMiddleware"
    if middleware.NEEDS_HEADROOM:
        assert middleware.respond_on_fresh_stack.__code__.co_nlocals > middleware.RESERVED_SLOTS

    response = client.get("/healthz")

    assert response.status_code == 200


def test_an_agents_page_passes_every_middleware(client, agent):
    """Only webhook addresses are served past the browser's middleware (WebhookMiddleware)."""
    client.force_login(agent)

    response = client.get(reverse("inbox"))

    request = response.wsgi_request
    assert response.status_code == 200
    assert request.session.session_key
    assert request.user == agent
    assert request.user.is_verified() is False
    assert request.csrf_processing_done
    assert request.LANGUAGE_CODE == response["Content-Language"] == "en"
    assert hasattr(request, "_messages")
    assert not request.htmx
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_page_speaks_its_readers_language_and_the_thread_the_sites_once_it_is_answered(
    client, agent
):
    """What runs on the thread after the page (a service, a task) is not in the last reader's
    language: neither an agent's nor the one a customer chose on the portal."""
    agent.language = "pl"
    agent.save()
    client.force_login(agent)

    inbox = client.get(reverse("inbox"))
    after_inbox = translation.get_language()
    portal = client.get("/portal/sign-in/?lang=ro")
    after_portal = translation.get_language()

    assert (inbox["Content-Language"], after_inbox) == ("pl", "en")
    assert (portal["Content-Language"], after_portal) == ("ro", "en")


def test_a_webhook_address_is_served_past_the_browsers_middleware(client, db):
    """A provider's request gets the security headers, and nothing that reads a session or a
    sign-in; an address there that leads nowhere is a plain 404, not the agents' error page."""
    assert settings.MIDDLEWARE.index("attenda.core.middleware.WebhookMiddleware") == (
        settings.MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1
    )

    response = client.post(
        f"{middleware.WEBHOOK_PREFIXES[0]}nowhere/more/", b"{}", content_type="application/json"
    )

    request = response.wsgi_request
    assert response.status_code == 404
    assert response.content == b""
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response
    assert not hasattr(request, "session")
    assert not hasattr(request, "user")
    assert not hasattr(request, "csrf_processing_done")

from django.conf import settings

from attenda.core import middleware


def test_each_request_starts_on_fresh_interpreter_stack(client, db):
    """The first middleware runs the rest of the request from a frame too large for a partly used
    data-stack chunk, where the interpreter frees chunks eagerly (see attenda.core.middleware)."""
    assert settings.MIDDLEWARE[0] == "attenda.core.middleware.FreshStackMiddleware"
    if middleware.NEEDS_HEADROOM:
        assert middleware.respond_on_fresh_stack.__code__.co_nlocals > middleware.RESERVED_SLOTS

    response = client.get("/healthz")

    assert response.status_code == 200

"""Every messaging-app payload of the shared corpus (pywa's WhatsApp updates, Zammad's Telegram and
X events, Vlix's Messenger callbacks) is taken by its webhook: each event is stored, a message
lands on a ticket or is kept raw as a kind Attenda does not read, and nothing is left waiting or
lost. The corpus gives no expected results for these; the texts checked are the payloads' own."""

import json

import pytest

from attenda.channels.social.models import EventKind, EventState, SocialEvent
from attenda.tickets.models import Channel
from tests.channels.social import corpus_payloads
from tests.corpus import corpus_path

pytestmark = pytest.mark.django_db

ACCOUNTS = {
    "whatsapp": "whatsapp",
    "telegram": "telegram",
    "messenger": "messenger",
    "x": "x_account",
}


def _customer_text(provider: str, body: bytes) -> str | None:
    """The words the payload says the customer wrote, where it is a plain text message."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    if provider == "whatsapp":
        messages = payload["entry"][0]["changes"][0]["value"].get("messages") or [{}]
        return (
            (messages[0].get("text") or {}).get("body")
            if messages[0].get("type") == "text"
            else None
        )
    if provider == "telegram":
        return (payload.get("message") or {}).get("text")
    if provider == "messenger" and payload.get("object") == "page":
        item = (payload["entry"][0].get("messaging") or [{}])[0]
        message = item.get("message") or {}
        return None if message.get("is_echo") or message.get("attachments") else message.get("text")
    return None


@pytest.mark.parametrize(("provider", "case"), corpus_payloads.cases())
def test_every_corpus_payload_is_taken_or_kept(provider, case, request, webhook, run_tasks):
    corpus_path("webhooks")
    account = request.getfixturevalue(ACCOUNTS[provider])
    body = corpus_payloads.body(provider, case)

    response = webhook(account, body)
    run_tasks()

    assert response.status_code == 200
    events = list(SocialEvent.objects.select_related("entry"))
    assert events
    for event in events:
        assert event.state in (EventState.TAKEN, EventState.UNSUPPORTED), event.problem
        if event.kind == EventKind.MESSAGE and event.state == EventState.TAKEN:
            assert event.entry.channel == Channel.SOCIAL
            assert event.entry.data["provider"] == provider
            assert (
                event.entry.external_id == f"{provider}:" + event.entry.external_id.split(":", 1)[1]
            )
        if event.state == EventState.UNSUPPORTED:
            assert event.entry is None
            assert event.payload
    text = _customer_text(provider, body)
    if text:
        assert [event.entry.body for event in events if event.entry] == [text]

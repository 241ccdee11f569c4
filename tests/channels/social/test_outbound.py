"""Agents answer customers in the app they wrote from: the reply leaves through the provider's HTTP
API from the task queue, in the provider's documented shape, retried while the provider is down;
receipts move it to delivered and read, never back; WhatsApp's 24-hour rule is kept."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from attenda.channels.social.models import SocialReply
from attenda.tickets import delivery
from attenda.tickets.models import Delivery, Ticket, TimelineEntry
from attenda.tickets.services import reply
from tests.channels.social import payloads

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
EPOCH = int(NOW.timestamp())


@pytest.fixture
def traveller():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _ticket_from(webhook, run_tasks, account, payload) -> Ticket:
    webhook(account, payload)
    run_tasks()
    return Ticket.objects.get()


def _reply(
    committed, run_tasks, ticket, agent, body="Já corrigimos a sua fatura."
) -> TimelineEntry:
    with committed():
        entry = reply(ticket=ticket, agent=agent, body=body)
    run_tasks()
    entry.refresh_from_db()
    return entry


def test_a_whatsapp_reply_reaches_the_cloud_api_and_its_receipts_move_it_forward(
    traveller, webhook, committed, run_tasks, whatsapp, agent, fake_provider
):
    ticket = _ticket_from(
        webhook, run_tasks, whatsapp, payloads.whatsapp_text("Olá", timestamp=EPOCH)
    )

    entry = _reply(committed, run_tasks, ticket, agent)

    [call] = fake_provider.sent()
    assert call.path == "/whatsapp/v21.0/1122334455667/messages"
    assert call.headers["authorization"] == "Bearer EAAG-test-token"
    assert call.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "351912345678",
        "type": "text",
        "text": {"body": "Já corrigimos a sua fatura.", "preview_url": False},
    }
    assert fake_provider.problems == []
    assert entry.delivery == Delivery.SENT
    assert SocialReply.objects.get().message_id == "wamid.out1"

    for status, expected in [
        ("delivered", Delivery.DELIVERED),
        ("read", Delivery.READ),
        ("delivered", Delivery.READ),  # late, after "read": stays read
    ]:
        webhook(whatsapp, payloads.whatsapp_status("wamid.out1", status))
        run_tasks()
        entry.refresh_from_db()
        assert entry.delivery == expected


def test_after_24_hours_without_a_template_whatsapp_cannot_take_a_reply(
    traveller, webhook, committed, run_tasks, whatsapp, agent, fake_provider
):
    ticket = _ticket_from(
        webhook, run_tasks, whatsapp, payloads.whatsapp_text("Olá", timestamp=EPOCH)
    )
    traveller.shift(timedelta(hours=25))

    route = delivery.route(ticket)
    entry = _reply(committed, run_tasks, ticket, agent)

    assert not route.can_deliver
    assert "more than 24 hours ago" in route.reason
    assert entry.delivery == Delivery.FAILED
    assert entry.delivery_note == route.reason
    assert fake_provider.sent() == []


def test_after_24_hours_the_reply_leaves_as_the_approved_template(
    traveller, webhook, committed, run_tasks, whatsapp, agent, fake_provider
):
    whatsapp.template_name, whatsapp.template_language = "resposta_apoio", "pt_PT"
    whatsapp.save()
    ticket = _ticket_from(
        webhook, run_tasks, whatsapp, payloads.whatsapp_text("Olá", timestamp=EPOCH)
    )
    traveller.shift(timedelta(hours=25))

    route = delivery.route(ticket)
    entry = _reply(committed, run_tasks, ticket, agent, body="A sua fatura foi corrigida.")

    assert route.can_deliver
    assert "approved template resposta_apoio" in route.sender
    [call] = fake_provider.sent()
    assert call.body["type"] == "template"
    assert call.body["template"] == {
        "name": "resposta_apoio",
        "language": {"code": "pt_PT"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "A sua fatura foi corrigida."}],
            }
        ],
    }
    assert fake_provider.problems == []
    assert entry.delivery == Delivery.SENT


def test_a_telegram_reply_is_sent_with_send_message(
    traveller, webhook, committed, run_tasks, telegram, agent, fake_provider
):
    ticket = _ticket_from(webhook, run_tasks, telegram, payloads.telegram_text("Bună ziua"))

    entry = _reply(committed, run_tasks, ticket, agent, body="Bună ziua, vă ajutăm imediat.")

    [call] = fake_provider.sent()
    assert call.path == "/telegram/bot123456:ABC-test-bot-token/sendMessage"
    assert call.body == {"chat_id": "111111", "text": "Bună ziua, vă ajutăm imediat."}
    assert fake_provider.problems == []
    assert entry.delivery == Delivery.SENT


def test_a_messenger_reply_and_its_read_receipt(
    traveller, webhook, committed, run_tasks, messenger, agent, fake_provider
):
    ticket = _ticket_from(webhook, run_tasks, messenger, payloads.messenger_text("Hello"))

    entry = _reply(committed, run_tasks, ticket, agent, body="Hello, how can we help?")
    read = {
        "sender": {"id": "1739141089378194"},
        "recipient": {"id": "234554838031189"},
        "timestamp": (EPOCH + 60) * 1000,
        "read": {"watermark": (EPOCH + 30) * 1000},
    }
    webhook(messenger, payloads.messenger_body(read))
    run_tasks()

    [call] = fake_provider.sent()
    assert call.path == "/messenger/v21.0/me/messages"
    assert call.query == {"access_token": ["EAAG-test-token"]}
    assert call.body == {
        "recipient": {"id": "1739141089378194"},
        "message": {"text": "Hello, how can we help?"},
        "messaging_type": "RESPONSE",
    }
    assert fake_provider.problems == []
    entry.refresh_from_db()
    assert entry.delivery == Delivery.READ


def test_a_messenger_reply_after_a_day_is_tagged_as_a_person_answering(
    traveller, webhook, committed, run_tasks, messenger, agent, fake_provider
):
    ticket = _ticket_from(webhook, run_tasks, messenger, payloads.messenger_text("Hello"))
    traveller.shift(timedelta(days=2))

    _reply(committed, run_tasks, ticket, agent)

    [call] = fake_provider.sent()
    assert (call.body["messaging_type"], call.body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert fake_provider.problems == []


def test_an_x_reply_and_its_read_mark(
    traveller, webhook, committed, run_tasks, x_account, agent, fake_provider
):
    ticket = _ticket_from(webhook, run_tasks, x_account, payloads.x_dm("Hi there"))

    entry = _reply(committed, run_tasks, ticket, agent, body="Hi! Let us check.")
    read = {
        "for_user_id": "2975699229",
        "direct_message_mark_read_events": [
            {
                "created_timestamp": str((EPOCH + 60) * 1000),
                "sender_id": "1205290247124217856",
                "target": {"recipient_id": "2975699229"},
                "last_read_event_id": "7001",
            }
        ],
    }
    webhook(x_account, read)
    run_tasks()

    [call] = fake_provider.sent()
    assert call.path == "/x/2/dm_conversations/with/1205290247124217856/messages"
    assert call.headers["authorization"] == "Bearer EAAG-test-token"
    assert call.body == {"text": "Hi! Let us check."}
    assert fake_provider.problems == []
    entry.refresh_from_db()
    assert entry.delivery == Delivery.READ


def test_a_provider_outage_is_retried_with_a_growing_wait(
    traveller, webhook, committed, run_tasks, whatsapp, agent, fake_provider
):
    ticket = _ticket_from(
        webhook, run_tasks, whatsapp, payloads.whatsapp_text("Olá", timestamp=EPOCH)
    )
    fake_provider.failures = [503]

    entry = _reply(committed, run_tasks, ticket, agent)

    assert entry.delivery == Delivery.QUEUED
    assert entry.delivery_note.startswith("Attempt 1 failed: HTTP 503")
    traveller.shift(timedelta(seconds=31))
    run_tasks()
    entry.refresh_from_db()
    assert entry.delivery == Delivery.SENT
    assert SocialReply.objects.get().attempts == 2
    assert len(fake_provider.sent()) == 2


def test_a_refusal_is_shown_at_once_and_not_retried(
    traveller, webhook, committed, run_tasks, whatsapp, agent, fake_provider
):
    ticket = _ticket_from(
        webhook, run_tasks, whatsapp, payloads.whatsapp_text("Olá", timestamp=EPOCH)
    )
    fake_provider.failures = [400]

    entry = _reply(committed, run_tasks, ticket, agent)
    traveller.shift(timedelta(hours=1))
    run_tasks()

    entry.refresh_from_db()
    assert entry.delivery == Delivery.FAILED
    assert "Service temporarily unavailable" in entry.delivery_note
    assert len(fake_provider.sent()) == 1


def test_a_failed_status_marks_the_reply_not_sent(
    traveller, webhook, committed, run_tasks, whatsapp, agent, fake_provider
):
    ticket = _ticket_from(
        webhook, run_tasks, whatsapp, payloads.whatsapp_text("Olá", timestamp=EPOCH)
    )
    entry = _reply(committed, run_tasks, ticket, agent)
    failed = payloads.whatsapp_status("wamid.out1", "failed")
    failed["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"] = [
        {"code": 131047, "title": "Re-engagement message"}
    ]

    webhook(whatsapp, failed)
    run_tasks()

    entry.refresh_from_db()
    assert entry.delivery == Delivery.FAILED
    assert entry.delivery_note == "WhatsApp did not deliver it: Re-engagement message"

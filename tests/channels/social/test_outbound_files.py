"""An agent's files on a reply to a messaging-app ticket reach the customer through each provider's
media API, in its documented shape (checked by the fake provider), after the reply's words; a file
the provider does not take is named on the reply with the reason, in the agent's language, and a
retry after an outage sends only what has not gone yet."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from attenda.channels.social.models import SocialReply
from attenda.tickets.messages import InboundFile
from attenda.tickets.models import Delivery, Ticket, TimelineEntry
from attenda.tickets.services import reply
from tests.channels.social import fake_provider as fake_module
from tests.channels.social import payloads
from tests.channels.social.fake_provider import Part

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
EPOCH = int(NOW.timestamp())
PNG = InboundFile("screenshot.png", "image/png", b"\x89PNG\r\n\x1a\n screenshot")
PDF = InboundFile("invoice.pdf", "application/pdf", b"%PDF-1.7 invoice")
ZIP = InboundFile("logs.zip", "application/zip", b"PK\x03\x04 logs")


@pytest.fixture
def traveller():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _ticket_from(webhook, run_tasks, account, payload) -> Ticket:
    webhook(account, payload)
    run_tasks()
    return Ticket.objects.get()


def _reply(committed, run_tasks, ticket, agent, files, body="Segue em anexo.") -> TimelineEntry:
    with committed():
        entry = reply(ticket=ticket, agent=agent, body=body, files=files)
    run_tasks()
    entry.refresh_from_db()
    return entry


def _whatsapp_ticket(webhook, run_tasks, whatsapp) -> Ticket:
    return _ticket_from(
        webhook, run_tasks, whatsapp, payloads.whatsapp_text("Olá", timestamp=EPOCH)
    )


def test_whatsapp_files_are_uploaded_then_sent_by_their_media_id(
    traveller, webhook, committed, run_tasks, whatsapp, agent, fake_provider
):
    ticket = _whatsapp_ticket(webhook, run_tasks, whatsapp)

    entry = _reply(committed, run_tasks, ticket, agent, [PNG, PDF])

    assert fake_provider.problems == []
    image_upload, pdf_upload = fake_provider.uploads()
    assert image_upload.path == "/whatsapp/v21.0/1122334455667/media"
    assert image_upload.headers["authorization"] == "Bearer EAAG-test-token"
    assert image_upload.headers["content-type"].startswith("multipart/form-data")
    assert image_upload.body == {
        "messaging_product": "whatsapp",
        "type": "image/png",
        "file": Part("screenshot.png", "image/png", PNG.content),
    }
    assert pdf_upload.body["file"] == Part("invoice.pdf", "application/pdf", PDF.content)
    words, image, document = fake_provider.sent()
    assert words.body["type"] == "text"
    assert image.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "351912345678",
        "type": "image",
        "image": {"id": "4000"},
    }
    assert document.body["type"] == "document"
    assert document.body["document"] == {"id": "4001", "filename": "invoice.pdf"}
    assert entry.delivery == Delivery.SENT
    assert entry.delivery_note == ""
    files = SocialReply.objects.get().files
    assert sorted(done["message_id"] for done in files.values()) == ["wamid.out2", "wamid.out3"]


def test_telegram_sends_a_photo_with_send_photo_and_other_files_with_send_document(
    traveller, webhook, committed, run_tasks, telegram, agent, fake_provider
):
    ticket = _ticket_from(webhook, run_tasks, telegram, payloads.telegram_text("Bună ziua"))

    entry = _reply(committed, run_tasks, ticket, agent, [PNG, ZIP])

    assert fake_provider.problems == []
    words, photo, document = fake_provider.sent()
    assert words.path.endswith("/sendMessage")
    assert photo.path == "/telegram/bot123456:ABC-test-bot-token/sendPhoto"
    assert photo.body == {
        "chat_id": "111111",
        "photo": Part("screenshot.png", "image/png", PNG.content),
    }
    assert document.path.endswith("/sendDocument")
    assert document.body["document"] == Part("logs.zip", "application/zip", ZIP.content)
    assert entry.delivery == Delivery.SENT
    assert entry.delivery_note == ""


def test_messenger_uploads_the_attachment_then_sends_it_by_its_id(
    traveller, webhook, committed, run_tasks, messenger, agent, fake_provider
):
    ticket = _ticket_from(webhook, run_tasks, messenger, payloads.messenger_text("Hello"))
    traveller.shift(timedelta(days=2))  # past the 24 hours: tagged as a person answering

    entry = _reply(committed, run_tasks, ticket, agent, [PDF])

    assert fake_provider.problems == []
    [upload] = fake_provider.uploads()
    assert upload.path == "/messenger/v21.0/me/message_attachments"
    assert upload.query == {"access_token": ["EAAG-test-token"]}
    assert upload.body == {
        "message": '{"attachment": {"type": "file", "payload": {"is_reusable": false}}}',
        "filedata": Part("invoice.pdf", "application/pdf", PDF.content),
    }
    _, attachment = fake_provider.sent()
    assert attachment.body == {
        "recipient": {"id": "1739141089378194"},
        "message": {"attachment": {"type": "file", "payload": {"attachment_id": "5000"}}},
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
    }
    assert entry.delivery == Delivery.SENT


def test_x_uploads_an_image_and_sends_it_as_the_dm_attachment_and_refuses_a_document(
    traveller, webhook, committed, run_tasks, x_account, agent, fake_provider
):
    ticket = _ticket_from(webhook, run_tasks, x_account, payloads.x_dm("Hi there"))

    entry = _reply(committed, run_tasks, ticket, agent, [PNG, PDF])

    assert fake_provider.problems == []
    [upload] = fake_provider.uploads()
    assert upload.path == "/x/2/media/upload"
    assert upload.headers["authorization"] == "Bearer EAAG-test-token"
    assert upload.body == {
        "media_category": "dm_image",
        "media_type": "image/png",
        "media": Part("screenshot.png", "image/png", PNG.content),
    }
    _, image = fake_provider.sent()
    assert image.path == "/x/2/dm_conversations/with/1205290247124217856/messages"
    assert image.body == {"attachments": [{"media_id": "1880000000"}]}
    assert entry.delivery == Delivery.SENT
    assert entry.delivery_note == (
        "invoice.pdf was not sent: X does not take files of type application/pdf."
    )


def test_a_file_over_the_providers_limit_is_named_as_not_sent_in_the_agents_language(
    traveller, webhook, committed, run_tasks, whatsapp, agent, fake_provider
):
    agent.language = "pt"
    agent.save()
    ticket = _whatsapp_ticket(webhook, run_tasks, whatsapp)
    photo = InboundFile("photo.jpg", "image/jpeg", b"\xff" * (5 * 1024 * 1024 + 1))

    entry = _reply(committed, run_tasks, ticket, agent, [photo, PDF])

    assert [call.body["file"].filename for call in fake_provider.uploads()] == ["invoice.pdf"]
    assert len(fake_provider.sent()) == 2
    assert entry.delivery == Delivery.SENT
    assert entry.delivery_note == (
        "photo.jpg não foi enviado: WhatsApp aceita ficheiros deste tipo até 5,0\xa0MB."
    )


def test_a_file_the_provider_refuses_is_said_and_not_tried_again(
    traveller, webhook, committed, run_tasks, whatsapp, agent, fake_provider
):
    ticket = _whatsapp_ticket(webhook, run_tasks, whatsapp)
    fake_provider.refuse_uploads = {"invoice.pdf"}

    entry = _reply(committed, run_tasks, ticket, agent, [PDF, PNG])
    traveller.shift(timedelta(hours=1))
    run_tasks()

    entry.refresh_from_db()
    assert len(fake_provider.uploads()) == 2
    assert len(fake_provider.sent()) == 2  # the words and the image
    assert entry.delivery == Delivery.SENT
    assert entry.delivery_note.startswith("invoice.pdf was not sent: WhatsApp refused it (HTTP 400")


def test_outside_whatsapps_window_the_template_goes_and_the_files_are_said_not_sent(
    traveller, webhook, committed, run_tasks, whatsapp, agent, fake_provider
):
    whatsapp.template_name, whatsapp.template_language = "resposta_apoio", "pt_PT"
    whatsapp.save()
    ticket = _whatsapp_ticket(webhook, run_tasks, whatsapp)
    traveller.shift(timedelta(hours=25))

    entry = _reply(committed, run_tasks, ticket, agent, [PNG])

    [template] = fake_provider.sent()
    assert template.body["type"] == "template"
    assert fake_provider.uploads() == []
    assert entry.delivery == Delivery.SENT
    assert "screenshot.png was not sent: outside WhatsApp's 24-hour window" in entry.delivery_note


def _outage(monkeypatch, name: str, *, calls: set[int]) -> None:
    """The provider answers 503 to these calls (counted from 1) of one of its file endpoints."""
    original = getattr(fake_module, name)
    seen = []

    def answer(fake, call, *args):
        seen.append(call)
        if len(seen) in calls:
            fake.calls.remove(call)  # not counted as an upload or a message
            return 503, {"error": {"message": "Service temporarily unavailable"}}
        return original(fake, call, *args)

    monkeypatch.setattr(fake_module, name, answer)


def test_after_an_outage_only_the_files_not_yet_sent_go(
    traveller, webhook, committed, run_tasks, whatsapp, agent, fake_provider, monkeypatch
):
    ticket = _whatsapp_ticket(webhook, run_tasks, whatsapp)
    _outage(monkeypatch, "_whatsapp_upload", calls={2})

    entry = _reply(committed, run_tasks, ticket, agent, [PNG, PDF])

    assert entry.delivery == Delivery.SENT
    assert entry.delivery_note.startswith("Attempt 2 failed: HTTP 503")
    traveller.shift(timedelta(seconds=31))
    run_tasks()

    entry.refresh_from_db()
    assert fake_provider.problems == []
    assert [call.body["type"] for call in fake_provider.sent()] == ["text", "image", "document"]
    assert entry.delivery_note == ""


def test_when_the_provider_stays_down_the_files_not_sent_are_named(
    traveller, webhook, committed, run_tasks, telegram, agent, fake_provider, settings, monkeypatch
):
    settings.TASK_MAX_ATTEMPTS = 2
    ticket = _ticket_from(webhook, run_tasks, telegram, payloads.telegram_text("Bună ziua"))
    _outage(monkeypatch, "_telegram_file", calls={1, 2})

    entry = _reply(committed, run_tasks, ticket, agent, [ZIP], body="Bună ziua.")
    traveller.shift(timedelta(seconds=31))
    run_tasks()

    entry.refresh_from_db()
    assert [call.path.rsplit("/", 1)[-1] for call in fake_provider.sent()] == ["sendMessage"]
    assert entry.delivery == Delivery.SENT
    assert entry.delivery_note.startswith(
        "logs.zip was not sent: the messaging app did not take it: HTTP 503"
    )

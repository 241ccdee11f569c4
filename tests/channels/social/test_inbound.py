"""Customers write from WhatsApp, Telegram, Messenger and X: the webhook keeps each event and
answers at once, a task puts the message on the customer's ticket, and a repeated event is one
message."""

import json
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attenda.channels.social.inbound import record
from attenda.channels.social.models import EventState, SocialAccount, SocialEvent
from attenda.channels.social.services import save_account
from attenda.channels.social.tasks import take_forgotten_events
from attenda.customers.models import Customer, Identity, IdentityKind
from attenda.customers.services import merge_customers
from attenda.tickets.models import Attachment, Channel, Ticket, TimelineEntry
from tests.channels.social import payloads
from tests.channels.social.fake_provider import MEDIA

pytestmark = pytest.mark.django_db

NOW = "2026-12-06 12:00:00+00:00"


@time_machine.travel(NOW, tick=False)
def test_a_whatsapp_message_opens_a_ticket_for_the_number(webhook, client, whatsapp, run_tasks):
    response = webhook(whatsapp, payloads.whatsapp_text("A minha fatura veio em dobro."))
    assert response.status_code == 200
    assert Ticket.objects.count() == 0

    run_tasks()

    ticket = Ticket.objects.get()
    entry = ticket.timeline.get(kind="message")
    assert ticket.channel == Channel.SOCIAL
    assert ticket.team == whatsapp.team
    assert entry.body == "A minha fatura veio em dobro."
    assert entry.external_id == "whatsapp:wamid.in1"
    assert entry.data["provider"] == "whatsapp"
    assert entry.data["conversation"] == "351912345678"
    assert ticket.customer.name == "Maria Sousa"
    assert Identity.objects.get(customer=ticket.customer).value == "+351912345678"
    assert SocialEvent.objects.get().state == EventState.TAKEN


@time_machine.travel(NOW, tick=False)
def test_the_next_message_of_the_conversation_joins_the_same_ticket(
    webhook, client, whatsapp, run_tasks
):
    webhook(whatsapp, payloads.whatsapp_text("Olá", message_id="wamid.a"))
    run_tasks()
    webhook(whatsapp, payloads.whatsapp_text("Ainda aí?", message_id="wamid.b"))
    run_tasks()

    ticket = Ticket.objects.get()
    assert list(ticket.timeline.filter(kind="message").values_list("body", flat=True)) == [
        "Olá",
        "Ainda aí?",
    ]


def test_the_same_event_twice_makes_one_message(webhook, client, whatsapp, run_tasks):
    body = payloads.whatsapp_text("Só uma vez")

    assert webhook(whatsapp, body).status_code == 200
    assert webhook(whatsapp, body).status_code == 200
    run_tasks()

    assert SocialEvent.objects.count() == 1
    assert TimelineEntry.objects.filter(kind="message").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_event_at_the_same_moment_makes_one_message(whatsapp, run_tasks):
    body = b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {"messages": [{"from": "351912345678", "id": "wamid.twice", "type": "text", "text": {"body": "Duas vezes"}}]}}]}]}'
    start = threading.Barrier(4)
    stored = []

    def deliver() -> None:
        start.wait()
        try:
            stored.extend(record(account=whatsapp, body=body))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run_tasks()

    assert len(stored) == 1
    assert SocialEvent.objects.count() == 1
    assert TimelineEntry.objects.filter(kind="message").count() == 1


@pytest.mark.parametrize("provider", ["whatsapp", "messenger", "telegram", "x_account"])
def test_a_bad_or_missing_signature_is_refused_and_nothing_is_kept(
    webhook, client, provider, request, run_tasks
):
    account = request.getfixturevalue(provider)
    body = {"object": "page", "update_id": 1, "for_user_id": "1"}
    forged = {
        "X-Hub-Signature-256": "sha256=" + "0" * 64,
        "x-twitter-webhooks-signature": "sha256=AAAA",
        "X-Telegram-Bot-Api-Secret-Token": "guessed",
    }

    assert webhook(account, body, headers={}).status_code == 401
    assert webhook(account, body, headers=forged).status_code == 401

    assert SocialEvent.objects.count() == 0
    assert run_tasks() == 0


def test_an_unknown_webhook_address_is_not_found(webhook, client, whatsapp):
    assert (
        client.post(
            "/social/webhooks/nothing-here/", b"{}", content_type="application/json"
        ).status_code
        == 404
    )


@time_machine.travel(NOW, tick=False)
def test_an_image_is_fetched_from_the_provider_and_attached(
    webhook, client, whatsapp, run_tasks, fake_provider
):
    image = {
        "id": "wamid.img",
        "type": "image",
        "image": {"id": "65463453", "mime_type": "image/jpeg", "caption": "O contador"},
    }
    webhook(whatsapp, payloads.whatsapp_body(messages=[image]))
    run_tasks()

    entry = TimelineEntry.objects.get(kind="message")
    attachment = Attachment.objects.get(entry=entry)
    assert entry.body == "O contador"
    assert attachment.blob.content.read() == MEDIA
    assert attachment.content_type == "image/jpeg"
    assert [call.path for call in fake_provider.calls] == [
        "/whatsapp/v21.0/65463453",
        "/media/65463453",
    ]
    assert fake_provider.problems == []


@time_machine.travel(NOW, tick=False)
def test_a_file_that_cannot_be_fetched_stays_a_reference_the_agent_sees(
    webhook, client, whatsapp, run_tasks, fake_provider, agent
):
    fake_provider.missing_media = True
    document = {
        "id": "wamid.doc",
        "type": "document",
        "document": {"id": "991", "filename": "contrato.pdf", "mime_type": "application/pdf"},
    }
    webhook(whatsapp, payloads.whatsapp_body(messages=[document]))
    run_tasks()

    entry = TimelineEntry.objects.get(kind="message")
    assert entry.attachments.count() == 0
    assert entry.data["pending_media"] == [
        {"kind": "document", "reference": "991", "error": "HTTP 404: media not found"}
    ]
    assert "a document that could not be fetched from WhatsApp yet" in entry.body
    assert "Reference: 991" in entry.body
    client.force_login(agent)
    page = client.get(f"/tickets/{entry.ticket_id}/").content.decode()
    assert "Reference: 991" in page


@time_machine.travel(NOW, tick=False)
def test_a_location_is_written_with_its_coordinates_and_a_map_link(
    webhook, client, whatsapp, run_tasks
):
    place = {
        "id": "wamid.loc",
        "type": "location",
        "location": {"latitude": 38.7223, "longitude": -9.1393, "name": "Loja Baixa"},
    }
    webhook(whatsapp, payloads.whatsapp_body(messages=[place]))
    run_tasks()

    body = TimelineEntry.objects.get(kind="message").body
    assert body == (
        "Location: 38.7223, -9.1393 Loja Baixa\n\n"
        "https://www.openstreetmap.org/?mlat=38.7223&mlon=-9.1393"
    )


@time_machine.travel(NOW, tick=False)
def test_a_telegram_photo_is_fetched_through_get_file(
    webhook, client, telegram, run_tasks, fake_provider
):
    update = payloads.telegram_text("")
    del update["message"]["text"]
    update["message"]["photo"] = [
        {"file_id": "small", "width": 90, "height": 90},
        {"file_id": "large", "width": 900, "height": 900},
    ]
    webhook(telegram, update)
    run_tasks()

    entry = TimelineEntry.objects.get(kind="message")
    assert entry.attachments.get().blob.content.read() == MEDIA
    assert entry.body == "The customer sent an image by Telegram."
    assert fake_provider.calls[0].query == {"file_id": ["large"]}
    assert Identity.objects.get().value == "telegram:111111"
    assert entry.ticket.customer.name == "Ioana Popescu"


@time_machine.travel(NOW, tick=False)
def test_messenger_and_x_customers_are_known_by_their_network_id(
    webhook, client, messenger, x_account, run_tasks
):
    webhook(messenger, payloads.messenger_text("Hello from Messenger"))
    webhook(x_account, payloads.x_dm("Hello from X"))
    run_tasks()

    values = set(Identity.objects.filter(kind=IdentityKind.SOCIAL).values_list("value", flat=True))
    assert values == {"messenger:1739141089378194", "x:1205290247124217856"}
    assert (
        Customer.objects.get(identities__value="x:1205290247124217856").name
        == "Piotr Nowak (@pnowak)"
    )


@time_machine.travel(NOW, tick=False)
def test_after_an_agent_merges_customers_the_next_message_reaches_the_known_one(
    webhook, client, whatsapp, run_tasks, supervisor
):
    known = Customer.objects.create(name="Maria Sousa (cliente 4411)")
    webhook(whatsapp, payloads.whatsapp_text("Primeira", message_id="wamid.1"))
    run_tasks()
    by_number = Customer.objects.exclude(pk=known.pk).get()

    merge_customers(survivor_customer=known, absorbed=by_number, actor=supervisor)
    webhook(whatsapp, payloads.whatsapp_text("Segunda", message_id="wamid.2"))
    run_tasks()

    assert set(
        TimelineEntry.objects.filter(kind="message").values_list("author_customer", flat=True)
    ) == {
        by_number.pk,
        known.pk,
    }
    assert Ticket.objects.get().customer == known
    assert TimelineEntry.objects.get(body="Segunda").author_customer == known


def test_what_attenda_does_not_read_is_kept_raw_for_an_admin(
    webhook, client, whatsapp, run_tasks, admin_agent
):
    reaction = {
        "id": "wamid.r",
        "type": "reaction",
        "reaction": {"message_id": "wamid.x", "emoji": "👍"},
    }
    webhook(whatsapp, payloads.whatsapp_body(messages=[reaction]))
    webhook(whatsapp, b"this is not json")
    run_tasks()

    kept = SocialEvent.objects.filter(state=EventState.UNSUPPORTED).order_by("id")
    assert [event.kind for event in kept] == ["unsupported", "unsupported"]
    assert kept[0].payload["message"]["reaction"]["emoji"] == "👍"
    assert kept[1].payload == {"body": {"body": "this is not json"}}
    assert TimelineEntry.objects.count() == 0
    client.force_login(admin_agent)
    page = client.get("/settings/messaging/kept/").content.decode()
    assert f'href="/settings/messaging/events/{kept[0].pk}/"' in page
    assert "👍" in client.get(f"/settings/messaging/events/{kept[0].pk}/").content.decode()


def test_an_event_whose_task_was_lost_is_taken_by_the_sweep(whatsapp, run_tasks, committed):
    with time_machine.travel(NOW, tick=False) as traveller:
        # Stored, but the process stopped before queuing its task (nothing was captured).
        record(account=whatsapp, body=json.dumps(payloads.whatsapp_text("Perdida?")).encode())
        traveller.shift(timedelta(minutes=12))

        with committed():
            swept = take_forgotten_events()
        run_tasks()

    assert len(swept) == 1
    assert TimelineEntry.objects.get(kind="message").body == "Perdida?"


def test_a_body_with_a_nul_character_is_kept_as_text(webhook, whatsapp):
    body = b'{"object": "whatsapp_business_account", "note": "a\\u0000b"}'

    assert webhook(whatsapp, body).status_code == 200

    assert SocialEvent.objects.get().payload == {"body": {"body": body.decode()}}


def test_a_body_that_is_not_text_is_kept_byte_for_byte(webhook, whatsapp):
    body = b"\xff\xfe\x00 not text"

    assert webhook(whatsapp, body).status_code == 200

    assert SocialEvent.objects.get().payload == {"body": {"base64": "//4AIG5vdCB0ZXh0"}}


def test_a_webhook_is_served_without_the_agents_session_or_sign_in(
    webhook, client, whatsapp, admin_agent
):
    """An agent's browser session on the same site is neither read nor written by a webhook."""
    client.force_login(admin_agent)

    response = webhook(whatsapp, payloads.whatsapp_text("Olá", message_id="wamid.bare"))

    assert response.status_code == 200
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "user")
    assert "sessionid" not in response.cookies
    assert "Vary" not in response
    assert response["X-Content-Type-Options"] == "nosniff"
    assert SocialEvent.objects.get().event_id == "wamid.bare"


def test_the_next_webhook_of_an_account_does_not_read_the_account(webhook, whatsapp):
    webhook(whatsapp, payloads.whatsapp_text("Olá", message_id="wamid.first"))

    with CaptureQueriesContext(connection) as statements:
        webhook(whatsapp, payloads.whatsapp_text("Olá outra vez", message_id="wamid.second"))

    assert not [sql for sql in statements.captured_queries if "social_socialaccount" in sql["sql"]]
    assert SocialEvent.objects.filter(event_id="wamid.second").exists()


def test_a_secret_changed_in_another_process_is_accepted_at_once(webhook, telegram):
    webhook(telegram, payloads.telegram_text("Olá", update_id=1))
    # Another web process saves the new secret: this one is not told.
    SocialAccount.objects.filter(pk=telegram.pk).update(app_secret="the-new-secret")
    telegram.app_secret = "the-new-secret"

    response = webhook(telegram, payloads.telegram_text("Olá", update_id=2))

    assert response.status_code == 200
    assert SocialEvent.objects.count() == 2


def test_a_secret_changed_in_this_process_refuses_the_old_one_at_once(
    webhook, admin_agent, telegram
):
    webhook(telegram, payloads.telegram_text("Olá", update_id=1))
    old = {"X-Telegram-Bot-Api-Secret-Token": telegram.app_secret}
    save_account(account=telegram, actor=admin_agent, app_secret="the-new-secret")

    response = webhook(telegram, payloads.telegram_text("Olá", update_id=2), headers=old)

    assert response.status_code == 401
    assert SocialEvent.objects.count() == 1


def test_a_deactivated_account_is_not_found_at_once_in_this_process(webhook, admin_agent, telegram):
    webhook(telegram, payloads.telegram_text("Olá", update_id=1))
    save_account(account=telegram, actor=admin_agent, is_active=False)

    response = webhook(telegram, payloads.telegram_text("Olá", update_id=2))

    assert response.status_code == 404
    assert SocialEvent.objects.count() == 1


def test_a_worker_stopped_inside_receive_leaves_the_event_for_its_next_attempt(
    whatsapp, monkeypatch
):
    """The customer and the raw body are written before receive()'s transaction: an attempt that
    stops inside it leaves the event waiting, and the next one finds them instead of copying them."""
    from attenda.channels.social import inbound

    [event] = record(account=whatsapp, body=json.dumps(payloads.whatsapp_text("Olá")).encode())

    def stopped(message):
        raise RuntimeError("the worker stopped")

    monkeypatch.setattr(inbound, "receive", stopped)
    with pytest.raises(RuntimeError):
        inbound.take_event(event.pk)
    event.refresh_from_db()
    assert (event.state, event.entry) == (EventState.PENDING, None)
    assert not TimelineEntry.objects.exists()

    monkeypatch.undo()
    inbound.take_event(event.pk)

    event.refresh_from_db()
    entry = TimelineEntry.objects.get(kind="message")
    assert (event.state, event.entry) == (EventState.TAKEN, entry)
    assert Customer.objects.get() == entry.author_customer
    assert json.loads(entry.raw.content.read()) == event.payload


def test_an_event_another_worker_took_meanwhile_makes_no_second_message(whatsapp, monkeypatch):
    from attenda.channels.social import inbound

    [event] = record(account=whatsapp, body=json.dumps(payloads.whatsapp_text("Olá")).encode())
    real_identify = inbound.identify

    def taken_meanwhile(**claims):
        # Another worker takes the event after this one read it, before its transaction.
        SocialEvent.objects.filter(pk=event.pk).update(state=EventState.TAKEN)
        return real_identify(**claims)

    monkeypatch.setattr(inbound, "identify", taken_meanwhile)
    inbound.take_event(event.pk)

    assert not TimelineEntry.objects.exists()

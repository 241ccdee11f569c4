"""Admins set up messaging accounts (secrets stored, never shown back nor written to the audit
trail or the log) and answer each provider's verification handshake."""

import base64
import hashlib
import hmac
import logging

import pytest

from attenda.channels.social.models import SocialAccount
from attenda.core.models import AuditEntry
from tests.api.client import client_for

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-app-secret-4242"
TOKEN = "EAAG-very-secret-token-9999"


def _fields(**changes) -> dict:
    fields = {
        "provider": "whatsapp",
        "name": "Apoio WhatsApp",
        "external_id": "1122334455667",
        "language": "pt",
        "is_active": "on",
        "access_token": TOKEN,
        "app_secret": SECRET,
        "verify_token": "verify-me",
        "template_name": "",
        "template_language": "",
    }
    return fields | changes


def test_an_admin_adds_an_account_whose_secrets_are_never_shown_again(client, admin_agent):
    client.force_login(admin_agent)

    response = client.post("/settings/messaging/new/", _fields())

    assert response.status_code == 302
    account = SocialAccount.objects.get()
    assert (account.access_token, account.app_secret) == (TOKEN, SECRET)
    listing = client.get("/settings/messaging/").content.decode()
    form = client.get(f"/settings/messaging/{account.pk}/").content.decode()
    assert f"/social/webhooks/{account.webhook_key}/" in listing
    for page in (listing, form):
        assert TOKEN not in page
        assert SECRET not in page
    assert "A secret is stored; leave empty to keep it." in form
    audit = AuditEntry.objects.get(action="social_account.created")
    assert "access_token" in audit.data["changed"]
    assert TOKEN not in str(audit.data)


def test_an_empty_secret_keeps_the_stored_one(client, admin_agent):
    client.force_login(admin_agent)
    client.post("/settings/messaging/new/", _fields())
    account = SocialAccount.objects.get()

    client.post(
        f"/settings/messaging/{account.pk}/",
        _fields(name="Apoio", access_token="", app_secret="", verify_token=""),
    )

    account.refresh_from_db()
    assert (account.name, account.access_token, account.app_secret) == ("Apoio", TOKEN, SECRET)
    assert AuditEntry.objects.get(action="social_account.changed").data["changed"] == ["name"]


def test_only_admins_configure_messaging_accounts(client, agent):
    client.force_login(agent)

    assert client.get("/settings/messaging/").status_code == 403
    assert client.post("/settings/messaging/new/", _fields()).status_code == 403
    assert client.get("/settings/messaging/kept/").status_code == 403
    assert SocialAccount.objects.count() == 0


def test_meta_verification_echoes_the_challenge_only_for_the_right_token(
    client, whatsapp, messenger
):
    for account in (whatsapp, messenger):
        url = f"/social/webhooks/{account.webhook_key}/"
        good = {
            "hub.mode": "subscribe",
            "hub.verify_token": "verify-me",
            "hub.challenge": "1158201444",
        }

        answer = client.get(url, good)
        refused = client.get(url, good | {"hub.verify_token": "wrong"})

        assert (answer.status_code, answer.content) == (200, b"1158201444")
        assert refused.status_code == 403


def test_x_crc_answers_with_the_token_signed_by_the_consumer_secret(client, x_account):
    answer = client.get(f"/social/webhooks/{x_account.webhook_key}/", {"crc_token": "abc123"})

    digest = hmac.new(b"app-secret-of-the-test", b"abc123", hashlib.sha256).digest()
    assert answer.status_code == 200
    assert answer.json() == {"response_token": "sha256=" + base64.b64encode(digest).decode()}


def test_telegram_has_no_handshake(client, telegram):
    assert client.get(f"/social/webhooks/{telegram.webhook_key}/").status_code == 403


def test_a_refused_webhook_logs_no_secret(webhook, telegram, caplog):
    with caplog.at_level(logging.DEBUG):
        webhook(telegram, {"update_id": 1}, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})

    assert "was not signed" in caplog.text
    assert telegram.app_secret not in caplog.text
    assert telegram.access_token not in caplog.text


def test_the_api_lists_accounts_to_admins_without_their_secrets(whatsapp, admin_agent, agent):
    response = client_for(admin_agent).get("/social/accounts")

    assert response.status_code == 200
    [account] = response.json()
    assert account["provider"] == "whatsapp"
    assert account["webhook_path"] == f"/social/webhooks/{whatsapp.webhook_key}/"
    assert account["has_access_token"] is True
    assert whatsapp.access_token not in response.content.decode()
    assert whatsapp.app_secret not in response.content.decode()
    assert client_for(agent).get("/social/accounts").status_code == 403


def test_the_api_lists_kept_events_to_admins(webhook, whatsapp, admin_agent):
    webhook(whatsapp, b"not json at all")

    response = client_for(admin_agent).get("/social/kept-events", state="unsupported")

    assert response.status_code == 200
    [event] = response.json()["items"]
    assert event["payload"] == {"body": {"body": "not json at all"}}

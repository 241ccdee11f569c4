"""A messaging account of each provider, pointed at the local fake provider, and a way to post a
webhook body signed as that provider signs it."""

import base64
import hashlib
import hmac
import json

import pytest

from attenda.channels.social.models import SocialAccount
from tests.channels.social.factories import SocialAccountFactory
from tests.channels.social.fake_provider import FakeProvider, start


@pytest.fixture
def fake_provider(settings):
    fake = FakeProvider()
    server = start(fake)
    settings.SOCIAL_API_URLS = {
        "whatsapp": f"{fake.base}/whatsapp/v21.0",
        "messenger": f"{fake.base}/messenger/v21.0",
        "telegram": f"{fake.base}/telegram",
        "x": f"{fake.base}/x/2",
    }
    settings.SOCIAL_MEDIA_HOSTS = ["127.0.0.1"]
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def whatsapp(team, fake_provider):
    return SocialAccountFactory(provider="whatsapp", external_id="1122334455667", team=team)


@pytest.fixture
def telegram(team, fake_provider):
    return SocialAccountFactory(provider="telegram", external_id="777000", team=team)


@pytest.fixture
def messenger(team, fake_provider):
    return SocialAccountFactory(provider="messenger", external_id="234554838031189", team=team)


@pytest.fixture
def x_account(team, fake_provider):
    return SocialAccountFactory(provider="x", external_id="2975699229", team=team)


def signature_headers(account: SocialAccount, body: bytes) -> dict:
    secret = account.app_secret.encode()
    if account.provider in ("whatsapp", "messenger"):
        digest = hmac.new(secret, body, hashlib.sha256).hexdigest()
        return {"X-Hub-Signature-256": f"sha256={digest}"}
    if account.provider == "x":
        digest = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
        return {"x-twitter-webhooks-signature": f"sha256={digest}"}
    return {"X-Telegram-Bot-Api-Secret-Token": account.app_secret}


def post_webhook(client, account: SocialAccount, payload: object, *, headers: dict | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        f"/social/webhooks/{account.webhook_key}/",
        body,
        content_type="application/json",
        headers=signature_headers(account, body) if headers is None else headers,
    )


@pytest.fixture
def webhook(client, django_capture_on_commit_callbacks):
    """Posts a signed body as the provider would; what the request queues is queued, as after its
    commit (a test's transaction never commits)."""

    def post(account: SocialAccount, payload: object, *, headers: dict | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return post_webhook(client, account, payload, headers=headers)

    return post


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what a block queued on commit, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)

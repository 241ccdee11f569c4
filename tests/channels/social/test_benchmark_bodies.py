"""The webhook benchmark's bodies (benchmarks/social_webhook.py) are what each provider sends: they
pass the signature check, and each becomes one message of its provider."""

import pytest
from django.test import Client

from attenda.channels.social.models import EventState, SocialAccount, SocialEvent
from attenda.tickets.models import Channel, TimelineEntry
from benchmarks import social_webhook

pytestmark = pytest.mark.django_db


def test_each_providers_benchmark_body_is_signed_and_becomes_a_message(run_tasks):
    keys = social_webhook.prepare()
    client = Client()

    for number in range(8):
        provider = social_webhook.provider_of(number)
        content = social_webhook.body(number)
        headers = {
            name: value
            for name, value in social_webhook.signed(provider, content).items()
            if name != "Content-Type"
        }
        answer = client.post(
            f"/social/webhooks/{keys[provider]}/",
            content,
            content_type="application/json",
            headers=headers,
        )
        assert answer.status_code == 200, provider
    run_tasks()

    assert SocialAccount.objects.count() == 4
    assert SocialEvent.objects.filter(state=EventState.TAKEN).count() == 8
    providers = TimelineEntry.objects.filter(channel=Channel.SOCIAL).values_list(
        "data__provider", flat=True
    )
    assert sorted(providers) == sorted(social_webhook.PROVIDERS * 2)

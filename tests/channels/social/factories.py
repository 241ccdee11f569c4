import factory

from attenda.channels.social.models import SocialAccount
from tests.channels.social.fake_provider import BOT_TOKEN, TOKEN


class SocialAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialAccount

    provider = "whatsapp"
    name = factory.LazyAttribute(lambda account: f"Support on {account.provider}")
    external_id = "1122334455667"
    access_token = factory.LazyAttribute(
        lambda account: BOT_TOKEN if account.provider == "telegram" else TOKEN
    )
    app_secret = "app-secret-of-the-test"
    verify_token = "verify-me"

"""The messaging-app settings pages meet WCAG 2.1 A and AA as far as axe-core can tell, and an admin
adds an account with the keyboard alone."""

import pytest
from playwright.sync_api import expect

from attenda.channels.social.inbound import record
from attenda.channels.social.models import SocialAccount, SocialEvent
from tests.channels.social.factories import SocialAccountFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def kept_event(team):
    account = SocialAccountFactory(provider="whatsapp", team=team, name="Apoio WhatsApp")
    record(account=account, body=b'{"object": "whatsapp_business_account", "entry": []}')
    return SocialEvent.objects.get()


def test_the_messaging_pages_have_no_wcag_violations(
    page, log_in, axe_violations, admin_agent, kept_event, tmp_path
):
    log_in(admin_agent)

    for path, heading in [
        ("/settings/messaging/", "Messaging apps"),
        ("/settings/messaging/new/", "New messaging account"),
        (f"/settings/messaging/{kept_event.account_id}/", "Apoio WhatsApp"),
        ("/settings/messaging/kept/", "Messaging events kept without being read"),
        (f"/settings/messaging/events/{kept_event.pk}/", "Messaging event"),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        assert axe_violations(page) == [], path
    page.goto("/settings/messaging/")
    page.screenshot(path=str(tmp_path / "messaging.png"), full_page=True)


def test_an_admin_adds_a_telegram_bot_with_the_keyboard(page, log_in, admin_agent):
    log_in(admin_agent)
    page.goto("/settings/messaging/new/")

    page.get_by_label("Messaging app").select_option("telegram")
    page.get_by_label("Name shown to agents").fill("Bot de apoio")
    page.get_by_label("Account id at the provider").fill("777000")
    page.get_by_label("Access token").fill("123456:ABC-secret")
    page.get_by_label("App secret").fill("telegram-secret-token")
    page.get_by_label("App secret").press("Enter")

    expect(page.get_by_role("link", name="Bot de apoio")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("123456:ABC-secret")
    assert SocialAccount.objects.get().app_secret == "telegram-secret-token"

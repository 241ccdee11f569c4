"""Signing in with a second factor, and the password pages, in Debian's Chromium: they work with
the keyboard and meet WCAG 2.1 A and AA as far as axe-core can tell."""

from datetime import UTC, datetime, timedelta

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.agents.factories import PASSWORD

pytestmark = pytest.mark.browser


def current_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_an_agent_sets_up_an_authenticator_and_signs_in_with_a_code(
    page, log_in, axe_violations, agent, time_machine
):
    log_in(agent)
    page.get_by_role("link", name="Password").click()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Second factor (authenticator app)").click()

    expect(
        page.get_by_role("img", name="QR code with the key for your authenticator app")
    ).to_be_visible()
    assert axe_violations(page) == []
    device = TOTPDevice.objects.get(user=agent)
    page.get_by_label("Code").fill(current_code(device))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Log out").click()

    # A code is taken once: the next sign-in gives the app's next one.
    time_machine.move_to(datetime.now(UTC) + timedelta(seconds=31), tick=True)
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Sign-in code")).to_be_visible()
    page.get_by_label("Code").fill("000000" if current_code(device) != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("This code is not right")).to_be_visible()
    assert axe_violations(page) == []
    time_machine.move_to(datetime.now(UTC) + timedelta(seconds=2), tick=True)
    page.get_by_label("Code").fill(current_code(device))
    page.keyboard.press("Enter")

    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_the_password_reset_pages_have_no_wcag_violations(page, axe_violations, agent):
    page.goto("/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    assert axe_violations(page) == []

    page.get_by_label("Email address").fill(agent.email)
    page.get_by_role("button", name="Send the link").click()

    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    assert axe_violations(page) == []


def test_a_wrong_current_password_is_said_next_to_its_field(page, log_in, axe_violations, agent):
    log_in(agent)
    page.goto("/account/password/")

    page.get_by_label("Current password").fill("not-it")
    page.get_by_label("New password", exact=True).fill("Ceai-de-tei-2026")
    page.get_by_label("New password again").fill("Ceai-de-tei-2026")
    page.get_by_role("button", name="Change password").click()

    expect(page.get_by_text("Your old password was entered incorrectly.")).to_be_visible()
    assert axe_violations(page) == []

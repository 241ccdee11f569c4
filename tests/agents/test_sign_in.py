"""Signing in: failed attempts throttled per account and per address, sessions and tokens ended
for good by deactivation, passwords changed and reset, invitations, and the second factor."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from attenda.agents.models import Agent, ApiToken, SignInPolicy
from attenda.agents.services import agent_for_api_key, issue_api_token
from attenda.core.models import AuditEntry
from tests.agents.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Ceai-de-tei-2026"


def sign_in(client: Client, username: str, password: str, **headers):
    return client.post("/login/", {"username": username, "password": password}, **headers)


def from_address(address: str, forwarded_for: str = "") -> dict:
    headers = {"REMOTE_ADDR": address}
    if forwarded_for:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return headers


# Throttling


def test_spraying_many_usernames_from_one_address_locks_that_address(agent):
    client = Client()
    for number in range(30):
        sign_in(client, f"guess{number}", "Password1", **from_address("203.0.113.9"))

    refused = sign_in(Client(), agent.username, PASSWORD, **from_address("203.0.113.9"))
    elsewhere = sign_in(Client(), agent.username, PASSWORD, **from_address("198.51.100.4"))

    assert refused.status_code == 429
    assert elsewhere.status_code == 302


def test_one_username_tried_from_many_addresses_locks_the_account(agent):
    for number in range(6):
        sign_in(Client(), agent.username, "wrong-password", **from_address(f"203.0.113.{number}"))

    refused = sign_in(Client(), agent.username, PASSWORD, **from_address("198.51.100.4"))

    assert refused.status_code == 429
    assert "_auth_user_id" not in Client().session


def test_a_forwarded_for_header_is_ignored_when_attenda_is_not_behind_a_proxy(agent):
    for number in range(6):
        sign_in(
            Client(),
            f"guess{number}",
            "wrong-password",
            **from_address("203.0.113.9", forwarded_for=f"10.0.0.{number}"),
        )

    refused = sign_in(Client(), agent.username, PASSWORD, **from_address("203.0.113.9", "10.9.9.9"))

    assert refused.status_code == 429


def test_behind_a_proxy_the_address_the_proxy_added_is_the_one_counted(agent, settings):
    settings.BEHIND_PROXY = True
    for number in range(6):
        # The client writes what it likes first; the proxy appends the address it saw.
        sign_in(
            Client(),
            f"guess{number}",
            "wrong-password",
            **from_address("127.0.0.1", forwarded_for=f"10.0.0.{number}, 203.0.113.9"),
        )

    refused = sign_in(
        Client(), agent.username, PASSWORD, **from_address("127.0.0.1", "1.2.3.4, 203.0.113.9")
    )
    other_client = sign_in(
        Client(), agent.username, PASSWORD, **from_address("127.0.0.1", "198.51.100.4")
    )

    assert refused.status_code == 429
    assert other_client.status_code == 302


# Deactivation


def test_deactivating_an_agent_ends_their_sessions_and_tokens_for_good(
    client, admin_agent, agent, team
):
    agent_browser = Client()
    assert sign_in(agent_browser, agent.username, PASSWORD).status_code == 302
    _token, key = issue_api_token(agent=agent, name="CRM")
    client.force_login(admin_agent)
    form = {"full_name": "Ana Silva", "email": agent.email, "role": "agent", "teams": [team.pk]}

    client.post(f"/settings/agents/{agent.pk}/", form)  # is_active left out: deactivated
    client.post(f"/settings/agents/{agent.pk}/", {**form, "is_active": "on"})

    agent.refresh_from_db()
    assert agent.is_active is True
    assert agent_browser.get("/").status_code == 302
    assert agent_for_api_key(key) is None
    assert ApiToken.objects.get(agent=agent).revoked_at is not None
    assert AuditEntry.objects.filter(action="agent.access_ended", object_id=str(agent.pk)).exists()
    assert sign_in(Client(), agent.username, PASSWORD).status_code == 302


# Password change


def test_an_agent_changes_their_password_with_the_old_one(agent):
    browser = Client()
    sign_in(browser, agent.username, PASSWORD)
    other_session = Client()
    sign_in(other_session, agent.username, PASSWORD)

    wrong = browser.post(
        "/account/password/",
        {
            "old_password": "not-it",
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    changed = browser.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )

    assert wrong.context["form"].errors == {
        "old_password": ["Your old password was entered incorrectly."]
    }
    assert changed.status_code == 302
    assert browser.get("/").status_code == 200
    assert other_session.get("/").status_code == 302
    agent.refresh_from_db()
    assert agent.check_password(NEW_PASSWORD)


def test_a_weak_new_password_is_refused_with_the_rule_it_breaks(agent):
    browser = Client()
    sign_in(browser, agent.username, PASSWORD)

    response = browser.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password": "password", "new_password_again": "password"},
    )

    assert response.status_code == 200
    assert "This password is too common." in response.context["form"].errors["new_password"]
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)


# Password reset


def reset_link(mail) -> str:
    return urlsplit(re.search(r"http://\S+/password-reset/\S+/", mail.body).group(0)).path


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what a request leaves for after its commit (queueing the mail) when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_password_reset_link_works_once(agent, mailoutbox, run_tasks, committed):
    client = Client()
    with committed():
        answer = client.post("/password-reset/", {"email": agent.email.upper()})
    run_tasks()
    link = reset_link(mailoutbox[0])

    form = client.get(link)
    used = client.post(link, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    again = client.get(link)

    assert answer.headers["Location"] == "/password-reset/sent/"
    assert mailoutbox[0].to == [agent.email]
    assert "within 1 hour" in mailoutbox[0].body
    assert form.status_code == 200
    assert used.headers["Location"] == "/login/"
    assert again.status_code == 410
    assert "This link has expired or was already used." in again.content.decode()
    assert sign_in(Client(), agent.username, NEW_PASSWORD).status_code == 302


def test_a_password_reset_link_expires_after_its_lifetime(
    agent, mailoutbox, run_tasks, time_machine, committed
):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    with committed():
        Client().post("/password-reset/", {"email": agent.email})
    run_tasks()
    link = reset_link(mailoutbox[0])

    time_machine.move_to("2026-03-02 10:01Z", tick=False)
    late = Client().post(link, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})

    assert late.status_code == 410
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    agent, mailoutbox, run_tasks, committed
):
    with committed():
        known = Client().post("/password-reset/", {"email": agent.email})
        unknown = Client().post("/password-reset/", {"email": "nobody@attenda.test"})
    run_tasks()

    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    assert [mail.to for mail in mailoutbox] == [[agent.email]]


def test_a_deactivated_agent_gets_no_reset_mail(agent, mailoutbox, run_tasks, committed):
    Agent.objects.filter(pk=agent.pk).update(is_active=False)

    with committed():
        Client().post("/password-reset/", {"email": agent.email})
    run_tasks()

    assert mailoutbox == []


def test_reset_mails_to_one_address_are_limited_per_hour(agent, mailoutbox, run_tasks, committed):
    with committed():
        for _attempt in range(10):
            Client().post("/password-reset/", {"email": agent.email})
    run_tasks()

    assert len(mailoutbox) == 3


# Invitations


def invite(client, admin_agent, team, committed) -> None:
    client.force_login(admin_agent)
    with committed():
        client.post(
            "/settings/agents/new/",
            {
                "username": "ioana",
                "full_name": "Ioana Popescu",
                "email": "ioana@attenda.test",
                "role": "agent",
                "teams": [team.pk],
                "is_active": "on",
            },
        )


def invitation_link(mail) -> str:
    return urlsplit(re.search(r"http://\S+/invitation/\S+/", mail.body).group(0)).path


def test_an_invitation_link_works_once(client, admin_agent, team, mailoutbox, run_tasks, committed):
    invite(client, admin_agent, team, committed)
    run_tasks()
    link = invitation_link(mailoutbox[0])
    client.logout()

    first = client.post(link, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    second = client.post(
        link, {"new_password": "Another-one-2026", "new_password_again": "Another-one-2026"}
    )

    assert first.status_code == 302
    assert second.status_code == 410
    assert Agent.objects.get(username="ioana").check_password(NEW_PASSWORD)


def test_an_invitation_expires_after_three_days_and_an_admin_sends_a_new_one(
    client, admin_agent, team, mailoutbox, run_tasks, time_machine, committed
):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    invite(client, admin_agent, team, committed)
    run_tasks()
    old_link = invitation_link(mailoutbox[0])

    time_machine.move_to("2026-03-05 09:01Z", tick=False)
    expired = Client().get(old_link)
    ioana = Agent.objects.get(username="ioana")
    client.force_login(admin_agent)
    with committed():
        client.post(f"/settings/agents/{ioana.pk}/invite/")
    run_tasks()
    fresh = Client().post(
        invitation_link(mailoutbox[1]),
        {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )

    assert expired.status_code == 410
    assert "This invitation has expired or was already used." in expired.content.decode()
    assert "within 72 hours" in mailoutbox[0].body
    assert fresh.status_code == 302


# Second factor


def enrol(browser: Client) -> tuple[TOTPDevice, list[str]]:
    page = browser.get("/account/two-factor/")
    assert page.context["qr_code"].startswith("data:image/svg+xml")
    device = TOTPDevice.objects.get(confirmed=False)
    assert (
        page.context["manual_key"].replace(" ", "")
        == __import__("base64").b32encode(device.bin_key).decode()
    )
    confirmed = browser.post("/account/two-factor/", {"code": code_for(device)})
    return TOTPDevice.objects.get(pk=device.pk), confirmed.context["codes"]


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def test_an_agent_sets_up_an_authenticator_and_then_signs_in_with_password_and_code(
    agent, time_machine
):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    browser = Client()
    sign_in(browser, agent.username, PASSWORD)
    device, recovery_codes = enrol(browser)
    assert device.confirmed and len(recovery_codes) == 10
    time_machine.shift(timedelta(seconds=30))  # A code is taken once: the next one, then.

    later = Client()
    after_password = sign_in(later, agent.username, PASSWORD)
    still_out = later.get("/")
    wrong = later.post("/login/code/", {"code": "000000" if code_for(device) != "000000" else "1"})
    time_machine.shift(timedelta(seconds=2))  # django-otp makes a wrong code wait a second.
    signed_in = later.post("/login/code/", {"code": code_for(device)})

    assert after_password.headers["Location"] == "/login/code/"
    assert still_out.status_code == 302
    assert wrong.status_code == 200
    assert signed_in.status_code == 302
    assert later.get("/").status_code == 200


def test_a_recovery_code_signs_in_once(agent):
    browser = Client()
    sign_in(browser, agent.username, PASSWORD)
    _device, recovery_codes = enrol(browser)

    first = Client()
    sign_in(first, agent.username, PASSWORD)
    used = first.post("/login/code/", {"code": recovery_codes[0]})
    second = Client()
    sign_in(second, agent.username, PASSWORD)
    reused = second.post("/login/code/", {"code": recovery_codes[0]})

    assert used.status_code == 302
    assert reused.status_code == 200


def test_when_admins_require_a_second_factor_an_agent_without_one_must_set_it_up(
    client, admin_agent, agent
):
    client.force_login(admin_agent)
    client.post("/settings/sign-in/", {"require_two_factor": "on"})
    assert SignInPolicy.current().require_two_factor is True
    _token, key = issue_api_token(agent=agent, name="CRM")

    browser = Client()
    sign_in(browser, agent.username, PASSWORD)
    held = browser.get("/")
    enrol(browser)

    assert held.headers["Location"] == "/account/two-factor/"
    assert browser.get("/").status_code == 200
    assert (
        Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/tickets").status_code == 200
    )


def test_an_admin_removes_a_lost_second_factor(client, admin_agent, agent):
    browser = Client()
    sign_in(browser, agent.username, PASSWORD)
    enrol(browser)
    client.force_login(admin_agent)

    client.post(f"/settings/agents/{agent.pk}/reset-second-factor/")

    assert sign_in(Client(), agent.username, PASSWORD).headers["Location"] == "/"
    assert AuditEntry.objects.filter(action="agent.second_factor_reset").count() == 1


def test_an_agent_cannot_remove_someone_elses_second_factor(client, agent, colleague):
    browser = Client()
    sign_in(browser, colleague.username, PASSWORD)
    enrol(browser)
    client.force_login(agent)

    assert client.post(f"/settings/agents/{colleague.pk}/reset-second-factor/").status_code == 403
    assert TOTPDevice.objects.filter(user=colleague).exists()


def test_the_sign_in_pages_speak_the_visitors_language(agent):
    for path in ("/login/", "/password-reset/", "/password-reset/sent/"):
        page = Client(headers={"Accept-Language": "pl"}).get(path)
        assert page.status_code == 200
        assert 'lang="pl"' in page.content.decode()


@pytest.mark.parametrize("language", ["pt", "es", "ro", "pl"])
def test_the_password_pages_are_translated(agent, language):
    Agent.objects.filter(pk=agent.pk).update(language=language)
    browser = Client()
    browser.force_login(agent)

    page = browser.get("/account/password/").content.decode()

    assert "Change your password" not in page
    assert "Current password" not in page


def test_a_password_waits_five_minutes_for_its_code(agent, time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    browser = Client()
    sign_in(browser, agent.username, PASSWORD)
    device, _codes = enrol(browser)
    later = Client()
    sign_in(later, agent.username, PASSWORD)
    time_machine.shift(timedelta(minutes=6))

    late = later.post("/login/code/", {"code": code_for(device)})

    assert late.headers["Location"] == "/login/"

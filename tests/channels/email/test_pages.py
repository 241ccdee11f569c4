"""What agents and admins see of mail: the timeline's folded quote, delivery state and original
source; the mailbox settings, with passwords never shown back; held mail let through."""

import pytest

from attenda.channels.email.inbound import FLOOD_LIMIT, take_mail
from attenda.channels.email.models import InboundMail, Mailbox, MailState
from attenda.core.models import AuditEntry
from attenda.tickets.models import Ticket
from attenda.tickets.services import reply
from tests.channels.email.mail import raw_mail

pytestmark = pytest.mark.django_db

QUOTED_REPLY = (
    "Já paguei, obrigado.\n\n"
    "Em 3 de novembro de 2026, Attenda Support <support@attenda.test> escreveu:\n"
    "> Pode confirmar o pagamento?\n"
)


def test_the_timeline_folds_the_quote_and_shows_delivery_and_the_original(client, mailbox, agent):
    ticket = take_mail(mailbox, raw_mail(body=QUOTED_REPLY), source="api").mail.entry.ticket
    reply(ticket=ticket, agent=agent, body="Obrigado, está confirmado.")
    client.force_login(agent)

    page = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "<summary>Show the quoted text and signature</summary>" in page
    assert "&gt; Pode confirmar o pagamento?" in page
    assert '<span class="badge">Waiting to be sent</span>' in page
    entry = ticket.timeline.earliest("created_at")
    assert f'href="/entries/{entry.pk}/source/"' in page


def test_the_original_is_plain_text_for_those_who_may_see_the_ticket(
    client, mailbox, agent, outsider
):
    raw = raw_mail(body="<script>alert(1)</script>")
    entry = take_mail(mailbox, raw, source="api").mail.entry

    client.force_login(outsider)
    assert client.get(f"/entries/{entry.pk}/source/").status_code == 404
    client.force_login(agent)
    response = client.get(f"/entries/{entry.pk}/source/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == raw


def test_only_admins_configure_mailboxes(client, agent):
    client.force_login(agent)

    assert client.get("/settings/mailboxes/").status_code == 403
    assert client.post("/settings/mailboxes/new/", {"address": "x@y.z"}).status_code == 403


def mailbox_fields(**changes) -> dict:
    fields = {
        "address": "Vendas@Attenda.test",
        "name": "Vendas",
        "language": "es",
        "is_active": "on",
        "imap_host": "imap.attenda.test",
        "imap_port": "993",
        "imap_security": "ssl",
        "imap_user": "vendas",
        "imap_password": "s3cret-imap",
        "imap_folder": "INBOX",
        "smtp_port": "587",
        "smtp_security": "starttls",
        "smtp_password": "",
    }
    return {**fields, **changes}


def test_an_admin_adds_a_mailbox_and_its_password_is_never_shown_back(client, admin_agent):
    client.force_login(admin_agent)

    created = client.post("/settings/mailboxes/new/", mailbox_fields())
    mailbox = Mailbox.objects.get()
    page = client.get(f"/settings/mailboxes/{mailbox.pk}/").content.decode()
    kept = client.post(f"/settings/mailboxes/{mailbox.pk}/", mailbox_fields(imap_password=""))

    assert created.status_code == 302
    assert kept.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.address == "vendas@attenda.test"
    assert mailbox.imap_password == "s3cret-imap"
    assert "s3cret-imap" not in page
    assert "A password is stored; leave empty to keep it." in page
    audit = AuditEntry.objects.filter(action__startswith="mailbox.").order_by("id")
    assert [entry.action for entry in audit] == ["mailbox.created", "mailbox.changed"]
    assert "s3cret-imap" not in str([entry.data for entry in audit])


def test_a_mailbox_form_with_mistakes_says_what_is_wrong(client, admin_agent, mailbox):
    client.force_login(admin_agent)

    response = client.post(
        "/settings/mailboxes/new/", mailbox_fields(address=mailbox.address, imap_port="x")
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a whole number." in page
    assert Mailbox.objects.count() == 1


def test_an_admin_lets_held_mail_through(client, admin_agent, mailbox):
    for number in range(FLOOD_LIMIT + 1):
        take_mail(mailbox, raw_mail(subject=f"Message {number}"), source="api")
    held = InboundMail.objects.get(state=MailState.HELD)
    client.force_login(admin_agent)
    assert "Message 30" in client.get("/settings/mailboxes/").content.decode()

    client.post(f"/settings/mail/{held.pk}/let-through/")

    held.refresh_from_db()
    assert held.state == MailState.TAKEN
    assert held.entry is not None
    assert Ticket.objects.count() == FLOOD_LIMIT + 1


HTML_MAIL = (
    b"From: Maria <maria@example.com>\r\nTo: support@attenda.test\r\nSubject: Foto\r\n"
    b"Message-ID: <html1@example.com>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/related; boundary="r"\r\n\r\n'
    b"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p onclick="steal()">Veja <b>a foto</b>:</p><img src="cid:foto1@example.com">'
    b'<img src="https://tracker.example/pixel.gif"><script>alert(1)</script>\r\n'
    b"--r\r\nContent-Type: image/png\r\nContent-ID: <foto1@example.com>\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--r--\r\n"
)


def test_html_mail_is_shown_as_sent_without_scripts_or_remote_images(client, mailbox, agent):
    mail = take_mail(mailbox, HTML_MAIL, source="api").mail
    client.force_login(agent)

    shown = client.get(f"/mail/{mail.pk}/")
    with_images = client.get(f"/mail/{mail.pk}/", {"images": "remote"}).content.decode()
    image = client.get(f"/mail/{mail.pk}/parts/0/")

    page = shown.content.decode()
    assert "<b>a foto</b>" in page
    assert "<script" not in page and "onclick" not in page
    assert ' src="https://tracker.example/pixel.gif"' not in page
    assert f'src="/mail/{mail.pk}/parts/0/"' in page
    assert "img-src 'self';" in shown["Content-Security-Policy"]
    assert "sandbox" in shown["Content-Security-Policy"]
    assert ' src="https://tracker.example/pixel.gif"' in with_images
    assert image["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


def test_mail_as_sent_is_only_for_those_who_may_see_its_ticket(client, mailbox, outsider):
    mail = take_mail(mailbox, HTML_MAIL, source="api").mail
    client.force_login(outsider)

    assert client.get(f"/mail/{mail.pk}/").status_code == 404
    assert client.get(f"/mail/{mail.pk}/parts/0/").status_code == 404

"""Automatic mail is recognised so that Attenda never acknowledges a robot."""

from email.parser import BytesParser
from email.policy import compat32

import pytest

from attenda.channels.email.automatic import automatic_reason
from tests.corpus import corpus_path

PERSON = {
    "From": "Maria Silva <maria.silva@cliente.example>",
    "To": "support@attenda.example",
    "Subject": "Refund for order 4411",
    "Return-Path": "<maria.silva@cliente.example>",
}


def _headers(path) -> dict[str, str]:
    message = BytesParser(policy=compat32).parsebytes(path.read_bytes(), headersonly=True)
    return dict(message.items())


def test_a_persons_mail_is_not_automatic():
    assert automatic_reason(PERSON) is None


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto-submitted"),
        ({"Auto-Submitted": "auto-generated (failure)"}, "auto-submitted"),
        ({"auto-submitted": "Auto-Notified"}, "auto-submitted"),
        ({"Precedence": "bulk"}, "precedence"),
        ({"Precedence": "junk"}, "precedence"),
        ({"Precedence": "auto_reply"}, "precedence"),
        ({"X-Autoreply": "yes"}, "x-autoreply"),
        ({"X-Autorespond": "Out of office"}, "x-autorespond"),
        ({"X-Auto-Response-Suppress": "All"}, "auto-response-suppress"),
        ({"X-Auto-Response-Suppress": "DR, OOF, AutoReply"}, "auto-response-suppress"),
        ({"X-Loop": "yes"}, "x-loop"),
        ({"List-Id": "Clientes <clientes.lists.example>"}, "list"),
        ({"List-Unsubscribe": "<mailto:leave@news.example>"}, "list"),
        ({"Return-Path": "<>"}, "mailer-daemon"),
        ({"From": "MAILER-DAEMON@mx.example"}, "mailer-daemon"),
        ({"From": "Mail Delivery Subsystem <daemon@mx.example>"}, "mailer-daemon"),
        ({"Subject": "Automatic reply: Refund for order 4411"}, "subject"),
        ({"Subject": "Resposta automática: Reembolso"}, "subject"),
        ({"Subject": "Respuesta automática: Reembolso"}, "subject"),
        ({"Subject": "Răspuns automat: Rambursare"}, "subject"),
        ({"Subject": "Odpowiedź automatyczna: Zwrot"}, "subject"),
        ({"Subject": "=?utf-8?q?Resposta_autom=C3=A1tica=3A_Reembolso?="}, "subject"),
    ],
)
def test_automatic_mail_says_why(extra, reason):
    assert automatic_reason({**PERSON, **extra}) == reason


@pytest.mark.parametrize(
    "extra",
    [
        {"Auto-Submitted": "no"},
        {"X-Auto-Response-Suppress": "DR, RN, NRN"},
        {"Precedence": "first-class"},
        {"Subject": "Re: automatic reply from your shop did not arrive"},
        {"X-Loop": "someone-else@other.example"},
    ],
)
def test_harmless_headers_on_a_persons_mail_do_not_make_it_automatic(extra):
    assert automatic_reason({**PERSON, **extra}) is None


def test_our_own_mail_coming_back_is_a_loop():
    headers = {**PERSON, "X-Loop": "Support <Support@attenda.example>"}

    assert automatic_reason(headers) is None
    assert automatic_reason(headers, own_addresses=["support@attenda.example"]) == "x-loop"


def test_mail_through_our_own_google_group_is_a_persons_mail():
    headers = {
        **PERSON,
        "List-Id": "<support.attenda.example>",
        "List-Post": "<mailto:support@attenda.example>",
        "Precedence": "list",
    }

    assert automatic_reason(headers) == "precedence"
    assert automatic_reason(headers, own_addresses=["support@attenda.example"]) is None


def test_a_parsed_message_is_accepted_as_headers():
    raw = b"From: robot@shop.example\nTo: support@attenda.example\nAuto-Submitted: auto-generated\n\nHi"
    message = BytesParser(policy=compat32).parsebytes(raw)

    assert automatic_reason(message) == "auto-submitted"


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        (("discourse", "spec", "fixtures", "emails", "auto_reply.eml"), "auto-submitted"),
        (
            ("discourse", "spec", "fixtures", "emails", "auto_generated_header.eml"),
            "auto-submitted",
        ),
        (
            ("discourse", "spec", "fixtures", "emails", "auto_generated_precedence.eml"),
            "precedence",
        ),
        (("sisimai-set-of-emails", "maildir", "bsd", "rfc3834-01.eml"), "auto-submitted"),
        (("sisimai-set-of-emails", "maildir", "bsd", "rfc3834-02.eml"), "auto-response-suppress"),
        (("sisimai-set-of-emails", "maildir", "bsd", "rfc3834-03.eml"), "subject"),
        (("sisimai-set-of-emails", "maildir", "bsd", "rfc3834-04.eml"), "auto-response-suppress"),
        (("sisimai-set-of-emails", "maildir", "bsd", "rfc3834-05.eml"), "auto-submitted"),
    ],
)
def test_auto_replies_in_the_corpus_are_recognised(parts, reason):
    assert automatic_reason(_headers(corpus_path("email", *parts))) == reason


@pytest.mark.parametrize(
    "parts",
    [
        ("chatwoot", "spec", "fixtures", "files", "only_text.eml"),
        ("chatwoot", "spec", "fixtures", "files", "mail_with_quote.eml"),
        ("discourse", "spec", "fixtures", "emails", "hebrew_reply.eml"),
        ("discourse", "spec", "fixtures", "emails", "forwarded_email_1.eml"),
        ("django-helpdesk", "tests", "test_files", "quoted_printable.eml"),
    ],
)
def test_peoples_mail_in_the_corpus_is_not_automatic(parts):
    assert automatic_reason(_headers(corpus_path("email", *parts))) is None

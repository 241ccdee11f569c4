"""What an agent sees of a customer's reply: the new text, with history and signature folded.

The samples in replies/ are ours: replies in pt, es, ro, pl, en, de and fr laid out as Gmail,
Outlook, Thunderbird and Apple Mail lay them out. ``X.txt`` is the message, ``X.new.txt`` the
text the agent must see and, where given, ``X.signature.txt`` the signature that folds away.
"""

import random
import time
from collections import Counter
from pathlib import Path

import pytest

from attenda.channels.email.quoting import ReplyText, split_reply, split_reply_html

REPLIES = Path(__file__).parent / "replies"
SAMPLES = sorted(
    p.name.removesuffix(".txt") for p in REPLIES.glob("*.txt") if p.name.count(".") == 1
)


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def lines_of(*parts: str) -> Counter[str]:
    return Counter(
        line.strip()
        for part in parts
        for line in part.replace("\r", "\n").split("\n")
        if line.strip()
    )


def test_there_are_samples_in_every_language():
    assert {name[:2] for name in SAMPLES} == {"pt", "es", "ro", "pl", "en", "de", "fr"}


@pytest.mark.parametrize("name", SAMPLES)
def test_it_shows_what_the_customer_wrote_now(name):
    # given
    text = read(REPLIES / f"{name}.txt")
    # when
    reply = split_reply(text)
    # then
    assert reply.new == read(REPLIES / f"{name}.new.txt").strip("\n")
    signature = REPLIES / f"{name}.signature.txt"
    if signature.exists():
        assert reply.signature == read(signature).strip("\n")
    assert lines_of(reply.new, reply.quoted, reply.signature, reply.header) == lines_of(text)


def test_it_folds_the_history_from_the_reply_header_on():
    reply = split_reply(
        "Sigo sin luz.\n\nEl mar, 11 mar 2025 a las 8:00, Averías <averias@luz.es> escribió:\n"
        "> ¿Sigue sin suministro?\n"
    )

    assert reply == ReplyText(
        new="Sigo sin luz.",
        quoted="El mar, 11 mar 2025 a las 8:00, Averías <averias@luz.es> escribió:\n"
        "> ¿Sigue sin suministro?",
    )


def test_a_forward_with_nothing_above_it_is_the_message():
    reply = split_reply(
        "-----Mesaj redirecționat-----\nDe la: Bancă <alerte@banca.ro>\n"
        "Trimis: 10 martie 2025 08:00\nSubiect: Plată respinsă\n\nPlata a fost respinsă.\n"
    )

    assert reply.new == "Plata a fost respinsă."
    assert reply.header.startswith("-----Mesaj redirecționat-----")
    assert reply.quoted == ""


def test_a_forward_under_the_customers_words_folds():
    reply = split_reply(
        "Vejam o email abaixo.\n\n---------- Mensagem encaminhada ---------\n"
        "De: Loja <loja@exemplo.pt>\nDate: seg., 10 de mar. de 2025\nSubject: Encomenda\n\n"
        "A sua encomenda foi cancelada.\n"
    )

    assert reply.new == "Vejam o email abaixo."
    assert "A sua encomenda foi cancelada." in reply.quoted


def test_an_answer_between_the_quotes_keeps_them_as_context():
    reply = split_reply(
        "On Mon, 10 Mar 2025 at 09:00, Support <help@isp.com> wrote:\n> Router model?\n\n"
        "Archer C6.\n\n> Cable replaced?\n\nYes.\n\n> Regards,\n> Support\n"
    )

    assert reply.new == "> Router model?\n\nArcher C6.\n\n> Cable replaced?\n\nYes."
    assert reply.quoted == (
        "On Mon, 10 Mar 2025 at 09:00, Support <help@isp.com> wrote:\n> Regards,\n> Support"
    )


def test_a_message_that_is_only_a_quote_is_shown():
    assert split_reply("> The part of your letter I dispute.").new == (
        "> The part of your letter I dispute."
    )


def test_a_closing_with_a_name_folds_but_thanks_alone_stays():
    assert split_reply("Proszę o kontakt.\n\nPozdrawiam,\nJan").signature == "Pozdrawiam,\nJan"
    assert split_reply("Please call me.\n\nThanks,\nAna").new == "Please call me.\n\nThanks,\nAna"


def test_thanks_signed_with_the_senders_name_folds():
    reply = split_reply("Please call me.\n\nThanks,\nAna", sender="Ana Costa <ana@example.pt>")

    assert reply == ReplyText(new="Please call me.", signature="Thanks,\nAna")


def test_the_senders_name_over_contact_lines_is_a_signature():
    reply = split_reply(
        "The invoice is attached.\n\nAna Costa\nAcme Lda\n+351 912 345 678", sender="Ana Costa"
    )

    assert reply.new == "The invoice is attached."
    assert reply.signature == "Ana Costa\nAcme Lda\n+351 912 345 678"


def test_a_lone_closing_is_not_a_signature():
    assert split_reply("Send the technician tomorrow.\n\nBest regards").new == (
        "Send the technician tomorrow.\n\nBest regards"
    )


def test_a_message_that_is_only_a_signature_is_still_shown():
    assert split_reply("Sent from my iPhone") == ReplyText(new="Sent from my iPhone")


def test_phrases_that_only_look_like_headers_stay():
    text = (
        "On the surface this looks fine.\n"
        "On average it works.\n\n"
        "I wrote this on 5 May 2024 and nobody answered:\n"
        "the meter was replaced without notice.\n"
    )

    assert split_reply(text).new == text.strip()


def test_a_rule_between_paragraphs_is_not_a_signature_but_one_over_a_footer_is():
    text = "The bill is too high.\n\n*****\n\nAnd the engineer never came, we waited all day."
    signed = "The bill is too high.\n\n______\nAna Costa\nAcme Lda, Lisboa"
    disclaimer = "See you.\n\n______\nThis message is confidential and meant for its recipient."

    assert split_reply(text).new == text
    assert split_reply(signed).signature == "______\nAna Costa\nAcme Lda, Lisboa"
    assert split_reply(disclaimer).new == "See you."


def test_a_quote_after_leading_blank_lines_and_an_answer_stays():
    assert split_reply("\n\n> Your meter reads 1234.\n\nIt reads 1243.").new == (
        "> Your meter reads 1234.\n\nIt reads 1243."
    )


def test_a_heading_underline_is_not_a_separator():
    text = "Summary\n-------\n\nThe bill is wrong.\n\n====\n\nStill wrong."

    assert split_reply(text).new.startswith("Summary\n-------\n\nThe bill is wrong.")


def test_html_quotes_and_outlook_boxes_fold():
    gmail = (
        '<div dir="ltr">Olá,<div>o técnico não apareceu.</div></div><br>'
        '<div class="gmail_quote"><div dir="ltr">Em seg., 10 de mar. de 2025 às 09:00, '
        "Apoio &lt;apoio@op.pt&gt; escreveu:<br></div>"
        '<blockquote class="gmail_quote">Confirmamos a visita.</blockquote></div>'
    )
    outlook = (
        "<p>Je conteste la facture.</p>"
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt">'
        "<p><b>De&nbsp;:</b> Service &lt;s@op.fr&gt;<br><b>Envoyé&nbsp;:</b> lundi 10 mars 2025"
        "<br><b>Objet&nbsp;:</b> Facture</p></div><p>Votre facture est disponible.</p>"
    )

    assert split_reply_html(gmail).new == "Olá,\no técnico não apareceu."
    assert split_reply_html(outlook).new == "Je conteste la facture."
    assert "Votre facture est disponible." in split_reply_html(outlook).quoted


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n\n",
        "   ",
        "-- ",
        ">",
        "> \n>\n",
        "On Mon, 1 Jan 2024, a@b.c wrote:",
        "From: a@b.c\nSubject: x",
        "```\nunclosed fence",
        "\r\r\r",
        "\x00\x01\x02",
        "Regards,",
        "ᐧ",
    ],
)
def test_it_never_raises_and_loses_nothing(text):
    reply = split_reply(text)

    assert lines_of(reply.new, reply.quoted, reply.signature, reply.header) == lines_of(text)


def test_random_text_never_raises_and_loses_nothing():
    pieces = [
        "On Mon, 1 Jan 2024 at 10:00, Ana <a@b.pt> wrote:",
        "> quoted",
        "-- ",
        "",
        "text",
        "From: x@y.z",
        "Sent: today",
        "Subject: s",
        "Regards,",
        "Ana",
        "Sent from my iPhone",
        "________",
        "```",
        "Em 1 de jan. de 2024, Ana escreveu:",
        "> > deep",
        "W dniu 1.01.2024",
        "a scris:",
        "<b>html</b>",
        "+351 912 345 678",
        "www.example.com",
        "-Ana",
    ]
    rng = random.Random(20250311)
    for _ in range(300):
        text = "\n".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        reply = split_reply(text)
        assert lines_of(reply.new, reply.quoted, reply.signature, reply.header) == lines_of(text)
        split_reply_html(text)


MEGABYTE = 1_000_000

LONG_REPLIES = {
    "a long quoted thread": "Thanks!\n\nOn Mon, 10 Mar 2025 at 09:00, Ana <a@b.pt> wrote:\n"
    + "> a line of the quoted history\n" * (MEGABYTE // 31),
    "one line without breaks": "x" * MEGABYTE,
    "spaces after a verb": "wrote" + " " * MEGABYTE + "x",
    "a quote mark and spaces": ">" + " " * MEGABYTE + "x",
    "lines ending with colons": "a:\n" * (MEGABYTE // 3),
    "header labels": "From: x@y.z\nTo: y\n" * (MEGABYTE // 18),
    "quotes between answers": "text\n\n> quote\n\n" * (MEGABYTE // 15),
    "reply headers": "On 1 May 2024, Ana <a@b.c> wrote:\n" * (MEGABYTE // 35),
    "signature delimiters": "-- \n" * (MEGABYTE // 4),
    "closings": "Regards,\nJohn\n" * (MEGABYTE // 14),
    "nested quote marks": ">" * MEGABYTE,
}


@pytest.mark.parametrize("shape", LONG_REPLIES)
def test_a_megabyte_reply_is_split_quickly(shape):
    """A guard against patterns that backtrack without end (ReDoS), not a speed measurement: a
    linear split takes about a second of CPU, a quadratic one minutes. CPU time, so that a
    busy machine does not fail it."""
    text = LONG_REPLIES[shape]
    started = time.process_time()

    split_reply(text)

    assert time.process_time() - started < 5


def test_a_megabyte_html_reply_is_split_quickly():
    html = "<div>" + "<blockquote>quoted</blockquote><p>text</p>" * (MEGABYTE // 44) + "</div>"
    started = time.process_time()

    split_reply_html(html)

    assert time.process_time() - started < 5

"""The email parser on small handmade messages, one real-world encoding case each."""

import base64
import codecs
import random
import struct
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone

from attenda.channels.email.parsing import Address, MimePart, parse_message


def _mail(*headers: str, body: str | bytes = "Hello\n", linesep: str = "\n") -> bytes:
    head = linesep.join(headers).encode("utf-8")
    content = body.encode("utf-8") if isinstance(body, str) else body
    return head + linesep.encode() * 2 + content


# --- headers and addresses ----------------------------------------------------------------------


def test_it_reads_the_envelope_of_a_plain_mail():
    raw = _mail(
        'From: "Ana Sousa" <ana@example.pt>',
        "To: Support <support@example.com>, bob@example.com",
        "Cc: Carla <carla@example.com>",
        "Reply-To: replies@example.pt",
        "Subject: Fatura em atraso",
        "Date: Tue, 02 Jul 2024 10:15:00 +0100",
        "Message-ID: <abc@example.pt>",
        "In-Reply-To: <parent@example.com>",
        "References: <root@example.com>\n <parent@example.com>",
        body="Bom dia,\nA minha fatura.\n",
        linesep="\r\n",
    )

    parsed = parse_message(raw)

    assert parsed.sender == Address(name="Ana Sousa", address="ana@example.pt")
    assert parsed.to == [
        Address(name="Support", address="support@example.com"),
        Address(name="", address="bob@example.com"),
    ]
    assert parsed.cc == [Address(name="Carla", address="carla@example.com")]
    assert parsed.reply_to == [Address(name="", address="replies@example.pt")]
    assert parsed.subject == "Fatura em atraso"
    assert parsed.date == datetime(2024, 7, 2, 10, 15, tzinfo=timezone(timedelta(hours=1)))
    assert parsed.message_id == "abc@example.pt"
    assert parsed.in_reply_to == ["parent@example.com"]
    assert parsed.references == ["root@example.com", "parent@example.com"]
    assert parsed.text == "Bom dia,\nA minha fatura."
    assert parsed.html == ""
    assert parsed.problems == []


def test_it_keeps_the_headers_a_later_stage_needs_by_lower_case_name():
    raw = _mail(
        "From: robot@example.com",
        "Auto-Submitted: auto-replied",
        "Precedence: bulk",
        "X-Autoreply: yes",
        "List-Id: =?utf-8?q?Clientes_=C3=A0_espera?= <clients.example.com>",
        "Return-Path: <bounces@example.com>",
    )

    headers = parse_message(raw).headers

    assert headers["auto-submitted"] == "auto-replied"
    assert headers["precedence"] == "bulk"
    assert headers["x-autoreply"] == "yes"
    assert headers["list-id"] == "Clientes à espera <clients.example.com>"
    assert headers["return-path"] == "<bounces@example.com>"


def test_it_decodes_encoded_words_joined_across_words_and_charsets():
    raw = _mail(
        "From: =?Windows-1252?Q?Hans_B=C4KO?= =?iso-8859-15?q?Sch=F6nland?= <me@example.de>",
        "Subject: =?utf-8?B?QVc6IEFuZnJhZ2UgRWluZsO8aHJ1bmcv?=\n =?utf-8?Q?Pr=C3=A4sentation?=",
    )

    parsed = parse_message(raw)

    assert parsed.sender == Address(name="Hans BÄKOSchönland", address="me@example.de")
    assert parsed.subject == "AW: Anfrage Einführung/Präsentation"


def test_it_decodes_a_character_split_between_two_encoded_words():
    # "ção" in UTF-8 is c3 a7 c3 a3 6f; the first word ends in the middle of "ã".
    raw = _mail("From: a@example.pt", "Subject: =?utf-8?B?w6fD?= =?utf-8?B?o28=?=")

    assert parse_message(raw).subject == "ção"


def test_it_decodes_malformed_encoded_words():
    raw = _mail(
        "From: a@example.com",
        "Subject: Re:=?utf-8?q?Ol=C3=A1 mundo?= and =?utf-8*pt?B?YWRldXM?=",
    )

    assert parse_message(raw).subject == "Re:Olá mundo and adeus"


def test_it_decodes_an_encoded_word_inside_a_quoted_display_name():
    raw = _mail('From: "=?ISO-2022-JP?B?GyRCO3ZMMzZJGyhC==?="\n <noreply@example.org>')

    assert parse_message(raw).sender == Address(name="事務局", address="noreply@example.org")


def test_it_reads_a_comment_as_the_name_and_keeps_it_as_comment():
    raw = _mail("From: marc.smith@example.com (Marc Smith)")

    assert parse_message(raw).sender == Address(
        name="Marc Smith", address="marc.smith@example.com", comment="Marc Smith"
    )


def test_it_never_decodes_encoded_words_in_an_address():
    raw = _mail("From: =?utf-8?Q?admin=40bank.example?=@attacker.example")

    assert parse_message(raw).sender == Address(
        name="", address="=?utf-8?Q?admin=40bank.example?=@attacker.example"
    )


def test_it_reads_groups_and_skips_mailboxes_without_an_address():
    raw = _mail(
        "From: a@example.com",
        'To: undisclosed-recipients:;, "Nobody" <>, team: x@example.com, y@example.com;',
        "Cc: Recipients",
    )

    parsed = parse_message(raw)

    assert [item.address for item in parsed.to] == ["x@example.com", "y@example.com"]
    assert parsed.cc == []


def test_it_reads_a_comma_inside_an_encoded_display_name():
    raw = _mail("From: =?iso-8859-1?Q?B=FCrling,=20Andreas?= <smith@example.com>")

    assert parse_message(raw).sender == Address(
        name="Bürling, Andreas", address="smith@example.com"
    )


def test_it_reads_raw_utf8_headers():
    raw = _mail("From: Ups Rémi <r@example.com>", "Subject: Olá, ação")

    parsed = parse_message(raw)

    assert parsed.sender == Address(name="Ups Rémi", address="r@example.com")
    assert parsed.subject == "Olá, ação"
    assert parsed.problems == []


def test_it_reads_raw_8bit_headers_in_the_charset_the_body_declares():
    raw = (
        b"From: a@example.cn\nSubject: "
        + "绩效管理".encode("gb2312")
        + b"\nContent-Type: text/plain; charset=gb2312\n\nbody\n"
    )

    parsed = parse_message(raw)

    assert parsed.subject == "绩效管理"
    assert parsed.problems == ["header subject has raw 8-bit bytes; read as gb18030"]


def test_it_reads_a_mail_with_many_from_addresses_using_the_first_with_a_domain():
    raw = _mail("From: [??????]", "From: =?utf-8?B?6YO955C5?= <ghgbwum@example.cn>")

    assert parse_message(raw).sender == Address(name="都琹", address="ghgbwum@example.cn")


def test_a_mail_without_from_has_no_sender_and_says_so():
    parsed = parse_message(_mail("To: support@example.com", "Subject: anonymous"))

    assert parsed.sender is None
    assert parsed.subject == "anonymous"
    assert "the message has no readable From address" in parsed.problems


def test_a_date_without_zone_is_utc_and_a_broken_date_is_a_problem():
    without_zone = parse_message(_mail("From: a@b.example", "Date: 2 Jul 2024 10:15:00"))
    broken = parse_message(_mail("From: a@b.example", "Date: sometime last week"))

    assert without_zone.date == datetime(2024, 7, 2, 10, 15, tzinfo=UTC)
    assert broken.date is None
    assert "unreadable Date header 'sometime last week'" in broken.problems


def test_it_repairs_long_headers_wrapped_without_indentation():
    raw = _mail(
        "From: a@example.com",
        "X-Tracker: H4sIAAAAAAAAA",
        "Ig5drOCwmrVzP5sDoseXbDeYAxij",
        "Content-Type: multipart/alternative;",
        'boundary="b1"',
        "Subject: folded",
        body="--b1\nContent-Type: text/plain\n\nsome text\n--b1--\n",
    )

    parsed = parse_message(raw)

    assert parsed.subject == "folded"
    assert parsed.text == "some text"


def test_it_skips_a_mbox_from_line_and_a_banner_before_the_headers():
    raw = b"From a@example.com Wed Apr 19 20:56:33 2017\n---- Original message ----\n" + _mail(
        "From: a@example.com", "Subject: forwarded raw"
    )

    parsed = parse_message(raw)

    assert parsed.sender == Address(name="", address="a@example.com")
    assert parsed.subject == "forwarded raw"


# --- never failing ------------------------------------------------------------------------------


def test_an_empty_input_gives_an_empty_mail_with_a_problem():
    parsed = parse_message(b"")

    assert parsed.sender is None
    assert parsed.text == ""
    assert parsed.parts == []
    assert "the message has no headers" in parsed.problems


def test_garbage_bytes_give_whatever_could_be_read():
    garbage = bytes(range(256)) * 64 + b"\x00\xff\r\r\n--\n=?x?Q?\n" * 100

    parsed = parse_message(garbage)

    assert parsed.sender is None
    assert parsed.problems != []


def test_other_input_types_are_accepted():
    assert parse_message(bytearray(_mail("From: a@b.example"))).sender is not None
    assert parse_message("From: a@b.example\n\nhi").text == "hi"


# --- charsets -----------------------------------------------------------------------------------


def _text_mail(charset: str, body: bytes, encoding: str = "8bit") -> bytes:
    return _mail(
        "From: a@example.com",
        f"Content-Type: text/plain; charset={charset}",
        f"Content-Transfer-Encoding: {encoding}",
        body=body,
    )


def test_it_reads_windows_and_iso_charsets():
    polish = parse_message(_text_mail("windows-1250", "Dzień dobry, proszę".encode("cp1250")))
    romanian = parse_message(
        _text_mail('"iso-8859-16"', "Bună ziua, mulțumesc".encode("iso8859_16"))
    )
    russian = parse_message(_text_mail("cp-1251", "Сергей".encode("cp1251")))

    assert polish.text == "Dzień dobry, proszę"
    assert romanian.text == "Bună ziua, mulțumesc"
    assert russian.text == "Сергей"
    assert polish.problems == romanian.problems == russian.problems == []


def test_it_maps_charset_aliases_real_mail_uses():
    korean = parse_message(_text_mail("ks_c_5601-1987", "안녕하세요".encode("cp949")))
    chinese = parse_message(_text_mail("gb2312", "绩效管理，究竟谁错了".encode("gb18030")))
    unknown = parse_message(_text_mail("x-unknown", "Olá".encode()))

    assert korean.text == "안녕하세요"
    assert chinese.text == "绩效管理，究竟谁错了"
    assert unknown.text == "Olá"


def test_it_reads_iso_2022_jp_with_the_nec_extensions():
    # "①" (NEC row 13) is outside JIS X 0208, so Python's iso2022_jp codec rejects it.
    jis = b'\x1b$B-!#1ET#38)$N03$H!"\x1b(B'

    parsed = parse_message(_text_mail("ISO-2022-JP", jis, "7bit"))

    assert parsed.text == "①１都３県の鯵と、"
    assert parsed.problems == []


def test_it_reads_utf7():
    parsed = parse_message(_text_mail("unicode-1-1-utf-7", b"Empf+AOQ-nger", "7bit"))

    assert parsed.text == "Empfänger"


def test_a_body_in_the_wrong_charset_is_read_and_the_guess_noted():
    parsed = parse_message(_text_mail("utf-8", "Olá, não recebi a fatura".encode("cp1252")))

    assert parsed.text == "Olá, não recebi a fatura"
    assert parsed.problems == ["the text body is not valid utf-8; shown as windows-1252"]


def test_a_latin1_label_on_utf8_text_reads_it_as_utf8():
    parsed = parse_message(_text_mail("iso-8859-1", "Olá, ação".encode()))

    assert parsed.text == "Olá, ação"


def test_an_unknown_charset_falls_back_and_is_noted():
    parsed = parse_message(_text_mail("x-foo", "Olá".encode("cp1252")))

    assert parsed.text == "Olá"
    assert parsed.problems == [
        "the text body has an unknown charset 'x-foo'; shown as windows-1252"
    ]


def test_mostly_utf8_with_a_stray_latin1_byte_keeps_both():
    parsed = parse_message(_text_mail("utf-8", "ação ".encode() + "só".encode("latin-1")))

    assert parsed.text == "ação só"


def _byte_by_byte(error: UnicodeDecodeError) -> tuple[str, int]:
    return error.object[error.start : error.end].decode("cp1252", "replace"), error.end


codecs.register_error("test-byte-by-byte-cp1252", _byte_by_byte)


def test_mixed_utf8_and_windows_1252_reads_as_each_byte_would_alone():
    """The bytes that are not UTF-8 are read a run at a time, with the same text as one by one."""
    pieces = [
        "ação ".encode(),
        "só, até já".encode("cp1252"),
        b"\xe2\x82",
        b"\xed\xa0\x80",
        b"\x81\x8d",
    ]
    pieces += ["€ ☃ 𝄞".encode(), b"\xf0\x9f", b"\xc3", b"plain ", "½ ü".encode("latin-1")]
    chooser = random.Random(7)
    for _ in range(200):
        body = (
            b"".join(chooser.choice(pieces) for _ in range(chooser.randint(1, 12))) + "é".encode()
        )

        parsed = parse_message(_text_mail("utf-8", body))

        assert parsed.text == body.decode("utf-8", "test-byte-by-byte-cp1252")


# --- transfer encodings -------------------------------------------------------------------------


def test_it_decodes_quoted_printable_and_base64():
    quoted = parse_message(
        _text_mail("utf-8", b"Ol=C3=A1, isto =\r\n=C3=A9 longo", "quoted-printable")
    )
    encoded = parse_message(_text_mail("utf-8", base64.encodebytes("Olá".encode()), "base64"))

    assert quoted.text == "Olá, isto é longo"
    assert encoded.text == "Olá"


def test_it_decodes_broken_base64():
    padded_lines = b"aGVsbG8=\naGk=\n"
    missing_padding = b"aGVsbG8\n"

    assert parse_message(_text_mail("utf-8", padded_lines, "base64")).text == "hellohi"
    assert parse_message(_text_mail("utf-8", missing_padding, "base64")).text == "hello"


def test_an_x_uuencode_part_becomes_an_attachment():
    raw = _mail(
        "From: a@example.com",
        'Content-Type: multipart/mixed; boundary="b"',
        body=(
            "--b\nContent-Type: text/plain\n\nSee the file.\n"
            '--b\nContent-Type: application/msword; name="notes.txt"\n'
            "Content-Transfer-Encoding: x-uuencode\n\n"
            "begin 644 notes.txt\n,2&5L;&\\@6F%M;6%D\n`\nend\n--b--\n"
        ),
    )

    parsed = parse_message(raw)

    assert parsed.text == "See the file."
    assert [(part.filename, part.content) for part in parsed.parts] == [
        ("notes.txt", b"Hello Zammad")
    ]


def test_a_uuencoded_block_in_the_text_becomes_an_attachment():
    body = "Report attached.\n\nbegin 644 report.csv\n,2&5L;&\\@6F%M;6%D\n`\nend\n\nRegards\n"

    parsed = parse_message(_mail("From: a@example.com", body=body))

    assert parsed.text == "Report attached.\n\nRegards"
    assert [(part.filename, part.content_type, part.content) for part in parsed.parts] == [
        ("report.csv", "text/csv", b"Hello Zammad")
    ]


# --- structure ----------------------------------------------------------------------------------

_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_an_html_only_mail_is_sanitised_and_gives_its_text():
    html = (
        "<html><head><title>Promo</title><style>p{color:red}</style></head>"
        '<body onload="steal()"><p>Olá <b>Ana</b></p><script>alert(1)</script>'
        '<img src="https://tracker.example/pixel.gif" alt="logo">'
        '<a href="javascript:alert(1)">link</a></body></html>'
    )

    parsed = parse_message(
        _mail("From: a@example.com", "Content-Type: text/html; charset=utf-8", body=html)
    )

    assert parsed.text == "Olá Ana\nlink"
    assert "<script" not in parsed.html
    assert "onload" not in parsed.html
    assert "javascript" not in parsed.html
    assert "Promo" not in parsed.html
    assert 'data-remote-src="https://tracker.example/pixel.gif"' in parsed.html
    assert " src=" not in parsed.html
    assert parsed.original_html == html


def test_alternative_parts_give_the_plain_text_and_the_html():
    raw = _mail(
        "From: a@example.com",
        'Content-Type: multipart/alternative; boundary="alt"',
        body=(
            "--alt\nContent-Type: text/plain; charset=utf-8\n\nOlá *Ana*\n"
            "--alt\nContent-Type: text/html; charset=utf-8\n\n<p>Olá <b>Ana</b></p>\n"
            "--alt--\n"
        ),
    )

    parsed = parse_message(raw)

    assert parsed.text == "Olá *Ana*"
    assert parsed.html == "<p>Olá <b>Ana</b></p>"


def test_related_images_are_inline_parts_the_html_refers_to_by_cid():
    png = base64.encodebytes(_PNG).decode()
    raw = _mail(
        "From: a@example.com",
        'Content-Type: multipart/related; boundary="rel"',
        body=(
            '--rel\nContent-Type: text/html\n\n<p>Logo: <img src="cid:logo@example"></p>\n'
            "--rel\nContent-Type: image/png\nContent-ID: <logo@example>\n"
            f"Content-Transfer-Encoding: base64\n\n{png}--rel--\n"
        ),
    )

    parsed = parse_message(raw)

    assert '<img src="cid:logo@example">' in parsed.html
    assert parsed.parts[0].content == _PNG
    assert parsed.parts[0].content_id == "logo@example"
    assert parsed.parts[0].inline is True
    assert parsed.parts[0].filename == "image.png"


def test_attachments_keep_rfc2231_and_rfc2047_file_names():
    raw = _mail(
        "From: a@example.com",
        'Content-Type: multipart/mixed; boundary="mix"',
        body=(
            "--mix\nContent-Type: text/plain\n\nSee attached.\n"
            "--mix\nContent-Type: application/pdf\n"
            "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC%20fatura.pdf\n"
            "Content-Transfer-Encoding: base64\n\nJVBERi0x\n"
            "--mix\nContent-Type: application/octet-stream\nContent-Disposition: attachment;\n"
            " filename*0*=iso-8859-1''Rela%E7%E3o%20de;\n filename*1=\" contas.xls\"\n\nxls\n"
            '--mix\nContent-Type: image/jpeg; name="=?utf-8?B?ZmF0dXJhIG7CuiAyLmpwZw==?="\n\n'
            "jpg\n--mix--\n"
        ),
    )

    parsed = parse_message(raw)

    assert parsed.text == "See attached."
    assert [(part.filename, part.content_type, part.content) for part in parsed.parts] == [
        ("€ fatura.pdf", "application/pdf", b"%PDF-1"),
        ("Relação de contas.xls", "application/octet-stream", b"xls"),
        ("fatura nº 2.jpg", "image/jpeg", b"jpg"),
    ]


def test_text_parts_around_an_inline_image_are_all_in_the_body():
    raw = _mail(
        "From: a@example.com",
        'Content-Type: multipart/mixed; boundary="m"',
        body=(
            "--m\nContent-Type: text/plain\n\nBefore the picture.\n"
            "--m\nContent-Type: image/png\nContent-Disposition: inline; filename=a.png\n\npng\n"
            "--m\nContent-Type: text/plain\n\nAfter the picture.\n--m--\n"
        ),
    )

    parsed = parse_message(raw)

    assert parsed.text == "Before the picture.\n\nAfter the picture."
    assert [part.filename for part in parsed.parts] == ["a.png"]


def test_a_forwarded_mail_is_kept_as_an_eml_attachment():
    forwarded = "From: b@example.com\nSubject: Original question\n\nHow much?"
    raw = _mail(
        "From: a@example.com",
        'Content-Type: multipart/mixed; boundary="fw"',
        body=(
            "--fw\nContent-Type: text/plain\n\nSee below.\n"
            f"--fw\nContent-Type: message/rfc822\n\n{forwarded}\n--fw--\n"
        ),
    )

    parsed = parse_message(raw)

    assert parsed.text == "See below."
    assert parsed.parts[0].filename == "Original question.eml"
    assert parsed.parts[0].content_type == "message/rfc822"
    assert parsed.parts[0].content == forwarded.encode()


def test_a_calendar_invite_is_kept_as_invite_ics():
    invite = "BEGIN:VCALENDAR\nMETHOD:REQUEST\nEND:VCALENDAR"
    raw = _mail(
        "From: a@example.com",
        'Content-Type: multipart/alternative; boundary="cal"',
        body=(
            "--cal\nContent-Type: text/plain\n\nMeeting on Monday\n"
            f"--cal\nContent-Type: text/calendar; method=REQUEST\n\n{invite}\n--cal--\n"
        ),
    )

    parsed = parse_message(raw)

    assert parsed.text == "Meeting on Monday"
    assert [(part.filename, part.content) for part in parsed.parts] == [
        ("invite.ics", invite.encode())
    ]


def test_a_multipart_signed_mail_gives_its_content_and_keeps_the_signature():
    raw = _mail(
        "From: a@example.com",
        'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary="s"',
        body=(
            "--s\nContent-Type: text/plain\n\nSigned words.\n"
            "--s\nContent-Type: application/pkcs7-signature; name=smime.p7s\n"
            "Content-Transfer-Encoding: base64\n\nMIIBAA==\n--s--\n"
        ),
    )

    parsed = parse_message(raw)

    assert parsed.text == "Signed words."
    assert [(part.filename, part.content) for part in parsed.parts] == [
        ("smime.p7s", b"0\x82\x01\x00")
    ]


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


_SIGNED_DATA = _der(0x06, bytes.fromhex("2a864886f70d010702"))
_DATA = _der(0x06, bytes.fromhex("2a864886f70d010701"))


def _opaque_mail(p7m: bytes, smime_type: str = "signed-data") -> bytes:
    return _mail(
        "From: a@example.com",
        f"Content-Type: application/pkcs7-mime; smime-type={smime_type}; name=smime.p7m",
        "Content-Transfer-Encoding: base64",
        body=base64.encodebytes(p7m),
    )


def test_an_opaque_smime_signature_is_unwrapped():
    inner = b"Content-Type: text/plain; charset=utf-8\r\n\r\nAssinado: ol\xc3\xa1\r\n"
    encapsulated = _der(0x30, _DATA + _der(0xA0, _der(0x04, inner)))
    signed = _der(0x30, _der(0x02, b"\x01") + _der(0x31, b"") + encapsulated + _der(0x31, b""))
    p7m = _der(0x30, _SIGNED_DATA + _der(0xA0, signed))

    parsed = parse_message(_opaque_mail(p7m))

    assert parsed.text == "Assinado: olá"
    assert [part.filename for part in parsed.parts] == ["smime.p7m"]
    assert parsed.problems == []


def test_an_opaque_signature_in_indefinite_length_ber_is_unwrapped():
    inner = b"Content-Type: text/plain\n\nchunked"
    chunks = b"\x24\x80" + _der(0x04, inner[:10]) + _der(0x04, inner[10:]) + b"\x00\x00"
    encapsulated = b"\x30\x80" + _DATA + b"\xa0\x80" + chunks + b"\x00\x00\x00\x00"
    signed = b"\x30\x80" + _der(0x02, b"\x01") + _der(0x31, b"") + encapsulated + b"\x00\x00"
    p7m = b"\x30\x80" + _SIGNED_DATA + b"\xa0\x80" + signed + b"\x00\x00\x00\x00"

    assert parse_message(_opaque_mail(p7m)).text == "chunked"


def test_an_encrypted_smime_mail_is_kept_with_a_problem():
    enveloped = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010703")) + _der(0xA0, b""))

    parsed = parse_message(_opaque_mail(enveloped, "enveloped-data"))

    assert [part.content for part in parsed.parts] == [enveloped]
    assert parsed.problems == ["S/MIME content (enveloped-data) cannot be read; kept as attachment"]


def _tnef_attribute(level: int, attribute_id: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, attribute_id, len(data)) + data + struct.pack("<H", checksum)


def test_winmail_dat_gives_its_files_and_body():
    tnef = (
        struct.pack("<IH", 0x223E9F78, 1)
        + _tnef_attribute(1, 0x00089006, struct.pack("<I", 0x00010000))
        + _tnef_attribute(1, 0x0002800C, b"Corpo da mensagem\x00")
        + _tnef_attribute(2, 0x00069002, b"\x00" * 14)
        + _tnef_attribute(2, 0x00018010, b"contrato.pdf\x00")
        + _tnef_attribute(2, 0x0006800F, b"%PDF-1.4 contract")
    )
    raw = _mail(
        "From: a@example.com",
        'Content-Type: multipart/mixed; boundary="w"',
        body=(
            "--w\nContent-Type: application/ms-tnef; name=winmail.dat\n"
            f"Content-Transfer-Encoding: base64\n\n{base64.encodebytes(tnef).decode()}--w--\n"
        ),
    )

    parsed = parse_message(raw)

    assert parsed.text == "Corpo da mensagem"
    assert [(part.filename, part.content_type, part.content) for part in parsed.parts] == [
        ("contrato.pdf", "application/pdf", b"%PDF-1.4 contract")
    ]


def test_an_unreadable_winmail_dat_is_kept_as_it_is():
    raw = _mail(
        "From: a@example.com",
        "Content-Type: application/ms-tnef; name=winmail.dat",
        body="not tnef at all",
    )

    parsed = parse_message(raw)

    assert [(part.filename, part.content) for part in parsed.parts] == [
        ("winmail.dat", b"not tnef at all")
    ]
    assert parsed.problems[0].startswith("winmail.dat could not be read")


def test_a_multipart_without_boundary_lines_is_read_as_text():
    raw = _mail(
        "From: a@example.com",
        'Content-Type: multipart/mixed; boundary="never-used"',
        body="Just text after all.\n",
    )

    parsed = parse_message(raw)

    assert parsed.text == "Just text after all."
    assert parsed.problems == ["a multipart/mixed part has no parts; read as text"]


def test_format_flowed_text_is_joined_again():
    raw = _mail(
        "From: a@example.com",
        "Content-Type: text/plain; charset=utf-8; format=flowed",
        body="This line was \nwrapped by the sender.\n> quoted and \n> wrapped\n-- \nsig\n",
    )

    assert parse_message(raw).text == (
        "This line was wrapped by the sender.\n> quoted and wrapped\n-- \nsig"
    )


# --- memory -------------------------------------------------------------------------------------


def test_a_25_mb_attachment_parses_within_bounded_memory():
    payload = bytes(range(256)) * (25 * 1024 * 1024 // 256)
    raw = _mail(
        "From: a@example.com",
        'Content-Type: multipart/mixed; boundary="big"',
        body=(
            b"--big\nContent-Type: text/plain\n\nLarge file attached.\n"
            b"--big\nContent-Type: application/octet-stream; name=big.bin\n"
            b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(payload) + b"--big--\n"
        ),
    )

    tracemalloc.start()
    parsed = parse_message(raw)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert parsed.parts[0].content == payload
    assert peak < 200 * 1024 * 1024


def test_5000_recipients_parse_within_bounded_memory():
    recipients = ",\n ".join(f'"Cliente {n}" <cliente{n}@example.com>' for n in range(5000))
    raw = _mail("From: a@example.com", f"To: {recipients}", f"Cc: {recipients}")

    tracemalloc.start()
    parsed = parse_message(raw)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert len(parsed.to) == len(parsed.cc) == 5000
    assert parsed.to[4999] == Address(name="Cliente 4999", address="cliente4999@example.com")
    assert peak < 200 * 1024 * 1024


def test_control_characters_from_broken_encoded_words_stay_out_of_one_line_fields():
    raw = _mail(
        "From: =?utf-8?Q?Ana=0CSousa=1B?= (=?utf-8?Q?Loja=07?=) <ana@example.pt>",
        "To: =?utf-8?Q?Apoio=1B[2J?= <apoio@example.com>",
        "Subject: =?us-ascii?Q?Fatura=1B$B=0D=0AX-Injected:_yes=C2=9B?=",
        'Content-Type: application/pdf; name="=?utf-8?Q?fatura=1B=C2=85.pdf?="',
        body=b"%PDF-1.4",
    )

    parsed = parse_message(raw)

    assert parsed.subject == "Fatura $B X-Injected: yes "
    assert parsed.sender == Address(name="Ana Sousa", address="ana@example.pt", comment="Loja")
    assert parsed.to[0].name == "Apoio [2J"
    assert parsed.parts[0].filename == "fatura.pdf"


def test_a_mime_part_gives_its_headers_parts_and_attached_message():
    attached = base64.b64encode(b"From: maria@example.com\r\nMessage-ID: <a@b>\r\n\r\nOla\r\n")
    raw = (
        b"From: Mail Delivery System\r\n <mailer-daemon@example.com>\r\n"
        b"To: a@example.com\r\nTo: b@example.com\r\n"
        b'Content-Type: multipart/report; boundary="X"\r\n\r\n'
        b"--X\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nN=E3o entregue\r\n"
        b"--X\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + attached
        + b"\r\n--X--\r\n"
    )

    message = MimePart.read(raw)
    text, returned = message.parts()

    assert message.content_type == "multipart/report"
    assert message.header("from") == "Mail Delivery System <mailer-daemon@example.com>"
    assert message.headers("To") == ["a@example.com", "b@example.com"]
    assert (text.content_type, text.charset, text.body()) == (
        "text/plain",
        "iso-8859-1",
        b"N\xe3o entregue",
    )
    assert returned.attached().header("Message-ID") == "<a@b>"
    assert text.parts() is None

"""The parser against Zammad's own expectations for 115 real mails (corpus/email/zammad, see
SOURCES.md). Zammad prints addresses the way the Ruby ``mail`` gem formats them, so ours are
formatted to that shape before comparing; bodies are compared as whitespace-collapsed text."""

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from attenda.channels.email.html import html_to_text
from attenda.channels.email.parsing import Address, ParsedMail, parse_message
from tests.corpus import corpus_path

HEADER_FIELDS = ("from", "from_email", "from_display_name", "to", "cc", "subject")

# (mail, field): why Zammad's value is not what a correct parser gives. Zammad shows the raw
# header when the Ruby mail gem fails to parse it, and has a few behaviours of its own.
EXCLUDED = {
    ("mail006", "to"): "malformed 'Name (address)'; Zammad shows the raw header, we read the "
    "address out of the comment",
    ("mail075", "to"): "same header as mail006",
    ("mail019", "from"): 'the null address "我" <> has no mailbox; Zammad shows the raw header',
    ("mail059", "from"): "one of the two From mailboxes is <>; Zammad shows the raw header",
    ("mail065", "from"): "the mail gem splits =?iso-8859-1?Q?B=FCrling,=20Andreas?= at its comma; "
    "we decode it to 'Bürling, Andreas'",
    ("mail065", "from_display_name"): "same as mail065 from",
    ("mail076", "from"): 'From is "Millions Lottery Spain transfer"@example.com> with a stray >; '
    "Zammad keeps the raw text, we read the quoted local part",
    ("mail076", "from_email"): "same as mail076 from",
    ("mail076", "from_display_name"): "same as mail076 from: Zammad makes a name out of the "
    "address",
    ("mail087", "from"): "From is 'Test test@example.com'; Zammad keeps the raw text, we read "
    "name 'Test' and address test@example.com",
    ("mail087", "from_email"): "same as mail087 from",
    ("mail087", "from_display_name"): "same as mail087 from",
    ("mail093", "from"): "upper-case ISO-2022-JP encoded words go through NKF in Zammad, which "
    "prints the raw header without quoting the name",
    ("mail093", "to"): "same as mail093 from",
    ("mail027", "subject"): "the subject's encoded word starts with CR LF, which Zammad keeps; a "
    "one-line field gets a space instead",
    ("mail018", "subject"): "Zammad leaves the UTF-7 text +ANw- of the encoded word undecoded; we "
    "read 'Ü'",
    ("mail037", "to"): "the display name has unquoted [ ], which RFC 5322 forbids; Zammad shows "
    "the raw header",
    ("mail046", "from"): "raw 8-bit GB2312 name; Zammad's charset detector guessed ISO-8859-2 "
    "('ÎäŔźłÉ'), we read it with the GB2312 the message declares",
    ("mail046", "from_display_name"): "same as mail046 from",
    ("mail071", "from"): "the address has spaces; Zammad shows the raw header",
    ("mail117", "from"): "RFC 2047 section 5 forbids encoded words in an address; Zammad decodes "
    "them, we keep the address as written so it cannot be spoofed",
    ("mail117", "from_email"): "same as mail117 from",
    ("mail118", "from"): "same as mail117 from",
    ("mail118", "from_email"): "same as mail117 from",
    ("mail046", "attachment"): "an 8bit message/rfc822 part: Zammad keeps its CRLF but turns CRLF "
    "into LF in 7bit parts; RFC 2045 makes both line-oriented text, so we store LF for both",
    ("mail069", "attachment"): "same as mail046 attachment",
    ("mail085", "attachment"): "Apple Mail's body in two HTML parts: Zammad shows the first and "
    "stores the second as a file; we show both in order, as mail clients do",
    ("mail087", "attachment"): "a text part without Content-Type (text/plain by RFC 2045) after a "
    "PDF: Zammad stores it as a file and shows no body; we show it as the body",
    ("mail018", "body"): "UTF-7 body: Zammad shows +APw- undecoded",
    ("mail025", "body"): "a 'begin 644' uuencoded file in the text: Zammad shows the encoded lines "
    "as the body besides extracting the file; we only extract it, as mail clients do",
    ("mail054", "body"): "headers folded without indentation hide the boundary from Zammad, which "
    "shows no body; we repair the folding and read it",
    ("mail072", "body"): "windows-1258 body: Zammad reads it as ISO-8859-2 ('ŕ' for 'à')",
    ("mail105", "body"): "multipart/mixed without any boundary line: Zammad shows no body, we read "
    "the body as text",
}


class _RubyLoader(yaml.SafeLoader):
    """Zammad's YAML is a Ruby Psych dump: its hash tag is a plain mapping, !binary is base64."""


_RubyLoader.add_constructor(
    "!ruby/hash:ActiveSupport::HashWithIndifferentAccess",
    lambda loader, node: loader.construct_mapping(node, deep=True),
)
_RubyLoader.add_constructor(
    "!binary", lambda loader, node: base64.b64decode(loader.construct_scalar(node))
)

_PHRASE_UNSAFE = re.compile(r'[()<>\[\]:;@\\,."\x00-\x1f\x7f-\U0010ffff]')


def _phrase(name: str) -> str:
    """The mail gem quotes a display name holding a special or any non-ASCII character."""
    if not _PHRASE_UNSAFE.search(name):
        return name
    return '"' + re.sub(r'(["\\])', r"\\\1", name) + '"'


def _zammad_address(address: Address) -> str:
    if address.comment and address.name == address.comment:
        return f"{address.address} ({address.comment})"
    shown = f"{_phrase(address.name)} <{address.address}>" if address.name else address.address
    return f"{shown} ({address.comment})" if address.comment else shown


def _zammad_list(addresses: list[Address]) -> str:
    return ", ".join(_zammad_address(address) for address in addresses)


def _zammad_fields(parsed: ParsedMail) -> dict[str, str]:
    # Zammad takes the sender from Reply-To when From has no usable mailbox.
    author = parsed.sender or next(iter(parsed.reply_to), None)
    display_name = author.name if author else ""
    return {
        "from": _zammad_list(parsed.from_addresses),
        "from_email": author.address if author else "",
        "from_display_name": re.sub(r"^'|'$", "", display_name.replace('"', "").strip()),
        "to": _zammad_list(parsed.to),
        "cc": _zammad_list(parsed.cc),
        "reply-to": _zammad_list(parsed.reply_to),
        "subject": parsed.subject,
    }


# Zammad's placeholder for a mail without a body.
_NO_BODY = "no visible content"
# HTML 4 and HTML 5 resolve &lang; and &rang; to different code points.
_ANGLE_BRACKETS = str.maketrans({"\u2329": "\u27e8", "\u232a": "\u27e9"})
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _collapsed(text: str) -> str:
    return " ".join(text.translate(_ANGLE_BRACKETS).split())


def _expected_body(expected: dict) -> str:
    body = expected["body"] if expected["body"] != _NO_BODY else ""
    return _collapsed(html_to_text(body) if expected["content_type"] == "text/html" else body)


def _our_body(parsed: ParsedMail, expected: dict) -> str:
    if expected["content_type"] != "text/html" or not parsed.html:
        return _collapsed(parsed.text)
    # Zammad keeps the text of the HTML <title> as the first line of the body; a browser (and
    # our sanitiser) does not show it, so it is put back for the comparison.
    title = _TITLE.search(parsed.original_html)
    shown = html_to_text(parsed.html)
    return _collapsed(f"{html_to_text(title.group(1))} {shown}" if title else shown)


def _md5(data: str | bytes) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.md5(raw, usedforsecurity=False).hexdigest()


@dataclass
class _Score:
    passed: int = 0
    total: int = 0

    def count(self, ok: bool) -> None:
        self.passed += ok
        self.total += 1


def _pairs() -> list[tuple[str, Path, dict]]:
    root = corpus_path("email", "zammad")
    pairs = []
    for folder in ("test-data-mail", "upstream-newer"):
        for expected in sorted((root / folder).glob("*.yml")):
            with expected.open(encoding="utf-8") as stream:
                data = yaml.load(stream, Loader=_RubyLoader)  # noqa: S506 (a SafeLoader subclass)
            pairs.append((expected.stem, expected.with_suffix(".box"), data))
    return pairs


def test_zammad_expectations_hold_for_every_pair():
    pairs = _pairs()
    scores = {name: _Score() for name in (*HEADER_FIELDS, "reply-to", "body", "attachments")}
    alternatives = _Score()
    raw_body = _Score()
    failures: list[str] = []

    for mail, box, expected in pairs:
        key = mail.split("-")[0]
        parsed = parse_message(box.read_bytes())
        ours = _zammad_fields(parsed)
        for name in (*HEADER_FIELDS, "reply-to"):
            if name not in expected and name in ("cc", "reply-to", "from"):
                continue
            if (key, name) in EXCLUDED:
                continue
            ok = ours[name] == (expected.get(name) or "")
            scores[name].count(ok)
            if not ok:
                failures.append(f"{mail} {name}: {ours[name]!r} != {expected.get(name)!r}")

        body = _our_body(parsed, expected) == _expected_body(expected)
        raw_body.count(body)
        if (key, "body") not in EXCLUDED:
            scores["body"].count(body)
        if not body:
            failures.append(f"{mail} body")

        found = {_md5(part.content) for part in parsed.parts}
        for attachment in expected.get("attachments") or []:
            if (attachment.get("preferences") or {}).get("content-alternative"):
                # Zammad keeps the HTML body itself as "message.html"; we give it as original_html.
                alternatives.count(_md5(attachment["data"]) == _md5(parsed.original_html))
                continue
            if (key, "attachment") in EXCLUDED:
                continue
            ok = _md5(attachment["data"]) in found
            scores["attachments"].count(ok)
            if not ok:
                failures.append(f"{mail} attachment {attachment['filename']!r} not found")

    for name, score in scores.items():
        print(f"zammad {name}: {score.passed}/{score.total}")  # noqa: T201
    print(f"zammad body before exclusions: {raw_body.passed}/{raw_body.total}")  # noqa: T201
    print(f"zammad html body kept as original_html: {alternatives.passed}/{alternatives.total}")  # noqa: T201
    print(f"zammad exclusions: {len(EXCLUDED)}")  # noqa: T201
    print("\n".join(failures))  # noqa: T201

    assert len(pairs) == 115
    for name in (*HEADER_FIELDS, "attachments"):
        assert scores[name].passed == scores[name].total, name
    assert scores["body"].passed >= 0.95 * scores["body"].total

"""Turns one raw RFC 822 message, however broken, into a ParsedMail: addresses, subject, plain
text, sanitised HTML and attachments. It never raises; what it cannot read is listed in
``problems`` and the raw bytes stay with the caller.

MIME is split on byte offsets into the raw message instead of with ``email.parser``: that parser
turns the whole message into ``str`` and a list of lines (about 270 MB of peak memory for a 25 MB
attachment) and re-serialises forwarded messages, so their bytes would not be the ones received.
"""

import binascii
import codecs
import contextlib
import mimetypes
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_tz
from functools import cached_property

from attenda.channels.email import budget
from attenda.channels.email.html import html_to_text, nesting_depth, sanitise_html, text_to_html
from attenda.channels.email.tnef import UnreadableWinmail, read_winmail


@dataclass(frozen=True)
class Address:
    """One mailbox. ``name`` is the display name, or the comment of ``a@b (Name)`` when there
    is no display name; ``address`` is kept as written (only stripped), never RFC 2047-decoded,
    so a crafted encoded word cannot pass for another address."""

    name: str
    address: str
    comment: str = ""


@dataclass(frozen=True)
class MailPart:
    """An attachment, or an inline part (an image the HTML shows through ``cid:``)."""

    filename: str
    content_type: str
    content: bytes
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    sender: Address | None
    reply_to: list[Address]
    to: list[Address]
    cc: list[Address]
    date: datetime | None
    text: str
    parts: list[MailPart]
    headers: dict[str, str]
    problems: list[str]
    from_addresses: list[Address] = field(default_factory=list)
    original_html: str = ""
    # Why the From header does not name one sender beyond doubt; then nobody should be answered.
    sender_doubt: str = ""

    @cached_property
    def html(self) -> str:
        """The mail's HTML sanitised for an agent to see (``mail_as_sent``), made when asked: taking
        the mail in does not need it, and for a long newsletter it cost more than the rest."""
        return sanitise_html(self.original_html) if self.original_html else ""


# --- character sets -----------------------------------------------------------------------------

_NO_CHARSET = {
    "",
    "unknown-8bit",
    "x-unknown",
    "unknown",
    "x-user-defined",
    "default",
    "auto",
    "none",
    "charset",
    "7bit",
    "8bit",
    "binary",
}
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "euc-kr": "cp949",
    "windows-949": "cp949",
    "x-windows-949": "cp949",
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "windows-936": "gb18030",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-8-e": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "iso-8859-6-e": "iso8859_6",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
}
# When a label is wrong it is usually another charset of the same script.
_FAMILIES = {
    "iso2022_jp": ("cp50220", "iso2022_jp_2", "cp932", "euc_jis_2004"),
    "cp932": ("euc_jis_2004", "iso2022_jp_ext"),
    "euc_jp": ("euc_jis_2004", "cp932", "iso2022_jp_ext"),
    "gb18030": ("big5hkscs",),
    "big5hkscs": ("gb18030",),
    "cp949": ("iso2022_kr",),
}
# Charsets that encode into ASCII bytes, so ASCII data is not necessarily ASCII text.
_SEVEN_BIT = ("iso2022", "utf_7", "hz")
_WESTERN = {"ascii", "latin_1", "iso8859_1", "cp1252"}
_WINDOWS_LABEL = re.compile(r"^(?:cp|windows|win|x-cp)[-_ ]?(\d{3,4})$")
_ISO_LABEL = re.compile(r"^iso[-_ ]?8859[-_ ]?(\d{1,2})(?:\W.*)?$")


def _codec(label: str | None) -> str | None:
    """The Python codec for a charset label as found in mail, or None when none is declared.
    Raises LookupError for a label that names no known charset."""
    if label is None:
        return None
    name = label.strip().strip("\"'").strip().lower().rstrip(";,")
    if name in _NO_CHARSET:
        return None
    name = _CHARSET_ALIASES.get(name, name)
    if match := _WINDOWS_LABEL.match(name):
        name = f"cp{match.group(1)}"
    elif match := _ISO_LABEL.match(name):
        name = f"iso8859_{match.group(1)}"
    codec = codecs.lookup(name).name
    return {"iso8859-1": "cp1252", "latin-1": "cp1252", "windows-1252": "cp1252"}.get(
        codec, codec.replace("-", "_")
    )


def _iso2022jp_as_cp932(data: bytes) -> str:
    """ISO-2022-JP as Japanese mailers really write it (CP50220): with NEC and IBM extensions
    (circled digits, roman numerals) that Python's codecs reject. Each JIS pair is moved to its
    Shift_JIS position and read as CP932, which has those extensions."""
    out = bytearray()
    double = kana = False
    position = 0
    while position < len(data):
        byte = data[position]
        if byte == 0x1B:
            sequence = data[position + 1 : position + 3]
            if sequence in (b"$@", b"$B"):
                double, kana = True, False
            elif sequence in (b"(B", b"(J", b"(H"):
                double = kana = False
            elif sequence == b"(I":
                double, kana = False, True
            else:
                raise UnicodeDecodeError("iso2022_jp", data, position, position + 1, "escape")
            position += 3
        elif byte in (0x0E, 0x0F):
            kana = byte == 0x0E
            position += 1
        elif double and 0x21 <= byte <= 0x7E and position + 1 < len(data):
            second = data[position + 1]
            lead = (byte + 1) // 2 + (0x70 if byte <= 0x5E else 0xB0)
            trail = second + (0x1F if byte % 2 else 0x7E)
            if byte % 2 and trail >= 0x7F:
                trail += 1
            out += bytes((lead, trail))
            position += 2
        else:
            out.append(byte + 0x80 if kana and 0x21 <= byte <= 0x5F else byte)
            position += 1
    return out.decode("cp932")


def _utf8_or_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Reads the bytes that are not UTF-8 as Windows-1252, up to where a UTF-8 sequence may begin
    again: one call for each run of them, not one for each byte (a Windows-1252 text with a stray
    UTF-8 character called this once a byte, 50,000 times for a 150 KB mail). No UTF-8 sequence
    begins before the next match of _UTF8_SEQUENCE, and single-byte text reads the same byte by
    byte or at once, so the text is the same."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    data = error.object
    again = _UTF8_SEQUENCE.search(data, error.end)
    end = again.start() if again else len(data)
    return data[error.start : end].decode("cp1252", "replace"), end


codecs.register_error("attenda-cp1252", _utf8_or_cp1252)
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        if codec == "cp50220":
            return _iso2022jp_as_cp932(data)
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_text(data: bytes, label: str | None, where: str, problems: list[str]) -> str:
    """``data`` as text: the declared charset, then its relatives, then UTF-8, then Windows-1252;
    any guess that may be wrong is noted in ``problems``."""
    try:
        codec = _codec(label)
        guess = None if codec else f"{where} has no charset"
    except LookupError:
        codec = None
        guess = f"{where} has an unknown charset {(label or '').strip()!r}"
    if data.isascii() and not (codec and codec.startswith(_SEVEN_BIT)):
        return data.decode("ascii")
    if codec is None or codec in _WESTERN:
        return _western(data, where, guess, problems)
    # ASCII data always "decodes" as UTF-8, which is no answer for a 7-bit charset.
    utf8 = () if data.isascii() else ("utf-8",)
    for candidate in (codec, *_FAMILIES.get(codec, ()), *utf8):
        text = _strict(data, candidate)
        if text is not None:
            if candidate not in (codec, "utf-8", "cp50220"):
                problems.append(f"{where} is not valid {codec}; shown as {candidate}")
            return text
    if codec == "utf_8":
        return _western(data, where, f"{where} is not valid utf-8", problems)
    problems.append(f"{where} has bytes that are not valid {codec}; shown as \ufffd")
    return data.decode(codec, errors="replace")


def _western(data: bytes, where: str, guess: str | None, problems: list[str]) -> str:
    """8-bit text labelled Latin-1, Windows-1252, US-ASCII or not at all (``guess`` says why we
    are guessing). Such mail is very often UTF-8 in fact: valid UTF-8 multi-byte sequences
    almost never occur by chance in Latin-1."""
    text = _strict(data, "utf-8")
    if text is not None:
        return text
    if _UTF8_SEQUENCE.search(data):
        # Mostly UTF-8 with stray single-byte characters (a footer added by a list server).
        problems.append(f"{where} mixes UTF-8 with other bytes; those shown as windows-1252")
        return data.decode("utf-8", errors="attenda-cp1252")
    text = _strict(data, "cp1252")
    if text is None:
        problems.append(f"{where} is not windows-1252; shown as latin-1")
        return data.decode("latin-1")
    if guess:
        problems.append(f"{guess}; shown as windows-1252")
    return text


# --- RFC 2047 encoded words ---------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?(.*?)\?=", re.DOTALL)
_QP_BYTE = re.compile(rb"=([0-9A-Fa-f]{2})")
# Each pair of hex digits, in either case, as the byte it names.
_HEX_PAIRS = {
    (first + second).encode(): bytes.fromhex(first + second)
    for first in "0123456789ABCDEFabcdef"
    for second in "0123456789ABCDEFabcdef"
}
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding in "bB":
        letters = _NOT_BASE64.sub("", text)
        if len(letters) % 4 == 1:
            letters = letters[:-1]
        return binascii.a2b_base64(letters + "=" * (-len(letters) % 4))
    # Split around each =XX, the hex pairs mapped in C: a 200 KB subject has 13,000 of them.
    pieces = _QP_BYTE.split(text.replace("_", " ").encode("utf-8"))
    pieces[1::2] = map(_HEX_PAIRS.__getitem__, pieces[1::2])
    return b"".join(pieces)


def decode_words(text: str, problems: list[str] | None = None) -> str:
    """``text`` with RFC 2047 encoded words decoded, leniently: words glued to other text, inside
    quoted strings, with spaces inside, or split in the middle of a character."""
    if "=?" not in text:
        return text
    out: list[str] = []
    pending = bytearray()
    pending_charset: str | None = None
    position = 0
    scratch: list[str] = [] if problems is None else problems

    def flush() -> None:
        nonlocal pending_charset
        if pending_charset is not None:
            out.append(decode_text(bytes(pending), pending_charset, "an encoded word", scratch))
            pending.clear()
            pending_charset = None

    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        if pending_charset is None or between.strip():
            flush()
            out.append(between)
        charset = match.group(1).split("*", 1)[0]
        try:
            data = _word_bytes(match.group(2), match.group(3))
        except (binascii.Error, ValueError):
            flush()
            out.append(match.group(0))
            position = match.end()
            continue
        if pending_charset is not None and charset.lower() != pending_charset.lower():
            flush()
        pending += data
        pending_charset = charset
        position = match.end()
    flush()
    out.append(text[position:])
    return "".join(out)


# --- header block -------------------------------------------------------------------------------

_LINE = re.compile(rb"[^\r\n]*(\r\n|\n|\r)?")
_HEADER_NAME = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_LINE_BREAK = re.compile(rb"\r\n|\n|\r")
_STRAY_LIMIT = 200
_LEADING_JUNK_LIMIT = 5


class _DeclaredCharsets:
    """The non-Western charsets a message declares anywhere, found only when needed: raw 8-bit
    bytes in its headers are most likely in one of them (a Chinese mail's GB2312, say)."""

    _LABEL = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE)

    def __init__(self, buffer: bytes) -> None:
        self._buffer = buffer
        self._found: tuple[str, ...] | None = None

    def __call__(self) -> tuple[str, ...]:
        if self._found is None:
            found: list[str] = []
            for number, match in enumerate(self._LABEL.finditer(self._buffer)):
                try:
                    codec = _codec(match.group(1).decode("ascii"))
                except LookupError:
                    codec = None
                if codec and codec not in _WESTERN and codec != "utf_8" and codec not in found:
                    found.append(codec)
                if number > 50:
                    break
            self._found = tuple(found)
        return self._found


def _no_charsets() -> tuple[str, ...]:
    return ()


def header_text(
    raw: bytes,
    name: str,
    problems: list[str],
    declared: Callable[[], tuple[str, ...]] = _no_charsets,
) -> str:
    """A raw header value unfolded and as text. Raw 8-bit bytes are read as UTF-8 (RFC 6532),
    else in a charset the message declares, else as Windows-1252."""
    unfolded = _LINE_BREAK.sub(b"", raw).strip()
    if unfolded.isascii():
        return unfolded.decode("ascii")
    text = _strict(unfolded, "utf-8")
    if text is not None:
        return text
    for codec in declared():
        for candidate in (codec, *_FAMILIES.get(codec, ())):
            text = _strict(unfolded, candidate)
            if text is not None:
                problems.append(f"header {name} has raw 8-bit bytes; read as {candidate}")
                return text
    problems.append(f"header {name} has 8-bit bytes that are not UTF-8; shown as windows-1252")
    return unfolded.decode("cp1252", errors="replace")


class _Entity:
    """A MIME entity as offsets into ``buffer``: its headers (raw bytes, unfolded lazily) and
    where its body starts and ends."""

    __slots__ = ("buffer", "headers", "body_start", "end", "charsets", "_type")

    def __init__(
        self,
        buffer: bytes,
        headers: list[tuple[str, bytes]],
        body_start: int,
        end: int,
        charsets: _DeclaredCharsets,
    ) -> None:
        self.buffer = buffer
        self.headers = headers
        self.body_start = body_start
        self.end = end
        self.charsets = charsets
        self._type: tuple[str, dict[str, str]] | None = None

    def raw(self, name: str) -> bytes | None:
        for header, value in self.headers:
            if header == name:
                return value
        return None

    def all_raw(self, name: str) -> list[bytes]:
        return [value for header, value in self.headers if header == name]

    def text(self, name: str, problems: list[str]) -> str:
        value = self.raw(name)
        return "" if value is None else header_text(value, name, problems, self.charsets)

    @property
    def content_type(self) -> tuple[str, dict[str, str]]:
        if self._type is None:
            scratch: list[str] = []
            value, params = _parameters(self.text("content-type", scratch))
            value = value.lower()
            if "/" not in value:
                value = "text/plain"
            self._type = value, params
        return self._type

    def override_type(self, content_type: str) -> None:
        self._type = content_type, self.content_type[1]

    def disposition(self) -> tuple[str, dict[str, str]]:
        value, params = _parameters(self.text("content-disposition", []))
        return value.lower(), params

    def transfer_encoding(self) -> str:
        value = self.text("content-transfer-encoding", []).lower().split(";")[0].strip()
        return value.strip("\"'")

    def body_view(self) -> memoryview:
        return memoryview(self.buffer)[self.body_start : self.end]


def _read_entity(
    buffer: bytes, start: int, end: int, *, top: bool, charsets: _DeclaredCharsets | None = None
) -> _Entity:
    """Reads the header block of the entity at ``buffer[start:end]``. Lines that are neither a
    header nor a continuation are folded into the header before them when more headers follow
    (mailers that wrap long values without indenting them); leading junk lines of a whole message
    (a "From " line, a forwarding banner) are skipped."""
    headers: list[tuple[str, list[bytes]]] = []
    stray: list[tuple[int, bytes]] = []
    position = start
    body_start = end
    first = True
    lines = 0
    while position < end:
        lines += 1
        if not lines % 4096:
            budget.check("reading headers")
        match = _LINE.match(buffer, position, end)
        line_end = match.end()
        if line_end == position:
            break
        terminator = len(match.group(1) or b"")
        line = buffer[position : line_end - terminator]
        if not line:
            body_start = stray[0][0] if stray else line_end
            break
        header = _HEADER_NAME.match(line)
        if first and top and (line.startswith((b"From ", b">From ")) and not header):
            pass
        elif line[:1] in (b" ", b"\t") and headers and not stray:
            headers[-1][1].append(line)
        elif header and not header.group(1).startswith(b"--"):
            if stray:
                if headers:
                    headers[-1][1].extend(b" " + text.strip() for _, text in stray)
                elif not top or len(stray) > _LEADING_JUNK_LIMIT:
                    body_start = stray[0][0]
                    break
                stray.clear()
            name = header.group(1).decode("ascii").lower()
            headers.append((name, [line[header.end() :]]))
        else:
            stray.append((position, line))
            if len(stray) > _STRAY_LIMIT or (not top and not headers):
                body_start = stray[0][0]
                break
        first = False
        position = line_end
    else:
        body_start = stray[0][0] if stray else end
    budget.count("bytes of headers", min(body_start, end) - start, budget.MAX_HEADER_BYTES)
    return _Entity(
        buffer,
        [(name, b"".join(parts)) for name, parts in headers],
        min(body_start, end),
        end,
        charsets or _DeclaredCharsets(buffer),
    )


# --- structured header values -------------------------------------------------------------------


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return pieces


def _unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:]
        # Only escaped quotes and backslashes: Windows paths in file names are often unescaped.
        return re.sub(r'\\(["\\])', r"\1", value)
    return value


def _parameters(text: str) -> tuple[str, dict[str, str]]:
    """``value; name=value; ...`` with RFC 2231 (``name*=utf-8''..``, ``name*0*=``) and RFC 2047
    encoded words in values; tolerant of missing semicolons and quotes."""
    pieces = _split_outside_quotes(text, ";")
    head = pieces[0].strip()
    if "=" in head and " " in head:
        # "text/plain charset=utf-8": a semicolon is missing.
        head, rest = head.split(None, 1)
        pieces.insert(1, rest)
    simple: dict[str, str] = {}
    extended: dict[str, dict[int, tuple[bool, str]]] = {}
    for piece in pieces[1:]:
        if "=" not in piece:
            continue
        name, value = piece.split("=", 1)
        name = name.strip().lower()
        value = _unquote(value)
        if "*" in name:
            base, _, rest = name.partition("*")
            encoded = rest.endswith("*") or rest == ""
            number = rest.rstrip("*")
            index = int(number) if number.isdigit() else 0
            extended.setdefault(base, {})[index] = (encoded, value)
        elif name and name not in simple:
            simple[name] = value
    for name, sections in extended.items():
        simple[name] = _rfc2231_value(sections)
    return head, {name: decode_words(value) for name, value in simple.items()}


def _rfc2231_value(sections: dict[int, tuple[bool, str]]) -> str:
    charset = "utf-8"
    data = bytearray()
    for index in sorted(sections):
        encoded, value = sections[index]
        if encoded:
            if index == sorted(sections)[0] and value.count("'") >= 2:
                charset, _, value = value.split("'", 2)
            data += re.sub(
                rb"%([0-9A-Fa-f]{2})",
                lambda match: bytes([int(match.group(1), 16)]),
                value.encode("utf-8"),
            )
        else:
            data += value.encode("utf-8")
    return decode_text(bytes(data), charset or "utf-8", "a file name", [])


_MESSAGE_ID = re.compile(r"<([^<>]*)>")


def _message_ids(value: str) -> list[str]:
    found = [("".join(item.split())) for item in _MESSAGE_ID.findall(value)]
    if not found:
        found = value.replace(",", " ").split()
    # A dict keeps the first of each in order at linear cost: a 1 MB References header lists
    # some 30,000 ids, and checking each against a list was quadratic (two minutes).
    return [item for item in dict.fromkeys(found) if item]


def _date(value: str, problems: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parts = parsedate_tz(value)
        if parts is None:
            raise ValueError(value)
        offset = parts[9] or 0
        zone = timezone(timedelta(seconds=offset)) if abs(offset) < 86400 else UTC
        return datetime(*parts[:6], tzinfo=zone)
    except (ValueError, OverflowError, TypeError, IndexError):
        problems.append(f"unreadable Date header {value[:80]!r}")
        return None


# --- addresses ----------------------------------------------------------------------------------

# Runs of spaces and the rest of a word in an address list, as regular expressions rather than
# character by character: a list can hold 100,000 addresses.
_SPACES = re.compile(r"[ \t\r\n]+")
_WORD = re.compile(r'[^"(),:;<> \t\r\n]*')
# Only ASCII white space is folded: U+3000 and friends are part of a name as written.
_ASCII_SPACES = re.compile(r"[ \t\r\n]+")
# C0 and C1 control characters, DEL and the Unicode line and paragraph separators: a malformed
# encoded word can decode to an ESC or a form feed, which has no place in a subject or a name.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: str) -> str:
    """``text`` fit for a one-line field (a subject, a name): each run of control characters
    (line breaks and tabs too) becomes one space; spaces stay as written."""
    return _CONTROLS.sub(" ", text)


def _address_tokens(text: str) -> list[tuple[str, str]]:
    """Tokens of an address list: q(uoted), c(omment), a(ngle), w(ord), s(eparator), space."""
    tokens: list[tuple[str, str]] = []
    position = 0
    length = len(text)
    while position < length:
        char = text[position]
        if char in " \t\r\n":
            position = _SPACES.match(text, position).end()
            if not tokens or tokens[-1][0] != " ":
                tokens.append((" ", " "))
        elif char == '"':
            end = position + 1
            chunk: list[str] = []
            while end < length and text[end] != '"':
                if text[end] == "\\" and end + 1 < length:
                    end += 1
                chunk.append(text[end])
                end += 1
            tokens.append(("q", "".join(chunk)))
            position = end + 1
        elif char == "(":
            depth = 0
            end = position
            chunk = []
            while end < length:
                if text[end] == "\\" and end + 1 < length:
                    end += 1
                elif text[end] == "(":
                    depth += 1
                    if depth == 1:
                        end += 1
                        continue
                elif text[end] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                chunk.append(text[end])
                end += 1
            tokens.append(("c", "".join(chunk)))
            position = end + 1
        elif char == "<":
            end = text.find(">", position)
            end = length if end < 0 else end
            tokens.append(("a", text[position + 1 : end]))
            position = end + 1
        elif char in ",;:":
            tokens.append(("s", char))
            position += 1
        elif char == ">" or char == ")":
            position += 1
        else:
            word = _ENCODED_WORD.match(text, position)
            end = _WORD.match(text, word.end() if word else position).end()
            tokens.append(("w", text[position:end]))
            position = end
    return tokens


def _phrase(tokens: list[tuple[str, str]]) -> str:
    text = "".join(value for kind, value in tokens if kind in "qw ")
    return _ASCII_SPACES.sub(" ", one_line(decode_words(text))).strip()


def _mailbox(tokens: list[tuple[str, str]]) -> Address | None:
    comments = [
        _ASCII_SPACES.sub(" ", one_line(decode_words(value))).strip()
        for kind, value in tokens
        if kind == "c"
    ]
    comment = next((item for item in comments if item), "")
    angles = [index for index, (kind, _) in enumerate(tokens) if kind == "a"]
    if angles:
        address = tokens[angles[-1]][1].strip()
        if address.startswith("@") and ":" in address:
            address = address.split(":", 1)[1].strip()  # an obsolete source route
        if address.lower().startswith("mailto:"):
            address = address[7:].strip()
        name = _phrase(tokens[: angles[-1]])
        return Address(name=name or comment, address=address, comment=comment)
    words = [(kind, value) for kind, value in tokens if kind in "qw"]
    if not words:
        return None
    written = [f'"{value}"' if kind == "q" else value for kind, value in words]
    with_at = [index for index, item in enumerate(written) if "@" in item]
    if len(with_at) == 1 and len(written) > 1 and " " in [kind for kind, _ in tokens]:
        at = with_at[0]
        item = written[at]
        if not item.startswith("@") and not item.endswith("@"):
            # "Name name@example.com": the display name without its angle brackets.
            name = _phrase([token for index, token in enumerate(words) if index != at])
            return Address(name=name, address=item, comment=comment)
    address = "".join(written)
    if "@" not in address and "@" in comment and " " not in comment:
        # "Name (name@example.com)": the address written as a comment.
        return Address(name=_phrase(tokens), address=comment, comment="")
    return Address(name=comment, address=address, comment=comment)


_NOT_SIMPLE = re.compile(r'["():;\\]')
_SPLITS_WORD = re.compile(r"[,<>]")


def _simple_addresses(text: str) -> list[Address] | None:
    """The list read the quick way when it is written simply (``a@b``, ``Name <a@b>``, no quotes,
    comments or groups), as the full reader would read it; None when it is not. A list of 100,000
    people is read in a fraction of the time."""
    if _NOT_SIMPLE.search(text):
        return None
    if "=?" in text and any(_SPLITS_WORD.search(word[0]) for word in _ENCODED_WORD.finditer(text)):
        return None  # an encoded word is one word, whatever commas or brackets it holds
    found: list[Address] = []
    for piece in text.split(","):
        piece = piece.strip(" \t\r\n")
        if not piece:
            continue
        opening = piece.find("<")
        if opening < 0:
            if ">" in piece or _SPACES.search(piece):
                return None
            found.append(Address(name="", address=piece))
            continue
        if not piece.endswith(">") or piece.count("<") != 1 or piece.count(">") != 1:
            return None
        address = piece[opening + 1 : -1].strip()
        if address:
            name = piece[:opening]
            if name:
                name = _ASCII_SPACES.sub(" ", one_line(decode_words(_ASCII_SPACES.sub(" ", name))))
            found.append(Address(name=name.strip(), address=address))
    return found


def parse_addresses(text: str) -> list[Address]:
    """Every mailbox of an address-list header (groups flattened), in order; entries without
    an address (``"Name" <>``, a lone comment) are left out."""
    simple = _simple_addresses(text)
    if simple is not None:
        return simple
    found: list[Address] = []
    current: list[tuple[str, str]] = []

    def close() -> None:
        mailbox = _mailbox(current)
        if mailbox is not None and mailbox.address:
            found.append(mailbox)
        current.clear()

    for kind, value in _address_tokens(text):
        if kind == "s" and value == ":":
            has_address = any(k == "a" or (k == "w" and "@" in v) for k, v in current)
            if not has_address:
                current.clear()  # a group name such as "undisclosed-recipients:"
                continue
        if kind == "s":
            close()
        else:
            current.append((kind, value))
    close()
    return found


def _balanced(text: str) -> bool:
    """Whether every quote, comment and angle bracket of an address header is closed, and none is
    closed that was not opened (``alice@example.org)<bob@evil.example>`` reads as either one)."""
    comments = angles = 0
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and (quoted or comments):
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == "(":
            comments += 1
        elif char == ")":
            comments -= 1
            if comments < 0:
                return False
        elif comments:
            continue
        elif char == '"':
            quoted = True
        elif char == "<":
            angles += 1
            if angles > 1:
                return False
        elif char == ">":
            angles -= 1
            if angles < 0:
                return False
    return not (quoted or comments or angles)


def sender_doubt(raw_headers: list[str], authors: list[Address]) -> str:
    """Why these From headers (as text) do not name one sender beyond doubt, or "". Such mail is
    not guessed at: a guess is whom Attenda would answer, and whose customer record it would join."""
    if len(raw_headers) > 1:
        return "the message has more than one From header"
    if len(authors) > 1:
        return "the From header names more than one address"
    if not raw_headers or not authors:
        return ""
    text = raw_headers[0]
    if not _balanced(text):
        return "the From header has unbalanced quotes, brackets or parentheses"
    tokens = _address_tokens(text)
    if sum(kind == "a" for kind, _ in tokens) > 1:
        return "the From header has more than one address in angle brackets"
    author = authors[0]
    if _ENCODED_WORD.search(author.address):
        return "the sender's address contains an encoded word"
    for kind, value in tokens:
        if kind not in "qwc" or not _ENCODED_WORD.search(value):
            continue
        decoded = decode_words(value)
        if "@" in decoded and author.address.lower() not in decoded.lower():
            return "an encoded word in the From header reads as another address"
    return ""


def _addresses(entity: _Entity, name: str, problems: list[str]) -> list[Address]:
    found: list[Address] = []
    for raw in entity.all_raw(name):
        # Counted before they are read: a comma costs little to send and a mailbox to read.
        budget.count("addresses", raw.count(b",") + 1, budget.MAX_ADDRESSES)
        found.extend(parse_addresses(header_text(raw, name, problems, entity.charsets)))
        budget.check("reading addresses")
    return found


# --- bodies -------------------------------------------------------------------------------------

_UU_ENCODINGS = {"x-uuencode", "uuencode", "x-uue", "uue"}
_UU_BLOCK = re.compile(
    r"^begin[ \t]+[0-7]{3,4}[ \t]+([^\r\n]+)\r?\n(.*?)^end[ \t]*$\n?", re.MULTILINE | re.DOTALL
)
_BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/=\s]")


def _decode_uu_lines(lines: str | bytes) -> bytes:
    data = bytearray()
    text = lines.decode("latin-1") if isinstance(lines, bytes) else lines
    for line in text.splitlines():
        if not line.strip() or line.strip() == "`":
            continue
        try:
            data += binascii.a2b_uu(line)
        except binascii.Error:
            # Some encoders pad lines with garbage; the first character gives the true length.
            count = (ord(line[0]) - 32) & 63
            data += binascii.a2b_uu(line[: ((count + 2) // 3) * 4 + 1])
    return bytes(data)


def _lenient_base64(data: bytes) -> bytes:
    """Base64 as broken encoders write it: padding inside the data (every line padded), missing
    or extra padding, a dangling last character."""
    letters = re.sub(rb"[^A-Za-z0-9+/=]", b"", data)
    decoded = bytearray()
    for chunk in re.findall(rb"[A-Za-z0-9+/]+", letters):
        usable = chunk[: len(chunk) - 1] if len(chunk) % 4 == 1 else chunk
        decoded += binascii.a2b_base64(usable + b"=" * (-len(usable) % 4))
    return bytes(decoded)


_BASE64_LETTER = re.compile(rb"[A-Za-z0-9+/]")


def _decode_base64(buffer: bytes, start: int, end: int) -> bytes:
    view = memoryview(buffer)[start:end]
    try:
        data = binascii.a2b_base64(view)
    except binascii.Error:
        return _lenient_base64(bytes(view))
    padding = buffer.find(b"=", start, end)
    if padding >= 0 and _BASE64_LETTER.search(buffer, padding, end):
        # The fast decoder stops at the first padding, which some encoders put on every line.
        return _lenient_base64(bytes(view))
    return data


def _body_bytes(entity: _Entity, reading: "_Reading") -> bytes:
    encoding = entity.transfer_encoding()
    view = entity.body_view()
    try:
        if encoding == "base64":
            if _BASE64_JUNK.search(view[:2048]):
                reading.problems.append("a part marked base64 is not base64; kept as it is")
                return bytes(view)
            return _decode_base64(entity.buffer, entity.body_start, entity.end)
        if encoding == "quoted-printable":
            # Quoted-printable may carry binary data, whose line breaks are data: kept exact.
            return binascii.a2b_qp(view)
        if encoding in _UU_ENCODINGS:
            text = bytes(view).decode("latin-1")
            block = _UU_BLOCK.search(text)
            return _decode_uu_lines(block.group(2) if block else text)
    except (binascii.Error, ValueError) as error:
        reading.problems.append(f"a {encoding} part could not be decoded ({error}); kept raw")
        return bytes(view)
    if encoding == "binary":
        return bytes(view)
    # 7bit and 8bit data can only be lines of text (RFC 2045 2.7, 2.8): their CRLF is the wire's
    # line end, not content, so it is stored as LF like the text body.
    return bytes(view).replace(b"\r\n", b"\n")


_CHARSET_IN_HTML = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


def _part_text(entity: _Entity, data: bytes, where: str, reading: "_Reading") -> str:
    charset = entity.content_type[1].get("charset")
    if charset is None and entity.content_type[0] == "text/html":
        declared = _CHARSET_IN_HTML.search(data[:4096])
        charset = declared.group(1).decode("ascii") if declared else None
    text = decode_text(data, charset, where, reading.problems)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _unflow(text: str, delete_space: bool) -> str:
    """RFC 3676 format=flowed: lines that end in a space (a soft break) joined with the next one
    of the same quote depth."""
    lines: list[tuple[int, str]] = []
    soft = False
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if soft and lines and lines[-1][0] == depth:
            lines[-1] = (depth, lines[-1][1] + content)
        else:
            lines.append((depth, content))
        soft = content.endswith(" ") and content != "-- "
        if soft and delete_space:
            lines[-1] = (depth, lines[-1][1][:-1])
    return "\n".join(">" * depth + (" " if depth else "") + content for depth, content in lines)


# --- reading the MIME tree ----------------------------------------------------------------------

_MAX_DEPTH = 30
_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")


@dataclass
class _Segment:
    """One piece of the body: plain text, HTML, or both when they are alternatives."""

    plain: str | None = None
    html: str | None = None


@dataclass
class _Reading:
    segments: list[_Segment] = field(default_factory=list)
    parts: list[MailPart] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    winmail: list[_Segment] = field(default_factory=list)


def _filename(entity: _Entity) -> str:
    _, disposition = entity.disposition()
    name = disposition.get("filename") or entity.content_type[1].get("name") or ""
    name = re.split(r"[\\/]", name.strip())[-1]
    return _CONTROLS.sub("", name).strip()[:255]


def _default_filename(content_type: str) -> str:
    named = {
        "text/calendar": "invite.ics",
        "message/rfc822": "forwarded-message.eml",
        "message/delivery-status": "delivery-status.txt",
        "text/rfc822-headers": "headers.txt",
        "application/pkcs7-signature": "smime.p7s",
        "application/x-pkcs7-signature": "smime.p7s",
        "application/pkcs7-mime": "smime.p7m",
        "application/x-pkcs7-mime": "smime.p7m",
        "application/pgp-signature": "signature.asc",
        "application/ms-tnef": "winmail.dat",
    }
    if content_type in named:
        return named[content_type]
    extension = mimetypes.guess_extension(content_type) or (
        ".txt" if content_type.startswith("text/") else ".bin"
    )
    stem = (
        content_type.split("/")[0]
        if content_type.startswith(("image/", "audio/", "video/"))
        else "attachment"
    )
    return stem + extension


def _described_filename(entity: _Entity, content_type: str) -> str:
    """A name from Content-Description ("Delivery report") when that is short, else a generic
    one by type."""
    default = _default_filename(content_type)
    description = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]', "", entity.text("content-description", []))
    if not description.strip() or len(description) > 80:
        return default
    extension = default.rsplit(".", 1)[-1]
    return f"{description.strip()}.{extension}"


def _content_id(entity: _Entity) -> str:
    return entity.text("content-id", []).strip().strip("<>").strip()


def _attach(
    entity: _Entity,
    reading: _Reading,
    *,
    data: bytes | None = None,
    filename: str = "",
    related: bool = False,
) -> None:
    content_type = entity.content_type[0]
    if data is None:
        data = _body_bytes(entity, reading)
    disposition, _ = entity.disposition()
    reading.parts.append(
        MailPart(
            filename=filename or _filename(entity) or _described_filename(entity, content_type),
            content_type=content_type,
            content=data,
            content_id=_content_id(entity),
            inline=related and disposition != "attachment",
        )
    )


def _children(entity: _Entity, reading: _Reading) -> list[_Entity] | None:
    buffer, start, end = entity.buffer, entity.body_start, entity.end
    boundary = entity.content_type[1].get("boundary", "")
    if not boundary:
        guess = re.compile(rb"(?:(?<=[\r\n])|\A)--([^\s]{4,200}?)(?:--)?[ \t]*(?:\r\n|\n|\r)")
        found = guess.search(buffer, start, end)
        if found is None:
            return None
        boundary = found.group(1).decode("latin-1")
        reading.problems.append("a multipart part has no boundary; guessed from its body")
    for candidate in (boundary, boundary.strip()):
        try:
            marker = candidate.encode("latin-1")
        except UnicodeEncodeError:
            marker = candidate.encode("utf-8")
        ranges: list[tuple[int, int]] = []
        part_start: int | None = None
        for line_start, line_end, closing in _delimiters(buffer, marker, start, end):
            if part_start is not None:
                # The line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
                part_end = line_start
                if buffer[part_end - 2 : part_end] == b"\r\n" and part_end - 2 >= part_start:
                    part_end -= 2
                elif buffer[part_end - 1 : part_end] in (b"\n", b"\r") and part_end > part_start:
                    part_end -= 1
                ranges.append((part_start, part_end))
            if closing:
                part_start = None
                break
            part_start = line_end
        if part_start is not None:
            ranges.append((part_start, end))
        budget.count("MIME parts", len(ranges), budget.MAX_PARTS)
        if ranges:
            return [
                _read_entity(buffer, s, e, top=False, charsets=entity.charsets) for s, e in ranges
            ]
    return None


def _delimiters(
    buffer: bytes, boundary: bytes, start: int, end: int
) -> Iterator[tuple[int, int, bool]]:
    """(start, end, is the closing one) of each ``--boundary`` line. bytes.find instead of a
    regular expression: a 25 MB attachment is skipped at memchr speed."""
    needle = b"--" + boundary
    position = start
    while (found := buffer.find(needle, position, end)) >= 0:
        position = found + len(needle)
        if found > 0 and buffer[found - 1] not in b"\r\n":
            continue
        after = position
        closing = buffer.startswith(b"--", after, end)
        after += 2 if closing else 0
        while after < end and buffer[after] in b" \t":
            after += 1
        if after < end and buffer[after] not in b"\r\n":
            continue  # a longer boundary that starts with this one
        after += 2 if buffer.startswith(b"\r\n", after, end) else int(after < end)
        yield found, after, closing


def _collect(entity: _Entity, reading: _Reading, depth: int) -> None:
    """Adds what ``entity`` holds to ``reading``; one broken part never loses the others."""
    budget.check("reading MIME parts")
    try:
        _collect_entity(entity, reading, depth)
    # A part can be broken in ways no one foresaw; the rest of the mail must still be read.
    except Exception as error:  # noqa: BLE001
        reading.problems.append(f"a {entity.content_type[0]} part could not be read ({error!r})")
        # Keeping the raw part can fail the same way; then the caller's raw message is all.
        with contextlib.suppress(Exception):
            _attach(entity, reading, data=bytes(entity.body_view()))


def _collect_entity(entity: _Entity, reading: _Reading, depth: int) -> None:
    content_type, params = entity.content_type
    if depth > _MAX_DEPTH:
        reading.problems.append("MIME parts nested too deep; the deepest kept as attachments")
        _attach(entity, reading, data=bytes(entity.body_view()))
        return
    if content_type.startswith("multipart/"):
        children = _children(entity, reading)
        if children is None:
            reading.problems.append(f"a {content_type} part has no parts; read as text")
            entity.override_type("text/plain")
            _collect_leaf(entity, reading, depth)
            return
        subtype = content_type[10:]
        if subtype == "alternative":
            _collect_alternative(children, reading, depth)
        elif subtype == "related":
            _collect_related(entity, children, reading, depth)
        elif subtype == "signed":
            _collect(children[0], reading, depth + 1)
            for child in children[1:]:
                _attach(child, reading)
        elif subtype == "encrypted":
            reading.problems.append("the mail is encrypted (PGP/MIME); kept as attachments")
            for child in children:
                _attach(child, reading)
        else:
            for child in children:
                _collect(child, reading, depth + 1)
        return
    _collect_leaf(entity, reading, depth)


def _collect_alternative(children: list[_Entity], reading: _Reading, depth: int) -> None:
    plain: str | None = None
    html: str | None = None
    for child in children:
        version = _Reading()
        _collect(child, version, depth + 1)
        reading.parts.extend(version.parts)
        reading.problems.extend(version.problems)
        reading.winmail.extend(version.winmail)
        if not version.segments:
            continue
        if any(segment.html is not None for segment in version.segments):
            html = "\n".join(_segment_html(segment) for segment in version.segments)
        elif plain is None:
            plain = "\n\n".join(_segment_text(segment) for segment in version.segments)
    if plain is not None or html is not None:
        reading.segments.append(_Segment(plain=plain, html=html))


def _collect_related(
    entity: _Entity, children: list[_Entity], reading: _Reading, depth: int
) -> None:
    start = entity.content_type[1].get("start", "").strip().strip("<>")
    root = next((child for child in children if start and _content_id(child) == start), None)
    root = root or children[0]
    _collect(root, reading, depth + 1)
    for child in children:
        if child is root:
            continue
        if child.content_type[0].startswith("multipart/"):
            _collect(child, reading, depth + 1)
        else:
            _attach(child, reading, related=True)


def _collect_leaf(entity: _Entity, reading: _Reading, depth: int) -> None:
    content_type, params = entity.content_type
    disposition, _ = entity.disposition()
    filename = _filename(entity)
    encoding = entity.transfer_encoding()
    if encoding in _UU_ENCODINGS:
        text = bytes(entity.body_view()).decode("latin-1")
        block = _UU_BLOCK.search(text)
        _attach(
            entity,
            reading,
            data=_decode_uu_lines(block.group(2) if block else text),
            filename=filename or (block.group(1).strip() if block else ""),
        )
        return
    if content_type in ("message/rfc822", "message/global"):
        _attach_message(entity, reading, filename)
        return
    if content_type in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
        _read_smime(entity, reading, depth)
        return
    if content_type == "application/ms-tnef" or filename.lower() == "winmail.dat":
        _read_winmail(entity, reading)
        return
    if content_type not in ("text/plain", "text/html") or filename or disposition == "attachment":
        _attach(entity, reading)
        return
    data = _body_bytes(entity, reading)
    if content_type == "text/html":
        text = _part_text(entity, data, "the HTML body", reading)
        if text.strip():
            reading.segments.append(_Segment(html=text))
        return
    text = _part_text(entity, data, "the text body", reading)
    if params.get("format", "").lower() == "flowed":
        text = _unflow(text, params.get("delsp", "").lower() == "yes")
    text = _take_uuencoded(text, reading)
    if text.strip():
        reading.segments.append(_Segment(plain=text))


def _take_uuencoded(text: str, reading: _Reading) -> str:
    """Files pasted into a text body as ``begin 644 name`` blocks become attachments."""
    if "begin " not in text:
        return text

    def extract(match: re.Match[str]) -> str:
        try:
            data = _decode_uu_lines(match.group(2))
        except (binascii.Error, ValueError):
            return match.group(0)
        name = match.group(1).strip()
        reading.parts.append(
            MailPart(
                filename=name,
                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                content=data,
            )
        )
        return ""

    remaining = _UU_BLOCK.sub(extract, text)
    return re.sub(r"\n{3,}", "\n\n", remaining) if remaining != text else text


def _attach_message(entity: _Entity, reading: _Reading, filename: str) -> None:
    data = _body_bytes(entity, reading)
    if not filename:
        inner = _read_entity(data, 0, len(data), top=True)
        subject = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]', "", decode_words(inner.text("subject", [])))
        filename = f"{subject.strip()[:200]}.eml" if subject.strip() else ""
    _attach(entity, reading, data=data, filename=filename)


def _read_winmail(entity: _Entity, reading: _Reading) -> None:
    data = _body_bytes(entity, reading)
    try:
        content = read_winmail(data)
    except UnreadableWinmail as error:
        reading.problems.append(f"winmail.dat could not be read ({error}); kept as attachment")
        _attach(entity, reading, data=data)
        return
    for name, file in content.files:
        reading.parts.append(
            MailPart(
                filename=name,
                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                content=file,
            )
        )
    if content.text or content.html:
        reading.winmail.append(_Segment(plain=content.text or None, html=content.html or None))
    if not content.files and not content.text and not content.html:
        _attach(entity, reading, data=data)


# --- S/MIME opaque signatures -------------------------------------------------------------------


def _der(data: bytes, position: int, depth: int = 0) -> tuple[int, int, int, int]:
    """(tag, content start, content end, next position) of the BER element at ``position``."""
    if depth > 60 or position + 2 > len(data):
        raise ValueError("truncated or too deeply nested ASN.1")
    tag = data[position]
    position += 1
    if tag & 0x1F == 0x1F:
        while data[position] & 0x80:
            position += 1
        position += 1
    length = data[position]
    position += 1
    if length == 0x80:
        cursor = position
        while data[cursor : cursor + 2] != b"\x00\x00":
            cursor = _der(data, cursor, depth + 1)[3]
            if cursor >= len(data):
                raise ValueError("unterminated indefinite length")
        return tag, position, cursor, cursor + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[position : position + count], "big")
        position += count
    if position + length > len(data):
        raise ValueError("ASN.1 length beyond the data")
    return tag, position, position + length, position + length


def _der_children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    children = []
    while start < end and data[start : start + 2] != b"\x00\x00":
        child = _der(data, start)
        children.append(child)
        start = child[3]
    return children


def _octets(data: bytes, element: tuple[int, int, int, int]) -> bytes:
    tag, start, end, _ = element
    if tag & 0x20:
        return b"".join(_octets(data, child) for child in _der_children(data, start, end))
    return data[start:end]


def signed_content(data: bytes) -> bytes | None:
    """The content inside a PKCS #7 / CMS SignedData (an opaque S/MIME signature), or None when
    ``data`` is something else (encrypted, detached)."""
    try:
        _, start, end, _ = _der(data, 0)
        content_type, explicit = _der_children(data, start, end)[:2]
        if data[content_type[1] : content_type[2]] != _SIGNED_DATA:
            return None
        signed = _der_children(data, explicit[1], explicit[2])[0]
        encapsulated = _der_children(data, signed[1], signed[2])[2]
        inner = _der_children(data, encapsulated[1], encapsulated[2])
        if len(inner) < 2:
            return None
        return _octets(data, _der_children(data, inner[1][1], inner[1][2])[0])
    except (ValueError, IndexError):
        return None


def _read_smime(entity: _Entity, reading: _Reading, depth: int) -> None:
    data = _body_bytes(entity, reading)
    _attach(entity, reading, data=data)
    content = signed_content(data)
    if content is None:
        kind = entity.content_type[1].get("smime-type", "").lower() or "unknown"
        reading.problems.append(f"S/MIME content ({kind}) cannot be read; kept as attachment")
        return
    inner = _read_entity(content, 0, len(content), top=False, charsets=entity.charsets)
    _collect(inner, reading, depth + 1)


# --- assembling ---------------------------------------------------------------------------------


def _segment_text(segment: _Segment) -> str:
    if segment.plain is not None:
        return segment.plain
    return html_to_text(segment.html or "")


def _segment_html(segment: _Segment) -> str:
    if segment.html is not None:
        return segment.html
    return text_to_html(segment.plain or "")


def _refers_to(html: str, content_id: str) -> bool:
    # Not html.lower(): lowering non-ASCII text allocates twelve bytes per character.
    return re.search(re.escape(f"cid:{content_id}"), html, re.IGNORECASE) is not None


def _headers(entity: _Entity, decoded: dict[str, str]) -> dict[str, str]:
    """Each header's first value as text; those in ``decoded`` were read already (a subject may
    be 200 KB of encoded words)."""
    headers: dict[str, str] = {}
    for name, raw in entity.headers:
        if name not in headers:
            headers[name] = (
                decoded[name]
                if name in decoded
                else decode_words(header_text(raw, name, [], entity.charsets))
            )
    return headers


NO_FROM = "the message has no readable From address"


def _read(raw: bytes) -> ParsedMail:
    reading = _Reading()
    problems = reading.problems
    start = len(raw) - len(raw.lstrip(b"\r\n\t "))
    top = _read_entity(raw, start, len(raw), top=True)
    if not top.headers:
        problems.append("the message has no headers")
    _collect(top, reading, 0)
    segments = reading.segments or reading.winmail
    for segment in segments:
        if segment.html and budget.metering():
            # Before the sanitiser and the text reader, whose time grows with its square.
            depth = nesting_depth(segment.html, stop_at=budget.MAX_HTML_DEPTH + 1)
            budget.count("levels of HTML nesting", depth, budget.MAX_HTML_DEPTH)
    original_html = ""
    if any(segment.html is not None for segment in segments):
        original_html = "\n".join(_segment_html(segment) for segment in segments)
    text = "\n\n".join(_segment_text(segment).strip("\n") for segment in segments)
    parts = [
        replace(part, inline=True)
        if part.content_id and not part.inline and _refers_to(original_html, part.content_id)
        else part
        for part in reading.parts
    ]
    budget.count("attachments", len(parts), budget.MAX_PARTS)
    authors = _addresses(top, "from", problems)
    with_domain = [author for author in authors if "@" in author.address]
    authors = with_domain or authors
    doubt = sender_doubt(
        [header_text(raw, "from", [], top.charsets) for raw in top.all_raw("from")], authors
    )
    if not authors:
        problems.append(NO_FROM)

    message_ids = _message_ids(top.text("message-id", problems))
    in_reply_to = _message_ids(top.text("in-reply-to", problems))
    references = _message_ids(top.text("references", problems))
    subject = decode_words(top.text("subject", problems), problems)

    def recipients(name: str) -> list[Address]:
        return [item for item in _addresses(top, name, problems) if "@" in item.address]

    return ParsedMail(
        message_id=next(iter(message_ids), ""),
        in_reply_to=in_reply_to,
        references=references,
        subject=one_line(subject),
        sender=authors[0] if authors else None,
        reply_to=recipients("reply-to"),
        to=recipients("to"),
        cc=recipients("cc"),
        date=_date(top.text("date", problems), problems),
        text=text,
        parts=parts,
        headers=_headers(top, {"subject": subject}),
        problems=list(dict.fromkeys(problems)),
        from_addresses=authors,
        original_html=original_html,
        sender_doubt=doubt,
    )


@dataclass(frozen=True)
class MailHead:
    """What a message's top header block says of it, read without its body: enough to keep the
    message (its key, its row) for the worker, which parses it whole (``parse_message``)."""

    message_id: str
    subject: str
    sender: Address | None
    problems: list[str]


# Of a subject, the head reads about this many raw bytes: the start any person wrote, however
# encoded; a subject of 200 KB of encoded words cost 17 ms to decode. The whole reading keeps the
# 998 characters a mail's row does.
HEAD_SUBJECT_BYTES = 4096


def read_head(raw: bytes) -> MailHead:
    """The Message-ID, sender and start of the subject of ``raw``, as ``parse_message`` reads them
    (the same Message-ID, so a second delivery of the message is known either way), from its top
    header block alone. Otherwise never raises, as ``parse_message``: at worst an empty head whose
    ``problems`` say why; budget.OverBudget is raised as parsing raises it (a header block or a From
    past its budget)."""
    problems: list[str] = []
    try:
        start = len(raw) - len(raw.lstrip(b"\r\n\t "))
        top = _read_entity(raw, start, len(raw), top=True)
        authors = _addresses(top, "from", problems)
        authors = [author for author in authors if "@" in author.address] or authors
        if not authors:
            problems.append(NO_FROM)
        subject = top.raw("subject") or b""
        if len(subject) > HEAD_SUBJECT_BYTES:
            # Cut where a word ends, not inside an encoded word.
            subject = subject[:HEAD_SUBJECT_BYTES].rsplit(maxsplit=1)[0]
        subject_text = header_text(subject, "subject", problems, top.charsets)
        return MailHead(
            message_id=next(iter(_message_ids(top.text("message-id", problems))), ""),
            subject=one_line(decode_words(subject_text, problems)),
            sender=authors[0] if authors else None,
            problems=list(dict.fromkeys(problems)),
        )
    # As parse_message: the caller keeps the raw bytes, and the worker reads them whole.
    except Exception as error:  # noqa: BLE001
        return MailHead("", "", None, [f"the message's headers could not be read ({error!r})"])


class MimePart:
    """One MIME entity of a message as this parser splits it, for a reader that walks the tree
    itself (``bounces``): its headers as text (encoded words left as they are), its type, its
    body decoded from its transfer encoding, its parts. What the splitting finds wrong is not
    reported: such a reader keeps what it can read."""

    __slots__ = ("_entity", "_reading")

    def __init__(self, entity: _Entity, reading: _Reading) -> None:
        self._entity = entity
        self._reading = reading

    @classmethod
    def read(cls, raw: bytes) -> "MimePart":
        """The message ``raw`` as its top entity."""
        start = len(raw) - len(raw.lstrip(b"\r\n\t "))
        return cls(_read_entity(raw, start, len(raw), top=True), _Reading())

    def header(self, name: str) -> str | None:
        """The first ``name`` header's value, unfolded, or None."""
        raw = self._entity.raw(name.lower())
        return None if raw is None else self._text(name, raw)

    def headers(self, name: str) -> list[str]:
        """Every ``name`` header's value, unfolded."""
        return [self._text(name, raw) for raw in self._entity.all_raw(name.lower())]

    def _text(self, name: str, raw: bytes) -> str:
        return header_text(raw, name.lower(), [], self._entity.charsets)

    @property
    def content_type(self) -> str:
        """Lower-cased, text/plain when missing or unreadable."""
        return self._entity.content_type[0]

    @property
    def charset(self) -> str | None:
        charset = self._entity.content_type[1].get("charset")
        return charset.lower() if charset else None

    def body(self) -> bytes:
        """The body decoded from its transfer encoding."""
        return _body_bytes(self._entity, self._reading)

    def parts(self) -> "list[MimePart] | None":
        """The parts of a multipart entity; None for another type, or when its boundaries cannot
        be found."""
        if not self.content_type.startswith("multipart/"):
            return None
        children = _children(self._entity, self._reading)
        return None if children is None else [MimePart(child, self._reading) for child in children]

    def attached(self) -> "MimePart":
        """The message a message/rfc822 entity carries."""
        data = self.body()
        return MimePart(_read_entity(data, 0, len(data), top=True), self._reading)


def parse_message(raw: bytes) -> ParsedMail:
    """The parsed form of ``raw``. Never raises: at worst, an empty ParsedMail whose
    ``problems`` say why."""
    try:
        if not isinstance(raw, bytes):
            raw = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else bytes(raw)
        return _read(raw)
    # The promise is that any input gives a result; the caller keeps the raw bytes.
    except Exception as error:  # noqa: BLE001
        return ParsedMail(
            message_id="",
            in_reply_to=[],
            references=[],
            subject="",
            sender=None,
            reply_to=[],
            to=[],
            cc=[],
            date=None,
            text="",
            parts=[],
            headers={},
            problems=[f"the message could not be read ({error!r})"],
        )

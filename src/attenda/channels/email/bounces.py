"""Bounces: the mail that comes back when a reply could not be delivered (delivery-status
notifications, in the RFC 3464 form or in the plain-text forms many mail servers still send) and
complaint reports (RFC 5965). It says who could not be reached, why, and whether to stop writing
to them. A pure reader: no database, no network."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import getaddresses
from enum import StrEnum
from functools import cached_property, lru_cache

from attenda.channels.email.parsing import MimePart, decode_words


class BounceClass(StrEnum):
    HARD = "hard"  # the address will not work again: stop writing to it
    SOFT = "soft"  # this message did not arrive; the address may work later


@dataclass(frozen=True)
class BouncedRecipient:
    """One recipient of a report. ``reason`` uses sisimai's vocabulary (userunknown, mailboxfull,
    expired, filtered, ...); "delivered" marks a report of success, "feedback" a complaint.
    A ``status`` of the form x.0.9NN was inferred from the words: the server gave none."""

    address: str  # lower-cased
    status: str  # DSN status such as "5.1.1", or ""
    reply_code: str  # SMTP reply such as "550", or ""
    reason: str
    bounce_class: BounceClass
    diagnostic: str  # the remote server's words, trimmed


@dataclass(frozen=True)
class Bounce:
    """A delivery report or a complaint. A complaint that does not say who complained has no
    recipients: the message it names is still known."""

    recipients: list[BouncedRecipient]
    original_message_id: str  # Message-ID of the message that bounced, without <>, or ""
    feedback_type: str = ""  # the complaint's type (abuse, opt-out, ...) for complaints


def read_bounce(raw: bytes) -> Bounce | None:
    """The bounce or complaint that ``raw`` is, or None for a person's mail and for auto-replies
    (see ``automatic.automatic_reason``). Never raises: a mail too broken to read is not taken
    for a bounce, so that it reaches a person."""
    try:
        return _read(_parse(raw))
    except Exception:  # noqa: BLE001 - one unreadable mail must not stop the mailbox
        return None


# The reasons after which the address itself is gone. Everything else (a full mailbox, a filter,
# a blocked server...) may work on a later try, even when the server called it permanent.
_HARD_REASONS = frozenset({"userunknown", "hostunknown", "hasmoved", "notaccept"})

# When the server gives no status, one is inferred: the class digit from the reply code or the
# wording, and a detail 0.9NN that is not in RFC 3463, so it cannot be taken for a status a
# server sent. The numbers are the ones sisimai uses for the same purpose, so that reports of one
# bounce by both tools compare. x.0.901 marks a refusal of our sender at MAIL FROM.
_INFERRED_DETAIL = {
    "undefined": "900",
    "onhold": "901",
    "syntaxerror": "902",
    "norelaying": "909",
    "filtered": "910",
    "userunknown": "911",
    "hostunknown": "912",
    "hasmoved": "916",
    "rejected": "918",
    "suspend": "921",
    "mailboxfull": "922",
    "exceedlimit": "923",
    "systemfull": "924",
    "systemerror": "930",
    "notaccept": "932",
    "mesgtoobig": "934",
    "mailererror": "939",
    "networkerror": "944",
    "toomanyconn": "945",
    "speeding": "946",
    "expired": "947",
    "contenterror": "960",
    "notcompliantrfc": "961",
    "securityerror": "970",
    "blocked": "971",
    "policyviolation": "972",
    "requireptr": "973",
    "authfailure": "974",
    "badreputation": "975",
    "spamdetected": "980",
    "virusdetected": "981",
}


_TEXT_LIMIT = 100_000
_SEGMENT_LINES = 60


@dataclass
class _Finding:
    """What a report says about one recipient, before it is judged."""

    address: str
    status: str = ""  # from the report's Status field
    diagnostic: str = ""  # the remote server's answer, or the prose about this recipient
    diagnostic_type: str = ""  # "smtp", "x-unix", ...
    action: str = ""  # failed, delayed, delivered, ...
    prose: str = ""  # what the human-readable part says about this recipient
    category: str = ""  # the reporting server's own classification, when it gives one


@dataclass
class _Report:
    """The parts of a mail that matter to a bounce, pulled apart once."""

    message: MimePart
    notes: list[str] = field(default_factory=list)  # the human-readable text parts
    status_blocks: list[dict[str, str]] = field(default_factory=list)
    feedback: dict[str, list[str]] = field(default_factory=dict)
    original: MimePart | None = None  # the returned message, or its headers

    @property
    def text(self) -> str:
        return "\n".join(self.notes)


def _parse(raw: bytes) -> MimePart:
    # Line ends are made uniform first: CR-only and CRLF mails would otherwise leave stray CRs
    # in the text parts, which every pattern below would have to allow for.
    return MimePart.read(raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))


def _read(message: MimePart) -> Bounce | None:
    report = _Report(message)
    _collect(message, report)
    complaint = _read_complaint(report)
    if complaint is not None:
        return complaint
    notice = _read_ses_notification(report.text)
    if notice is not None:
        return notice
    notification, inline_original = _split_inline_original(report.text)
    findings = _findings_from_status_blocks(report, notification)
    in_prose = not report.status_blocks
    if not findings:
        if not _looks_like_bounce(report, notification):
            return None
        if report.original is not None and _is_report(report.original):
            # A mailer daemon forwarding a bounce: the report is the attached message.
            return _read(report.original)
        findings = _findings_from_text(report, notification, inline_original)
    if not findings:
        return None
    prose = _read_prose(notification)
    if len(findings) == 1 and not findings[0].prose:
        # One recipient: all the prose is about it, even where it names it after the reason.
        findings[0].prose = notification
    return Bounce(
        recipients=[_judge(finding, prose, in_prose) for finding in findings],
        original_message_id=_original_message_id(report, inline_original),
    )


def _is_report(message: MimePart) -> bool:
    return message.content_type == "multipart/report"


# --- taking the mail apart -------------------------------------------------------------------


# A report's parts are a few levels deep; deeper ones are someone's mail or an attack.
_MAX_DEPTH = 10


def _collect(part: MimePart, report: _Report, depth: int = 0) -> None:
    content_type = part.content_type
    if content_type in ("message/delivery-status", "message/global-delivery-status"):
        report.status_blocks.extend(_field_blocks(_text_of(part)))
    elif content_type == "message/feedback-report":
        for block in _field_lists(_text_of(part)):
            for name, value in block:
                report.feedback.setdefault(name, []).append(value)
    elif content_type in ("message/rfc822", "message/global", "message/partial"):
        if report.original is None:
            report.original = part.attached()
    elif content_type in ("text/rfc822-headers", "message/global-headers"):
        if report.original is None:
            report.original = _headers_of(_text_of(part))
    elif (parts := part.parts()) is not None:
        if depth < _MAX_DEPTH:
            for sub in parts:
                _collect(sub, report, depth + 1)
    elif content_type.startswith(("text/", "multipart/")):
        # A multipart whose boundaries are broken is read as one text. What a bounce has to say
        # comes first; a huge text is someone's mail or an attack, and reading all of it would
        # only cost time.
        text = _text_of(part)[:_TEXT_LIMIT]
        report.notes.append(_html_to_text(text) if content_type == "text/html" else text)


def _text_of(part: MimePart) -> str:
    payload = part.body()
    charsets = [part.charset or "utf-8", "utf-8"]
    if b"\x1b$B" in payload:
        # Undeclared ISO-2022-JP, which Japanese mail servers still send.
        charsets.insert(0, "iso-2022-jp")
    for charset in charsets:
        try:
            text = payload.decode(charset)
            break
        except (LookupError, UnicodeDecodeError):
            continue
    else:
        text = payload.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _headers_of(text: str) -> MimePart:
    return MimePart.read(text.lstrip().encode("utf-8", "replace"))


def _html_to_text(text: str) -> str:
    text = _without_hidden_elements(text)
    text = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|li|h\d|table)>", "\n", text)
    return html.unescape(re.sub(r"<[^>]*>", " ", text))


_HIDDEN_ELEMENT = re.compile(r"(?i)<(script|style|head)\b")


def _without_hidden_elements(text: str) -> str:
    """The HTML without its script, style and head elements. A search for each closing tag
    (rather than one lazy pattern) keeps broken HTML from costing quadratic time."""
    lowered = text.lower()
    kept = []
    position = 0
    while opening := _HIDDEN_ELEMENT.search(text, position):
        kept.append(text[position : opening.start()])
        closing = lowered.find(f"</{opening.group(1).lower()}>", opening.end())
        if closing < 0:
            return "".join(kept)
        position = closing
    kept.append(text[position:])
    return "".join(kept)


_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")


def _field_lists(text: str) -> list[list[tuple[str, str]]]:
    """Blocks of "Name: value" fields separated by blank lines, continuation lines unfolded."""
    blocks: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for line in text.split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
                current = []
        elif line[0] in " \t" and current:
            name, value = current[-1]
            current[-1] = (name, f"{value} {line.strip()}".strip())
        elif match := _FIELD.match(line):
            current.append((match.group(1).lower(), match.group(2).strip()))
    if current:
        blocks.append(current)
    return blocks


def _field_blocks(text: str) -> list[dict[str, str]]:
    blocks = []
    for block in _field_lists(text):
        fields: dict[str, str] = {}
        for name, value in block:
            if name in ("final-recipient", "original-recipient") and name in fields:
                # Some servers forget the blank line between two recipients.
                blocks.append(fields)
                fields = {}
            fields.setdefault(name, value)
        blocks.append(fields)
    return blocks


# The lines after which a plain-text bounce quotes the message that failed.
_ORIGINAL_SEPARATOR = re.compile(
    r"(?im)^[ \t]*(?:"
    r"-+ ?(?:This is a copy of|Original message|Below this line is a copy|Unsent message follows"
    r"|Returned message|Message headers follow|Original message follows|Original message headers"
    r"|The (?:original|header of the original) message|Headers of the original message"
    r"|Undelivered message|Forwarded message)"
    r"|(?:Original message headers|Message headers follow|Original message follows"
    r"|Original Message:|Included is a copy of the message header"
    r"|\|?-+ ?Message text follows)"
    r"|-+ ?(?:Original|Returned) (?:mail|message|Message)"
    r")[^\n]*$"
)


def _split_inline_original(text: str) -> tuple[str, str]:
    """The bounce's own words, and the returned message it quotes after them."""
    match = _ORIGINAL_SEPARATOR.search(text)
    if match is None:
        return text, ""
    return text[: match.start()], text[match.end() :]


# --- complaints ------------------------------------------------------------------------------


def _read_complaint(report: _Report) -> Bounce | None:
    message = report.message
    addresses: list[str] = []
    if report.feedback:
        feedback_type = (report.feedback.get("feedback-type") or ["abuse"])[0].lower()
        for name in ("original-rcpt-to", "removal-recipient"):
            addresses.extend(report.feedback.get(name, []))
    elif _is_hotmail_complaint(message):
        # Outlook.com's complaint loop predates RFC 5965: a plain mail with the message attached.
        feedback_type = "abuse"
    elif (message.header("X-Apple-Unsubscribe") or "").strip().lower() == "true":
        # Apple Mail's "unsubscribe" button sends a mail of its own to the List-Unsubscribe one.
        feedback_type = "opt-out"
        addresses.extend(_addresses(message.headers("To")))
    else:
        return None
    if not addresses and report.original is not None:
        addresses = _addresses(report.original.headers("X-HmXmrOriginalRecipient")) or (
            _addresses(report.original.headers("To"))
        )
    complained = _unique(_clean_address(address) for address in addresses)
    return Bounce(
        recipients=[_complaint_by(address, _trim(report.text)) for address in complained],
        original_message_id=_original_message_id(report, ""),
        feedback_type=feedback_type,
    )


def _complaint_by(address: str, diagnostic: str) -> BouncedRecipient:
    return BouncedRecipient(
        address=address,
        status="",
        reply_code="",
        reason="feedback",
        bounce_class=BounceClass.SOFT,
        diagnostic=diagnostic,
    )


def _is_hotmail_complaint(message: MimePart) -> bool:
    sender = " ".join(_addresses(message.headers("From")))
    subject = _header_text(message.header("Subject")).lower()
    return sender.endswith("@hotmail.com") and subject.startswith("complaint about")


# --- Amazon SES notifications ----------------------------------------------------------------


def _read_ses_notification(text: str) -> Bounce | None:
    """Amazon SES reports bounces, complaints and deliveries as JSON, sometimes inside an SNS
    envelope, folded by its mail gateway with "!" at column 990."""
    start = text.find("{")
    if start < 0 or '"notificationType"' not in text.replace('\\"', '"'):
        return None
    try:
        notice, _ = json.JSONDecoder().raw_decode(text[start:].replace("!\n ", ""))
        if isinstance(notice.get("Message"), str):
            notice = json.loads(notice["Message"])
        kind = str(notice.get("notificationType", "")).lower()
        headers = (notice.get("mail") or {}).get("headers") or []
    except (ValueError, AttributeError):
        return None
    message_id = ""
    for header in headers:
        if str(header.get("name", "")).lower() == "message-id":
            message_id = str(header.get("value", "")).strip().strip("<>")
    if kind == "complaint":
        complaint = notice.get("complaint") or {}
        complained = complaint.get("complainedRecipients") or []
        return Bounce(
            recipients=[
                _complaint_by(_clean_address(str(item.get("emailAddress", ""))), "")
                for item in complained
            ],
            original_message_id=message_id,
            feedback_type=str(complaint.get("complaintFeedbackType") or "abuse").lower(),
        )
    findings = []
    if kind == "bounce":
        for item in (notice.get("bounce") or {}).get("bouncedRecipients") or []:
            diagnostic_type, diagnostic = _typed(str(item.get("diagnosticCode", "")))
            findings.append(
                _Finding(
                    address=_clean_address(str(item.get("emailAddress", ""))),
                    status=_first_status(str(item.get("status", ""))),
                    diagnostic=diagnostic,
                    diagnostic_type=diagnostic_type,
                    action=str(item.get("action", "")).lower(),
                )
            )
    elif kind == "delivery":
        delivery = notice.get("delivery") or {}
        for address in delivery.get("recipients") or []:
            findings.append(
                _Finding(
                    address=_clean_address(str(address)),
                    diagnostic=str(delivery.get("smtpResponse", "")),
                    action="delivered",
                )
            )
    if not findings:
        return None
    return Bounce([_judge(finding, _read_prose(""), False) for finding in findings], message_id)


# --- delivery-status notifications (RFC 3464) ------------------------------------------------


def _findings_from_status_blocks(report: _Report, notification: str) -> list[_Finding]:
    blocks = report.status_blocks
    if not blocks and re.search(r"(?im)^(?:final|original)-recipient:", notification):
        # Some servers put the RFC 3464 fields in a plain text part instead of their own.
        blocks = _field_blocks(notification)
    findings: dict[str, _Finding] = {}
    for block in blocks:
        recipient = block.get("final-recipient") or block.get("original-recipient") or ""
        address = _clean_address(recipient.split(";", 1)[-1])
        if "@" not in address:
            address = _clean_address(block.get("x-actual-recipient", "").split(";", 1)[-1])
        if not address or address in findings:
            continue
        diagnostic_type, diagnostic = _typed(block.get("diagnostic-code", ""))
        findings[address] = _Finding(
            address=address,
            status=_first_status(block.get("status", "")),
            diagnostic=diagnostic,
            diagnostic_type=diagnostic_type,
            action=(block.get("action", "").lower().split() or [""])[0],
            category=block.get("x-powermta-bouncecategory", "").lower(),
        )
    segments = _segments(notification, list(findings))
    for finding in findings.values():
        finding.prose = segments.get(finding.address, "")
        if not finding.diagnostic:
            # Some servers leave Diagnostic-Code out and tell the reason in their prose only.
            finding.diagnostic = finding.prose
    return list(findings.values())


def _typed(value: str) -> tuple[str, str]:
    """ "smtp; 550 5.1.1 unknown" as ("smtp", "550 5.1.1 unknown")."""
    if ";" not in value:
        return "", value.strip()
    kind, text = value.split(";", 1)
    return kind.strip().lower(), text.strip()


def _segment_end(number: int, next_start: int) -> int:
    return min(max(next_start, number + 1), number + _SEGMENT_LINES)


def _segments(notification: str, addresses: list[str]) -> dict[str, str]:
    """The prose about each address: from the line that first names it to the line that first
    names the next one."""
    lines = notification.split("\n")
    wanted = set(addresses)
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines):
        for match in _ADDRESS.finditer(line):
            address = _clean_address(match.group(0))
            if address in wanted:
                first_line.setdefault(address, number)
    starts = sorted((number, address) for address, number in first_line.items())
    segments = {}
    for index, (number, address) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(lines)
        segments[address] = "\n".join(lines[number : _segment_end(number, end)])
    return segments


# --- plain-text bounces ----------------------------------------------------------------------

_DAEMON_SENDER = re.compile(
    r"(?i)(mailer-daemon|postmaster|mail delivery|mailerdaemon|mail administrator|"
    r"mail-daemon|mmdf|mdaemon|ndr administrator|post_master|bounce)"
)
_BOUNCE_SUBJECT = re.compile(
    r"(?i)(undeliver|undelivered|returned mail|delivery (status notification|failure|failed|"
    r"problem|report|notification)|mail delivery|failure notice|could not be delivered|"
    r"returned to sender|non[- ]?delivery|delivery has failed|mail system error|"
    r"nondeliverable|rejected|warning: could not send|message not delivered|delivery error|"
    r"permanent error|error sending|failed delivery|delivery unsuccessful|"
    r"unable to deliver|mail failure|not delivered|problem delivering|bounce|mail failed|"
    r"returning to sender)"
)
_FAILURE_WORDS = re.compile(
    r"(?i)(could not be delivered|couldn't be delivered|undeliverable|undelivered|"
    r"delivery (?:to the following|has failed|failed|failure|attempts? )|"
    r"failed permanently|permanent (?:fatal )?error|temporary failure|"
    r"following address(?:es|\(es\))? (?:failed|had)|did not reach|unable to deliver|"
    r"not (?:be )?delivered|was not delivered|could not deliver|cannot be delivered|"
    r"user unknown|unknown user|no such user|mailbox (?:is )?(?:full|unavailable)|"
    r"rejected|has been delayed|error delivering|returned to sender|host unknown|"
    r"message could not|giving up|transcript of session|delivery to .{0,200} failed|"
    r"recipient (?:address )?rejected|not accepting|over quota|expired|"
    r"permanent failure|failed to deliver|delivery problem|failed addresses|"
    r"no valid recipients|invalid user address)"
)
_AUTO_REPLY_SUBJECT = re.compile(r"(?i)(auto(matic)?[ -]?reply|out of (the )?office|away|vacation)")


def _looks_like_bounce(report: _Report, notification: str) -> bool:
    """Whether a mail without a machine-readable report is still a bounce. Who sent it (a mailer
    daemon, the null return path of RFC 5321, a returned message) and what it says must agree,
    so that a person's mail about a failed delivery is never taken for one."""
    message = report.message
    sender = message.header("From")
    return_path = message.header("Return-Path")
    envelope = 0
    if sender is not None and (
        _DAEMON_SENDER.search(_header_text(sender)) or str(sender).strip() in ("", "<>")
    ):
        envelope += 1
    if return_path is not None and (
        str(return_path).strip() in ("<>", "") or "mailer-daemon" in str(return_path).lower()
    ):
        envelope += 1
    if message.header("X-Failed-Recipients"):
        envelope += 2
    if _returns_own_message(report):
        envelope += 1
    if not envelope:
        # Before the words: a person's mail (a long one costs 35 ms a 100 KB to search).
        return False
    subject = _header_text(message.header("Subject"))
    if _AUTO_REPLY_SUBJECT.match(subject) and not _FAILURE_WORDS.search(subject):
        return False
    return bool(_BOUNCE_SUBJECT.search(subject) or _FAILURE_WORDS.search(notification))


def _returns_own_message(report: _Report) -> bool:
    """Whether the mail carries back a message its own addressee wrote, as bounces do, and does
    not come from one of that message's recipients (a person forwarding it)."""
    if report.original is None:
        return False
    addressee = _addresses_in(report.message, "To")
    author = _addresses_in(report.original, "From", "Return-Path")
    readers = _addresses_in(report.original, "To", "Cc")
    return bool(addressee & author) and not (_addresses_in(report.message, "From") & readers)


# Bounded so that a long run of address characters costs linear time, not quadratic.
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}"
)
# Lines that name addresses which are not the failed recipients: quoted headers, the sender,
# the reporting site's contact, Received continuations.
_HEADER_LINE = re.compile(
    r"(?i)^[\s>]*(to|from|cc|bcc|sent|date|subject|reply-to|return-path|received|message-id|"
    r"sender|envelope-from|x-[a-z-]+|references|in-reply-to|dkim-signature)\s*:"
)
_NOT_A_RECIPIENT_LINE = re.compile(
    r"(?i)envelope-from|mail from:|sender:|assistance|please contact|contact (your|the)|"
    r"^\s+(for|by|id|with) |generated from"
)
_CONTACT_AFTER = re.compile(r"[>\s]*(へ|に|まで)?ご連絡")
# A Sendmail transcript line that only summarises the remote answer on the line before it.
_TRANSCRIPT_VERDICT = re.compile(r"^[45]\d\d <[^>]+>\.\.\. ")


def _findings_from_text(report: _Report, notification: str, inline_original: str) -> list[_Finding]:
    failed_header = _addresses(report.message.headers("X-Failed-Recipients"))
    lines = notification.split("\n")
    positions = _named_addresses(lines, _not_recipients(report), failed_header)
    if not positions:
        # The sender may have written to itself: keep out only the reporting server.
        positions = _named_addresses(lines, _reporters(report), failed_header)
    if not positions:
        positions = [(0, address) for address in failed_header]
    if not positions:
        # Some bounces name nobody in their prose: the returned message says who it was for.
        original = report.original or _headers_of(inline_original)
        positions = [(0, address) for address in _addresses(original.headers("To"))]
    findings = []
    for index, (number, address) in enumerate(positions):
        end = positions[index + 1][0] if index + 1 < len(positions) else len(lines)
        start = number
        if number and _TRANSCRIPT_VERDICT.match(lines[number]) and lines[number - 1][:4] == "<<< ":
            start = number - 1
        segment = "\n".join(lines[start : _segment_end(number, end)])
        findings.append(_Finding(address=address, diagnostic=segment))
    return findings


def _named_addresses(
    lines: list[str], excluded: set[str], wanted: list[str]
) -> list[tuple[int, str]]:
    """Each address the prose names, with the line that first names it."""
    positions: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, line in enumerate(lines):
        if _HEADER_LINE.match(line) or _NOT_A_RECIPIENT_LINE.search(line):
            continue
        following = lines[number + 1] if number + 1 < len(lines) else ""
        for match in _ADDRESS.finditer(line):
            address = _clean_address(match.group(0))
            if address in seen or address in excluded or (wanted and address not in wanted):
                continue
            if _CONTACT_AFTER.match(f"{line[match.end() :]} {following}"):
                # "... <support@isp> へご連絡ください": the address to write to for help.
                continue
            seen.add(address)
            positions.append((number, address))
    return positions


def _reporters(report: _Report) -> set[str]:
    return _addresses_in(report.message, "From", "Return-Path")


def _not_recipients(report: _Report) -> set[str]:
    """The bounce's own parties and the returned message's sender: never the failed recipient,
    however often the prose names them."""
    excluded = _addresses_in(report.message, "From", "Return-Path", "To", "Sender", "Cc")
    if report.original is not None:
        excluded |= _addresses_in(report.original, "From", "Sender", "Return-Path", "Reply-To")
    return excluded


# --- judging one recipient -------------------------------------------------------------------

_STATUS = re.compile(r"(?<![\d.])([245])\.([0-7])\.(\d{1,3})(?![\d]|\.\d)")
_REPLY_CODE = re.compile(r"(?:^|(?<=[\s:(\[\"'<]))([45][0-5]\d)(?=[\s\-,;:)]|$)")
_REPLY_WITH_STATUS = re.compile(
    r"(?<![\w.])([245][0-5]\d)[ -]['\"#]?([245]\.[0-7]\.\d{1,3})(?![\d]|\.\d)"
)
# Amazon SES puts its own status and a description of it before the remote's answer.
_SES_PREFIX = re.compile(r"([245]\.[0-7]\.\d{1,3}) - [^0-9'\"]*")
# qmail ends its explanation, wherever it wraps, with the status as "(#5.1.1)".
_QMAIL_STATUS = re.compile(r"\(#([245]\.[0-7]\.\d{1,3})\)")


@dataclass(frozen=True)
class _Prose:
    """What the human-readable part says as a whole, read once for all its recipients."""

    text: str
    summary: str  # the text trimmed, as a recipient's diagnostic when nothing closer says more
    stage: str
    google_groups: bool
    temporary: bool

    # The prose's words are the last evidence `_reason` turns to, and matching a hundred word
    # lists against a whole report is the dearest step of reading one: only when needed.
    @cached_property
    def reason(self) -> str | None:
        return _reason_from_words(self.text)

    @cached_property
    def weak_reason(self) -> str | None:
        return _reason_from_words(self.text, weak=True)


def _read_prose(text: str) -> _Prose:
    return _Prose(
        text=text,
        summary=_trim(text),
        stage=_smtp_stage(text),
        google_groups=_GOOGLE_GROUPS.search(text) is not None,
        temporary=_TEMPORARY.search(text) is not None,
    )


# Google Groups answers for a group that does not exist or does not take posts from the sender.
_GOOGLE_GROUPS = re.compile(r"(?i)groups\.google\.com")
# Words by which a report without any code says that the failure is temporary.
_TEMPORARY = re.compile(
    r"(?i)details of temporary failure|retry timeout exceeded|failing for a long time"
)


def _judge(finding: _Finding, prose: _Prose, in_prose: bool) -> BouncedRecipient:
    diagnostic = _trim(_core(finding.diagnostic))
    ses_status = ""
    if described := _SES_PREFIX.match(diagnostic):
        ses_status, diagnostic = described.group(1), diagnostic[described.end() :]
    context = diagnostic or prose.summary
    reply_code, status = _reply_and_status(diagnostic)
    if not status and (qmail := _QMAIL_STATUS.search(finding.diagnostic)):
        status = qmail.group(1)
    status = status or ses_status
    if not reply_code and finding.prose:
        reply_code, prose_status = _reply_and_status(_core(finding.prose))
        if not status and finding.status in ("", "5.0.0", "4.0.0"):
            status = prose_status
    # The remote server's own words are more precise than the status the reporting server
    # summarised them into (often a bare x.0.0).
    status = status or finding.status
    reason = _reason(context, status, finding, prose)
    if reason == "undefined" and in_prose:
        # A report in prose whose reason we could not read (another language, an unknown
        # wording) is "on hold" for a person; "undefined" is left for reports that say nothing.
        reason = "onhold"
    if not status:
        temporary = prose.temporary or _TEMPORARY.search(context) is not None
        status = _inferred_status(reason, reply_code, temporary)
        if re.search(r"(?i)(after|in reply to) mail from", finding.diagnostic):
            status = status[:4] + "901"
    hard = reason in _HARD_REASONS and not (reason == "notaccept" and status.startswith("4"))
    return BouncedRecipient(
        address=finding.address,
        status=status,
        reply_code=reply_code,
        reason=reason,
        bounce_class=BounceClass.HARD if hard else BounceClass.SOFT,
        diagnostic=diagnostic,
    )


def _first_status(text: str) -> str:
    match = _STATUS.search(text)
    return ".".join(match.groups()) if match else ""


def _reply_and_status(text: str) -> tuple[str, str]:
    """The SMTP reply code and enhanced status in a diagnostic. When a relay quotes the reply it
    got ("554 4.4.7 expired <421 4.4.2 timed out>"), the innermost, last reply is the cause."""
    pairs = _REPLY_WITH_STATUS.findall(text)
    if pairs:
        return pairs[-1]
    return _reply_code(text), _first_status(text)


def _reply_code(text: str) -> str:
    if relayed := re.search(r"[45]\d\d <[^>]+>\.\.\. ([45]\d\d)\b", text):
        # "554 <a@b>... 550 Host unknown": the inner code is the remote server's.
        return relayed.group(1)
    match = _REPLY_CODE.search(text)
    return match.group(1) if match else ""


def _core(segment: str) -> str:
    """The part of a recipient's prose that carries the remote server's answer: up to the first
    line with a reply code and the lines that continue it. What follows is often about the next
    recipient, or general advice that would mislead the reading of this one."""
    lines = segment.split("\n")
    for number, line in enumerate(lines):
        found = _REPLY_WITH_STATUS.search(line) or _REPLY_CODE.search(line)
        if found:
            code = found.group(1)
            end = number + 1
            # The answer goes on in indented lines, or in lines that repeat its code.
            while end < len(lines) and (
                (lines[end][:1] in (" ", "\t") and lines[end].strip())
                or lines[end].lstrip().startswith((f"{code}-", f"{code} "))
            ):
                end += 1
            return "\n".join(lines[:end])
    return segment


def _inferred_status(reason: str, reply_code: str, temporary: bool) -> str:
    if reason == "delivered":
        return "2.0.0"
    klass = reply_code[0] if reply_code else "4" if temporary else "5"
    return f"{klass}.0.{_INFERRED_DETAIL.get(reason, '900')}"


def _reason(context: str, status: str, finding: _Finding, prose: _Prose) -> str:
    """Why the message did not arrive, from the most to the least reliable evidence: what the
    report states outright, the remote's words, the status, then the general prose."""
    if finding.action == "delivered" or status.startswith("2."):
        return "delivered"
    if finding.diagnostic_type == "x-unix":
        # A local delivery program (procmail, a pipe) failed, whatever the status says.
        return "mailererror"
    if prose.google_groups or _GOOGLE_GROUPS.search(context):
        return "rejected"
    if finding.action == "delayed":
        return "expired"
    if finding.category in _POWERMTA_CATEGORIES:
        return _POWERMTA_CATEGORIES[finding.category]
    reason = _diagnostic_reason(context)
    if reason is None and status:
        _, subject, detail = status.split(".")
        reason = _STATUS_REASONS.get(f"{subject}.{detail}")
    if reason is None:
        reason = (
            _diagnostic_reason(context, weak=True)
            or prose.reason
            or prose.weak_reason
            or "undefined"
        )
    return _refined(reason, status, _smtp_stage(finding.diagnostic) or prose.stage, context)


def _refined(reason: str, status: str, stage: str, context: str) -> str:
    """The reason corrected by when the remote server refused (its SMTP stage)."""
    if reason == "userunknown" and stage not in ("RCPT", "MAIL", "CONN") and status[2:4] != "1.":
        # Only an address status (x.1), a refusal at RCPT or a directory's own wording prove
        # that an address is gone. "User unknown" after the message was sent (DATA), with a
        # mailbox, system or policy status (x.2, x.3, x.7), or relayed without saying when, is
        # as often a content or sender filter: soft, so that one doubtful report does not cut
        # a customer off.
        doubtful = status[2:4] in ("2.", "3.", "7.") or not _DEFINITELY_UNKNOWN.search(context)
        return "filtered" if stage == "DATA" or doubtful else reason
    if stage == "MAIL" and reason in ("userunknown", "hostunknown", "undefined"):
        # Refused at MAIL FROM: what is unknown is our sender, not the recipient.
        return "rejected"
    if stage == "CONN" and reason in (
        "undefined",
        "rejected",
        "securityerror",
        "systemerror",
        "hostunknown",
    ):
        # Refused before any address was given: the sending server itself is not welcome.
        return "blocked"
    if reason == "hostunknown" and (
        status.startswith("4") or "not found, try again" in context.lower()
    ):
        # A name server that failed for now is a network problem, not a missing domain.
        return "networkerror"
    return reason


def _reason_from_words(text: str, *, weak: bool = False) -> str | None:
    # Lower-cased once: the word lists are written in lower case, and matching them without
    # IGNORECASE is several times faster, which counts with a hundred of them per report.
    text = text.lower()
    for reason, words in _WEAK_REASON_WORDS if weak else _REASON_WORDS:
        if words.search(text):
            return reason
    return None


# The recipients of one report often share one diagnostic word for word; diagnostics are
# trimmed, so the cache stays small.
_diagnostic_reason = lru_cache(maxsize=512)(_reason_from_words)

# Ordered: the first reason whose words appear in the remote server's answer wins, so the
# specific comes before the general ("mailbox full" before "rejected").
_REASON_WORDS: list[tuple[str, re.Pattern[str]]] = [
    (reason, re.compile(pattern))
    for reason, pattern in [
        # Office 365 refuses unknown recipients with "Access denied"; iCloud calls a closed
        # address "inactive".
        ("userunknown", r"recipient address rejected: access denied|inactive email address"),
        # au (KDDI) answers with this exact, odd line when its customer's domain filter refuses.
        ("filtered", r"\b550:? ?: ?user unknown"),
        ("onhold", r"\bon hold\b"),
        (
            "rejected",
            r"sender (address )?(rejected|denied|verify failed)|domain of sender|"
            r"\[mail_from\]|invalid sender|sender domain (is )?(invalid|not)",
        ),
        (
            "authfailure",
            r"\bdmarc\b|\bspf\b.{0,80}(fail|reject)|authentication checks? failed|"
            r"\bdkim\b.{0,80}(fail|invalid)|unauthenticated (e-?mail|sender)",
        ),
        (
            "requireptr",
            r"reverse dns|\bptr\b|\brdns\b|ip name lookup failed|reverse lookup|"
            r"without a valid sender domain|no reverse|cannot find your hostname",
        ),
        (
            "mailboxfull",
            r"mailbox (is )?full|over ?quota|quota (exceeded|full)|mailbox size limit|"
            r"insufficient (system )?storage|exceeded (the )?(storage|quota)|user is over|"
            r"mailbox has exceeded|full mailbox|disk quota|mailfolder is full|"
            r"mailbox exceeds|mailbox (is )?over|exceeded the local limit|"
            r"not enough (disk )?space for|boîte pleine|ist voll|"
            r"caixa (de correio )?(est[aá] )?cheia|buz[oó]n (est[aá] )?lleno|"
            r"skrzynka (odbiorcza )?(jest )?pe[lł]na|c[aă]su[tţț]a (po[sşș]tal[aă] )?(este )?plin",
        ),
        ("exceedlimit", r"exceeds? (the )?administrative limit|message length exceeds"),
        (
            "mesgtoobig",
            r"message (is )?too (big|large)|message size exceeds|size limit|"
            r"exceeds (the )?(maximum|message|max) (message )?size|too large|message too long|"
            r"line limit exceeded|line too long",
        ),
        ("hasmoved", r"has moved|no forwarding address"),
        ("speeding", r"too many recipients this hour|rate limit|sending rate|too fast"),
        ("toomanyconn", r"too many (concurrent )?(connections|sessions)"),
        (
            "suspend",
            r"disabled|suspended|inactive|deactivated|account (has been |is )?"
            r"(locked|closed|frozen)|discontinued|not active|temporar(il)?y locked|"
            r"expired account|account expired",
        ),
        ("virusdetected", r"virus|malware|infected"),
        (
            "spamdetected",
            r"\bspam\b|junk mail|blacklisted url|url in message|"
            r"unsolicited|bulk mail|content (was )?rejected|message content rejected",
        ),
        (
            "norelaying",
            r"relay(ing)? (access )?(denied|not permitted|not allowed|prohibited)|"
            r"not permitted to relay|unable to relay|no relaying|relay not|we do not relay|"
            r"not a gateway|insecure mail relay",
        ),
        (
            "notaccept",
            r"no mx (record )?found|null mx|mx or srv record indicated no smtp|"
            r"not accepting (network )?(mail|messages)|does not accept mail|"
            r"no mail exchanger|does not accept e-?mail",
        ),
        (
            "hostunknown",
            r"host unknown|unknown host|host not found|"
            r"domain (name )?(not found|does not exist)|no such domain|name or service not known|"
            r"dns lookup failure|unrouteable|unroutable|bad destination system|not resolvable|"
            r"nxdomain|domain is not reachable|domain (name )?(not|is not) (found|valid)|"
            r"unknown domain|invalid domain|domain (does not|doesn't) exist|"
            r"(?<![@\w.-])[a-z0-9-]+(\.[a-z0-9-]+)+ does not exist",
        ),
        (
            "userunknown",
            r"user unknown|unknown user|no such (user|mailbox|recipient|address|"
            r"account|person)|user (does not|doesn't) exist|recipient not found|"
            r"mailbox (is )?(unavailable|not found|does not exist|doesn't exist)|"
            r"invalid (recipient|mailbox|user)|unknown (recipient|address|mailbox|local)|"
            r"not (a )?(valid|known) (user|recipient|mailbox)|recipient (name )?is not recognized|"
            r"user not (exist|found)|address (not found|unknown)|"
            r"doesn't have an? .{1,40} account|recipientnotfound|bad destination mailbox|"
            r"invalid address|invalid final delivery userid|"
            r"account that you tried to reach does not exist|no valid recipients|"
            r"destinataire invalide|recipient not (found|valid)|not listed in|"
            r"unknown or illegal alias|mailbox not available|no mailbox|user \S+ does not exist|"
            r"(utilizador|usu[aá]rio) desconhecido|(usuario|destinatario) desconocido|"
            r"nieznany (u[zż]ytkownik|adresat)|(utilizator|destinatar) necunoscut",
        ),
        (
            "blocked",
            r"blacklist|blocklist|\bblocked\b|spamhaus|\bdnsbl\b|\brbl\b|"
            r"client host rejected|not accepting connections|poor reputation|refused to talk|"
            r"invalid ip for sending|service refuse|listed (at|on|in) |banned|"
            r"connection refused by|not allowed to send|messages from .{0,80} weren't sent|open relay",
        ),
        (
            "expired",
            r"retry timeout|expired|giving up|delivery time|timed? ?out|"
            r"could not deliver for|for \d+ days|cannot send message for|failing for a long time|"
            r"delivery failed \d+ attempts|did not accept our requests to connect|"
            r"host not reachable|could not find a gateway|retry time|has been delayed|"
            r"will be retried|not delivered within",
        ),
        (
            "networkerror",
            r"connection (refused|reset)|network error|no route|socket error|"
            r"could not connect|lost connection|mail loop|loop detected|hop count|too many hops|"
            r"name service error|name server reply|dns error|routing loop",
        ),
        (
            "mailererror",
            r"mailer error|command output|pipe to \||procmail|"
            r"generated during the delivery|x-unix|program error|exit \d+",
        ),
        (
            "systemerror",
            r"system error|internal error|temporarily unavailable|"
            r"service unavailable|local error|system config error|duplicated message-id|"
            r"server error|configuration error",
        ),
        ("contenterror", r"media error|content error|invalid content|illegal content"),
        (
            "securityerror",
            r"not authori[sz]ed|authentication required|access denied|security (policy|reasons)",
        ),
        ("policyviolation", r"policy"),
        ("syntaxerror", r"malformed address|syntax error|command unrecognized"),
        (
            "filtered",
            r"filtered|recipient preferences|domain filter|content filter|"
            r"recipients? (was|were) rejected",
        ),
    ]
]

# Words too general to decide alone: used only when neither stronger words nor the status say
# anything ("Recipient address rejected" prefixes every Postfix restriction).
_WEAK_REASON_WORDS: list[tuple[str, re.Pattern[str]]] = [
    (
        "userunknown",
        re.compile(
            r"(?i)recipient address rejected|does not like recipient|"
            r"please check if (the )?address is correct|address rejected"
        ),
    ),
    ("rejected", re.compile(r"(?i)rejected|rejete|refused|not a member of")),
]

# Wordings that directories (Exchange, Domino, IMail, Gmail, Office 365...) use only when they
# looked the address up and did not find it.
_DEFINITELY_UNKNOWN = re.compile(
    r"(?i)recipient name is not recognized|recipientnotfound|not listed in|"
    r"account that you tried to reach does not exist|access denied|invalid final delivery|"
    r"unknown user:|no valid recipients|user not exist|address couldn't be found|"
    r"does not exist|inactive email"
)

# RFC 3463 subject.detail to reason, for statuses that say more than the words.
_STATUS_REASONS = {
    "1.0": "userunknown",
    "1.1": "userunknown",
    "1.2": "hostunknown",
    "1.3": "userunknown",
    "1.4": "userunknown",
    "1.5": "userunknown",
    "1.6": "hasmoved",
    "1.7": "rejected",
    "1.8": "rejected",
    "1.10": "userunknown",
    "2.1": "suspend",
    "2.2": "mailboxfull",
    "2.3": "exceedlimit",
    "2.4": "systemerror",
    "3.0": "systemerror",
    "3.1": "systemfull",
    "3.2": "notaccept",
    "3.3": "systemerror",
    "3.4": "mesgtoobig",
    "3.5": "systemerror",
    "4.0": "networkerror",
    "4.1": "networkerror",
    "4.2": "networkerror",
    "4.3": "systemerror",
    "4.4": "hostunknown",
    "4.5": "systemerror",
    "4.6": "networkerror",
    "4.7": "expired",
    "5.0": "syntaxerror",
    "5.1": "syntaxerror",
    "5.2": "syntaxerror",
    "5.3": "syntaxerror",
    "5.4": "syntaxerror",
    "5.5": "syntaxerror",
    "6.0": "contenterror",
    "7.0": "securityerror",
    "7.1": "securityerror",
    "7.9": "policyviolation",
    "7.13": "suspend",
    "7.23": "authfailure",
    "7.24": "authfailure",
    "7.25": "requireptr",
    "7.26": "authfailure",
    "7.27": "authfailure",
}

# PowerMTA classifies each bounce itself (X-PowerMTA-BounceCategory); its documented classes
# are more reliable than reading the relayed words again.
_POWERMTA_CATEGORIES = {
    "bad-mailbox": "userunknown",
    "bad-domain": "hostunknown",
    "inactive-mailbox": "suspend",
    "quota-issues": "mailboxfull",
    "message-expired": "expired",
    "no-answer-from-host": "networkerror",
    "bad-connection": "networkerror",
    "routing-errors": "systemerror",
    "relaying-issues": "norelaying",
    "spam-related": "spamdetected",
    "virus-related": "virusdetected",
    "content-related": "contenterror",
    "policy-related": "policyviolation",
}

_STAGES = [
    (
        "DATA",
        re.compile(
            r"end of data|after data|final data|command\s*:?\s*data\b|"
            r"in reply to (?:end of )?data|data command|>>> data"
        ),
    ),
    (
        "RCPT",
        re.compile(
            r"rcpt to|in reply to rcpt|after rcpt|rcpt command|rcpt_to|smtp:rcpt|"
            r"does not like recipient"
        ),
    ),
    ("MAIL", re.compile(r"mail from|in reply to mail|after mail")),
    (
        "CONN",
        re.compile(r"initial connection|greeting|helo|ehlo|after connect|my name was rejected"),
    ),
]


def _smtp_stage(text: str) -> str:
    """The SMTP command the remote server refused, when the report says it."""
    text = text.lower()  # the words are written in lower case, matched without IGNORECASE
    for stage, words in _STAGES:
        if words.search(text):
            return stage
    return ""


# --- small readers ---------------------------------------------------------------------------


def _original_message_id(report: _Report, inline_original: str) -> str:
    if report.original is not None:
        value = (report.original.header("Message-ID") or "").strip().strip("<>").strip()
        if value:
            return value
    for text in (inline_original, report.text):
        if match := re.search(r"(?im)^message-id:\s*<?([^>\s]+)>?", text):
            return match.group(1)
    return ""


def _header_text(value: str | None) -> str:
    return "" if value is None else decode_words(value)


def _addresses(values: Iterable[str]) -> list[str]:
    found = getaddresses(list(values))
    return [address for address in (_clean_address(a) for _, a in found) if address]


def _addresses_in(message: MimePart, *names: str) -> set[str]:
    return {address for name in names for address in _addresses(message.headers(name))}


def _clean_address(value: str) -> str:
    value = value.strip().strip("<>").strip().strip("\"'").lower()
    match = _ADDRESS.search(value)
    if match:
        return match.group(0).strip(".")
    return value if "@" in value else ""


def _unique(items: Iterable[str]) -> list[str]:
    return [item for item in dict.fromkeys(items) if item]


def _trim(text: str, limit: int = 1000) -> str:
    return " ".join(text.split())[:limit]

"""Whether a message really comes from the address in its From: the SPF, DKIM and DMARC verdicts of
the installation's own receiving mail server, read from its ``Authentication-Results`` header
(RFC 8601) and recorded on every message, so that forged mail is marked for the agent and cannot
bring strangers into a ticket.

Only a header that names the server set in ``MAIL_AUTHSERV_ID`` counts, and only the topmost one:
each server prepends its trace headers, so anything lower down was written before the mail reached
us, possibly by the sender. RFC 8601 section 5 asks that server to remove such look-alikes anyway.
"""

import re
from dataclasses import asdict, dataclass

from django.conf import settings

# Trace headers sit at the top of a message; the header block is read no further than this.
HEADER_READ_LIMIT = 256 * 1024
# A result header longer than this, or with more results, is not one a real server writes.
RESULTS_READ_LIMIT = 8 * 1024
RESULTS_LIMIT = 50

_HEADER = re.compile(rb"^authentication-results[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.I | re.M)
_HEADERS_END = re.compile(rb"\r?\n\r?\n")
_RESULT = re.compile(r"^([a-z0-9_-]+)\s*(?:/\s*\d+\s*)?=\s*([a-z0-9_-]+)")
_PROPERTY = re.compile(r"([a-z0-9_-]+)\.([a-z0-9_.-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)")


class Reason:
    """Why a sender counts as verified or not; the timeline and the API show these."""

    DMARC_VERIFIED = "dmarc_pass"
    DKIM_ALIGNED = "dkim_aligned"
    SPF_ALIGNED = "spf_aligned"
    DMARC_FAIL = "dmarc_fail"
    NOTHING_ALIGNED = "no_pass"
    NO_RESULTS = "no_results"
    NOT_CONFIGURED = "not_configured"
    NO_SENDER = "no_sender"


@dataclass(frozen=True)
class SenderCheck:
    verified: bool
    reason: str
    spf: str = ""
    dkim: str = ""
    dmarc: str = ""

    def as_data(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Result:
    method: str
    result: str
    properties: dict[str, str]


def _without_comments(value: str) -> str:
    """The header without its (comments), which may nest; quoted strings are kept whole."""
    kept: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for character in value:
        if escaped:
            escaped = False
            if depth == 0:
                kept.append(character)
            continue
        if character == "\\":
            escaped = True
            if depth == 0:
                kept.append(character)
            continue
        if quoted:
            if character == '"':
                quoted = False
            kept.append(character)
        elif character == '"' and depth == 0:
            quoted = True
            kept.append(character)
        elif character == "(":
            depth += 1
        elif character == ")" and depth > 0:
            depth -= 1
        elif depth == 0:
            kept.append(character)
    return "".join(kept)


def parse_results(value: str) -> tuple[str, list[_Result]]:
    """The authserv-id and the results of one Authentication-Results header value."""
    value = _without_comments(" ".join(value[:RESULTS_READ_LIMIT].split()))
    sections = [section.strip() for section in value.split(";")]
    words = sections[0].split()
    authserv_id = words[0].lower() if words else ""
    results = []
    for section in sections[1 : RESULTS_LIMIT + 1]:
        lowered = section.lower()
        found = _RESULT.match(lowered)
        if found is None:
            continue  # "none" (no checks were made) or something unreadable: no verdict
        properties = {
            f"{ptype}.{name}": found_value.strip('"')
            for ptype, name, found_value in _PROPERTY.findall(lowered[found.end() :])
        }
        results.append(_Result(method=found[1], result=found[2], properties=properties))
    return authserv_id, results


def trusted_results(raw: bytes) -> list[_Result] | None:
    """The results of the topmost Authentication-Results header written by our receiving server,
    or None when there is none (or no server is trusted)."""
    wanted = settings.MAIL_AUTHSERV_ID.strip().lower()
    if not wanted:
        return None
    head = raw[:HEADER_READ_LIMIT]
    end = _HEADERS_END.search(head)
    if end is not None:
        head = head[: end.start()]
    for found in _HEADER.finditer(head):
        authserv_id, results = parse_results(found[1].decode("latin-1"))
        if authserv_id == wanted:
            return results
    return None


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(".").lower()


def _aligned(domain: str, from_domain: str) -> bool:
    """DMARC's relaxed alignment, without a public-suffix list: the same domain, or one inside the
    other when the shorter one is still a registered name (has a dot)."""
    domain = domain.strip(".").lower()
    if not domain or not from_domain:
        return False
    if domain == from_domain:
        return True
    shorter, longer = sorted((domain, from_domain), key=len)
    return "." in shorter and longer.endswith("." + shorter)


def check_sender(raw: bytes, sender_address: str | None) -> SenderCheck:
    """Whether our receiving server vouched that ``sender_address`` (the From) sent this message:
    DMARC passed for that domain, or DKIM or SPF passed for a domain aligned with it."""
    if not settings.MAIL_AUTHSERV_ID.strip():
        return SenderCheck(verified=False, reason=Reason.NOT_CONFIGURED)
    if not sender_address or "@" not in sender_address:
        return SenderCheck(verified=False, reason=Reason.NO_SENDER)
    results = trusted_results(raw)
    if results is None:
        return SenderCheck(verified=False, reason=Reason.NO_RESULTS)
    from_domain = _domain(sender_address)

    def verdict(method: str) -> str:
        found = [result.result for result in results if result.method == method]
        if "pass" in found:
            return "pass"
        return found[0] if found else ""

    summary = {"spf": verdict("spf"), "dkim": verdict("dkim"), "dmarc": verdict("dmarc")}
    for result in results:
        if result.method != "dmarc":
            continue
        header_from = result.properties.get("header.from", from_domain)
        if result.result == "pass" and _aligned(header_from, from_domain):
            return SenderCheck(verified=True, reason=Reason.DMARC_VERIFIED, **summary)
        if result.result == "fail":
            return SenderCheck(verified=False, reason=Reason.DMARC_FAIL, **summary)
    for result in results:
        if result.method == "dkim" and result.result == "pass":
            signer = result.properties.get("header.d") or _domain(
                result.properties.get("header.i", "")
            )
            if _aligned(signer, from_domain):
                return SenderCheck(verified=True, reason=Reason.DKIM_ALIGNED, **summary)
    for result in results:
        if result.method == "spf" and result.result == "pass":
            envelope = result.properties.get("smtp.mailfrom", "")
            envelope_domain = _domain(envelope) if "@" in envelope else envelope
            if _aligned(envelope_domain, from_domain):
                return SenderCheck(verified=True, reason=Reason.SPF_ALIGNED, **summary)
    return SenderCheck(verified=False, reason=Reason.NOTHING_ALIGNED, **summary)

"""Quoted history and signatures in a customer's email reply: the agent's timeline shows what the
customer wrote this time, and the history and signature fold away (the message is kept whole).

The text is read line by line, each line looked at a bounded number of times, so a long thread
costs time in proportion to its length. Rules, in the order they are tried:

* A reply header ("On … wrote:", "Em … escreveu:", "El … escribió:", "La/În … a scris:",
  "W dniu … pisze:", "… napisał(a):", "Am … schrieb …:", "Le … a écrit :", the same split over
  a few lines by mail clients, an Outlook "From:/Sent:/To:/Subject:" block in any of our
  languages, "-----Original Message-----") starts the quoted history: from there on everything
  is ``quoted``.
* A ``>`` quote block after what the customer wrote is quoted history too, unless the customer
  answers below it: then the reply is interleaved and the quotes stay in ``new`` as context
  (only their header lines fold away). Header, quote and then the customer's text at the end
  (bottom posting) shows only that text.
* A message that opens with a header and then plain text is a forward with nothing written
  above it: the forwarded message is what the customer sends us, so it is ``new`` and the
  header goes to ``header``. A forward below some text of the customer's folds like a quote.
* Signatures: the "-- " delimiter, separator rules (``____``, ``----``), "Sent from my iPhone"
  and its translations, and at the end of the text a closing formula followed by a name
  ("Pozdrawiam,\\nJan"), a dash-name ("-Ana"), the sender's own name, or a block of contact
  lines. "Thanks"-like closings count only when the sender's name follows them.
"""

import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser

logger = logging.getLogger(__name__)


def _phrases(listed: str) -> frozenset[str]:
    return frozenset(listed.split("|"))


@dataclass(frozen=True)
class ReplyText:
    """A reply split for display. Together the four parts hold every line of the message."""

    new: str  # what the customer wrote now (trimmed)
    quoted: str = ""  # the quoted history, from the reply header on ("" if none)
    signature: str = ""  # the signature block ("" if none)
    header: str = ""  # the reply or forward header a message opens with, when nothing precedes it


def split_reply(text: str, *, sender: str = "") -> ReplyText:
    """Split a plain-text reply. ``sender`` (a name, an address or "Name <address>") lets a closing
    signed with the sender's own name be recognised. Never raises."""
    try:
        return _split(text, sender)
    except Exception:  # noqa: BLE001 - a fault here must never hold back a customer's message
        logger.exception("Could not split a reply; showing it whole.")
        return ReplyText(new=text.strip())


def split_reply_html(html: str, *, sender: str = "") -> ReplyText:
    """Split an HTML reply: blockquotes become ``>`` quotes, rules and Outlook's bordered reply
    boxes become separator lines, and the text is split as plain text. Never raises."""
    try:
        text = _html_to_text(html)
    except Exception:  # noqa: BLE001 - same promise as split_reply
        logger.exception("Could not read an HTML reply; showing its text whole.")
        text = re.sub(r"<[^>]*>", " ", html)
    return split_reply(text, sender=sender)


# --- What a line looks like ----------------------------------------------------------------

# Verbs that end a reply header ("… wrote:"), in the languages our customers and their mail
# clients use. Longer forms come first so that "napisał(a)" is not cut short at "napisał".
_VERBS = (
    r"wrote|writes|has written|"
    r"escreveu|escribió|escribio|escribe|"
    r"a écrit|a ecrit|écrit|"
    r"hat geschrieben|schrieb|"
    r"napisał\(a\)|napisał/a|napisała|napisał|napisal\(a\)|napisal|napisana|pisze|"
    r"au scris|a scris|"
    r"ha scritto|scrive|"
    r"het volgende geschreven|schreef|"
    r"skrev følgende|skrev|kirjoitti|"
    r"написал\(а\)|написала|написал|пишет|пише|написав|"
    r"írta|napsal|napsala|yazdı|写道|寫道"
)
# A verb at the end of a line, matched on the line reversed: anchored at its start, one try, where
# searching the line tried every verb at each of its characters (60 ms for a 150 KB mail's lines).
_REVERSED_VERB_AT_END = re.compile(
    r"[\s:：-]*(?:"
    + "|".join(re.escape(re.sub(r"\\(.)", r"\1", verb)[::-1]) for verb in _VERBS.split("|"))
    + r")(?:[^\w]|\Z)",
    re.IGNORECASE,
)
_VERB_ANYWHERE = re.compile(rf"(?:^|[^\w])(?:{_VERBS})(?:[^\w]|$)", re.IGNORECASE)
_DIGIT_OR_AT = re.compile(r"[\d@]")
_TIME = re.compile(r"\d{1,2}[:.h]\d{2}")
_YEAR = re.compile(r"(?:^|\D)(?:19|20)\d{2}(?:\D|$)")
_ISO_DATE_START = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b")
_QUOTING_WORD = re.compile(r"^(?:quoting|citando|zitat von|cytując|citat)\b.*[:：]$", re.IGNORECASE)
# Where a reply header can begin: "On", "Em", "El", "Le", "Am", "W dniu", "La", "În", … or a
# date, or a short weekday name before one ("vin., 16 mar. 2018", "pon., 1 sty").
_OPENER = re.compile(
    r"^[\s>*_-]*(?:(?:on|em|el|le|am|il|in data|op|den|w dniu|dnia|în|in|la|at|quoting|citando)\b"
    r"|\d|[^\W\d_]{1,12}\.?,?\s+\d)",
    re.IGNORECASE,
)

_LABEL_GROUPS = {
    "from": (
        "from|de la|de|von|van|da|od|fra|från|от|lähettäjä|feladó|kimden|expéditeur|remitente|"
        "absender|nadawca|expeditor|mittente|afzender|avsändare|afsender|发件人|寄件者|差出人"
    ),
    "date": (
        "sent|date|enviado em|enviado el|enviado|enviada|data|fecha|envoyé le|envoyé|gesendet|"
        "datum|verzonden|inviato|wysłano|wysłane|sendt|skickat|dato|отправлено|дата|trimis|"
        "dată|lähetetty|päivämäärä|elküldve|dátum|gönderilme|tarih|发送时间|日期|送信日時|message du"
    ),
    "to": (
        "to|para|a|à|an|aan|do|til|till|кому|către|catre|pentru|vastaanottaja|címzett|kime|"
        "收件人|宛先|cc|copie à|copia|kopia|kopie|dw|копия|reply-to|risposta|répondre à|"
        "on behalf of"
    ),
    "subject": (
        "subject|assunto|asunto|objet|sujet|betreff|onderwerp|oggetto|temat|emne|ämne|тема|"
        "subiect|aihe|tárgy|konu|主题|件名"
    ),
}
_LABEL = re.compile(
    r"^[ \t]*[*_]{0,2}(?:"
    + "|".join(f"(?P<{group}>{words})" for group, words in _LABEL_GROUPS.items())
    + r")[*_]{0,2}[ \t]*[:：]",
    re.IGNORECASE,
)

# "-----Original Message-----", "---------- Forwarded message ---------" and their translations.
_SEPARATOR_WORDS = re.compile(
    r"original|origine|ursprüngliche|oryginalna|oprindelig|opprinnelig|ursprungligt|"
    r"oorspronkelijk|alkuperäinen|исходное|původní|eredeti|forward|reenviado|encaminhada|"
    r"reencaminhada|transféré|weitergeleitete|przekazana|przekazywanej|redirecționat|"
    r"redirectionat|transmis|inoltrato|doorgestuurd|videresendt|vidarebefordrat|välitetty|"
    r"пересланное",
    re.IGNORECASE,
)
_DASHED_PHRASE = re.compile(r"^[*_\s]*-{2,}\s*(?P<phrase>[^-].{0,60}?)\s*-{2,}[*_\s]*$")
_FORWARD_LINE = re.compile(
    r"^(?:begin forwarded message|início da mensagem reencaminhada|mensagem encaminhada|"
    r"inicio del mensaje reenviado|comienzo del mensaje reenviado|mensaje reenviado|"
    r"début du message réexpédié|début du message transféré|message transféré|"
    r"anfang der weitergeleiteten nachricht|weitergeleitete nachricht|"
    r"początek przekazywanej wiadomości|przekazana wiadomość|"
    r"începutul mesajului redirecționat|mesaj redirecționat|inizio messaggio inoltrato)\s*[:：]?$",
    re.IGNORECASE,
)

_QUOTE = re.compile(r"^[ \t]*(?:>|[A-Za-z]{1,3}>)")
# "<ana@example.com\n>:" and "<\nmailto:…\n> wrote:": a client wrapped a header inside an
# address, and the ">" that closes the address starts a line without quoting anything.
_WRAPPED_HEADER_END = re.compile(
    rf"^[ \t]*>[ \t]*[)\]]?[ \t]*(?:(?:{_VERBS})[ \t]*)?[:：][ \t]*$", re.IGNORECASE
)
_QUOTE_MARKS = re.compile(r"^(?:[ \t]*(?:>|[A-Za-z]{1,3}>))+[ \t]?")
_RULE_CHARS = frozenset("-_=*~#+—–ᐧ ")  # ᐧ: the mark some mail trackers append to a message
_SIG_DASH = re.compile(r"^--[ \t]*$")

# "Sent from my iPhone" and its kin, in the languages of our customers and of common apps.
_DEVICE_LINE = re.compile(
    r"^[(<\s]*(?:"
    r"sent (?:from|with|via|using|by)\b|get outlook for\b|from my (?:iphone|ipad|android|mobile)|"
    r"enviado (?:do|desde|de|a partir do|a partir de|via|com|con)\b|"
    r"envoyé (?:depuis|de|à partir de|a partir de|avec|via)\b|"
    r"trimis (?:de pe|din|cu|de la)\b|"
    r"wysłan[eoa] (?:z|ze|przy|za pomocą)\b|"
    r"von meinem\b|gesendet (?:von|mit|vom|über)\b|diese nachricht wurde von meinem\b|"
    r"verzonden (?:met|vanaf|van)\b|verstuurd (?:met|vanaf|van)\b|"
    r"sendt fra\b|skickat från\b|lähetetty\b|inviato da\b|inviato dal\b|отправлено (?:с|из)\b|"
    r"发自我的|從我的|iphoneから送信"
    r")",
    re.IGNORECASE,
)
_SENT_FROM_MY = re.compile(r"^sent from my\s+(?P<rest>.*)$", re.IGNORECASE)
_DEVICE_WORDS = _phrases(
    "iphone|ipad|ipod|android|blackberry|mobile|phone|cell|cellphone|smartphone|samsung|galaxy|"
    "htc|windows|huawei|xiaomi|pixel|nokia|sony|motorola|tablet|device|watch|apple"
)

# Closing formulas: the line is one of these, perhaps with trailing punctuation or an emoji.
_CLOSINGS = _phrases(
    "regards|best regards|kind regards|warm regards|warmest regards|kindest regards|"
    "with regards|with best regards|with kind regards|best wishes|all the best|best|cheers|"
    "sincerely|yours sincerely|sincerely yours|yours truly|yours faithfully|respectfully|"
    "take care|"
    "cumprimentos|com os melhores cumprimentos|melhores cumprimentos|os melhores cumprimentos|"
    "atenciosamente|atentamente|abraços|abraço|um abraço|saudações|cordialmente|"
    "saludos|un saludo|saludos cordiales|un cordial saludo|reciba un cordial saludo|un abrazo|"
    "cu stimă|cu stima|cu respect|cu drag|toate cele bune|numai bine|salutări|salutari|"
    "pozdrawiam|z poważaniem|z powazaniem|serdecznie pozdrawiam|pozdrowienia|"
    "łączę pozdrowienia|z wyrazami szacunku|"
    "mit freundlichen grüßen|mit freundlichen grüssen|freundliche grüße|freundliche grüsse|"
    "viele grüße|viele grüsse|beste grüße|liebe grüße|herzliche grüße|gruß|grüße|lg|mfg|"
    "cordialement|bien cordialement|bien à vous|salutations|meilleures salutations|"
    "sincères salutations|amicalement|bonne journée|"
    "cordiali saluti|distinti saluti|saluti|"
    "met vriendelijke groet|met vriendelijke groeten|vriendelijke groet|groeten|groet|mvg|"
    "med venlig hilsen|venlig hilsen|vennlig hilsen|med vennlig hilsen|hilsen|mvh|kh|"
    "med vänlig hälsning|vänliga hälsningar|hälsningar"
)
# These close a message too, but just as often are the message; only the sender's name after
# them makes them a signature.
_THANKS = _phrases(
    "thanks|thank you|many thanks|thanks again|thx|obrigado|obrigada|muito obrigado|"
    "muito obrigada|gracias|muchas gracias|mulțumesc|multumesc|mulțumim|dziękuję|dziekuje|"
    "dzięki|danke|vielen dank|danke schön|merci|merci beaucoup|grazie|bedankt|dank je|tak"
)
_DISCLAIMER = re.compile(
    r"confidential|intended recipient|vertraulich|confidencial|confidențial|confidentiel|"
    r"poufn|riservat|destinatário|destinatario|destinataire|empfänger|adresat|destinatarul",
    re.IGNORECASE,
)
_DASH_NAME = re.compile(r"^[-/–—][^\W\d_][\w.'’-]*(?: [^\W\d_][\w.'’-]*){0,2}$")
_NAME_LIKE = re.compile(r"^[^\W\d_][\w'’.-]*(?: [^\W\d_][\w'’.-]*){1,3}$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_PHONE = re.compile(r"\+?\(?\d[\d ()./-]{6,}\d")

_LONGEST_HEADER_LINE = 1000
_LONGEST_HEADER = 600
_HEADER_WINDOW = 4  # mail clients wrap a header over at most this many lines
_LONGEST_LABEL_BLOCK = 16  # "From:", "Sent:", "To:", "Cc:", "Subject:" and their wrapped values
_LONGEST_SIGNATURE = 30  # lines


def _clean(line: str) -> str:
    return line.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "").strip()


def _is_rule(clean: str) -> bool:
    return (len(clean) >= 2 or clean == "ᐧ") and set(clean) <= _RULE_CHARS


def _wrote_header(joined: str) -> bool:
    """Whether a line, or lines joined by spaces, read as a reply header."""
    if len(joined) > _LONGEST_HEADER:
        return False
    has_address = "@" in joined
    has_time = bool(_TIME.search(joined))
    if _ends_with_verb(joined):
        return has_address or any(ch.isdigit() for ch in joined)
    ends_with_colon = joined.endswith((":", "："))
    if ends_with_colon and _VERB_ANYWHERE.search(joined):
        return has_address or has_time
    if ends_with_colon and re.search(r"[>)\]][\s)]*[:：]$", joined):
        # "2017-11-24 16:32 GMT+01:00 Ana <ana@example.com>:", "ср, 30 апр. 2025 г. в 15:19, …:"
        return has_address and (has_time or bool(_YEAR.search(joined)))
    if _ISO_DATE_START.match(joined) and len(joined) < 200:
        # Gmail's older "2013/7/20 Ana via Forum <forum@example.com>" without a colon.
        return has_address or "GMT" in joined
    return bool(_QUOTING_WORD.match(joined))


def _forward_or_original(clean: str) -> bool:
    if _FORWARD_LINE.match(clean.strip("*_ ")):
        return True
    dashed = _DASHED_PHRASE.match(clean)
    return bool(dashed and _SEPARATOR_WORDS.search(dashed.group("phrase")))


def _label_group(clean: str) -> str | None:
    match = _LABEL.match(clean)
    if not match:
        return None
    return match.lastgroup


# --- Reading the message ---------------------------------------------------------------------


class _Layout:
    """Per-line facts about a message, each computed in one pass."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.clean = [_clean(line) for line in lines]
        n = len(lines)
        self.blank = [not c for c in self.clean]
        self.fenced = [False] * n
        inside = False
        for i, c in enumerate(self.clean):
            if c.startswith("```"):
                self.fenced[i] = True
                inside = not inside
            else:
                self.fenced[i] = inside
        self.quote = [
            not self.fenced[i]
            and bool(_QUOTE.match(lines[i].replace("\u00a0", " ")))
            and not (len(lines[i]) < 200 and _WRAPPED_HEADER_END.match(lines[i]))
            for i in range(n)
        ]
        self.plain = [not (self.blank[i] or self.quote[i]) for i in range(n)]
        self.headerable = [
            self.plain[i] and not self.fenced[i] and len(self.clean[i]) <= _LONGEST_HEADER_LINE
            for i in range(n)
        ]
        # Every header has a digit (a date, a time) or an address somewhere in its lines.
        self.dated = [bool(_DIGIT_OR_AT.search(c)) for c in self.clean]
        self.label = [
            _label_group(c) if self.headerable[i] and (":" in c[:40] or "：" in c[:40]) else None
            for i, c in enumerate(self.clean)
        ]
        self.next_nonblank = [n] * (n + 1)
        for i in range(n - 1, -1, -1):
            self.next_nonblank[i] = i if not self.blank[i] else self.next_nonblank[i + 1]
        self.last_quote = max((i for i in range(n) if self.quote[i]), default=-1)
        self.header_end: dict[int, int] = {}
        self._find_wrote_headers()
        self._find_separators()
        self._find_label_blocks()
        self._absorb_rules_above_headers()
        self._signature_kinds: dict[int, str | None] = {}

    def nonblank_after(self, i: int) -> int | None:
        k = self.next_nonblank[min(i, len(self.lines))]
        return k if k < len(self.lines) else None

    def _add_header(self, start: int, end: int) -> None:
        if end > self.header_end.get(start, -1):
            self.header_end[start] = end

    def _find_wrote_headers(self) -> None:
        dated_before = [0]
        for dated in self.dated:
            dated_before.append(dated_before[-1] + dated)
        for j, clean in enumerate(self.clean):
            reach = max(0, j - _HEADER_WINDOW - 1)
            if dated_before[j + 1] == dated_before[reach] and not _QUOTING_WORD.match(clean):
                continue
            if not self.headerable[j] or not _could_end_header(clean):
                continue
            window, k = [], j
            while k >= 0 and len(window) < _HEADER_WINDOW + 1 and j - k < _HEADER_WINDOW + 2:
                if not self.blank[k]:
                    if not self.headerable[k]:
                        break
                    window.append(k)
                k -= 1
            start = self._header_start(window[::-1], j)
            if start is not None:
                self._add_header(start, j)

    def _header_start(self, window: list[int], end: int) -> int | None:
        """Where the header ending at ``end`` starts, among the non-blank lines just above it.
        A header is preferably the nearest line that opens like one ("On …", "Em …", a date),
        so that text above it stays the reply's; blank lines inside are tolerated only then."""

        def joined(k: int) -> str:
            return " ".join(self.clean[m] for m in range(k, end + 1) if not self.blank[m])

        # A header ends at its first line ending with a colon, so no line above the end may.
        window = window[
            next(
                (
                    p + 1
                    for p in range(len(window) - 2, -1, -1)
                    if self.clean[window[p]].endswith((":", "："))
                ),
                0,
            ) :
        ]

        def unbroken(k: int) -> bool:
            return not any(self.blank[m] for m in range(k, end + 1))

        openers = [
            k
            for k in window
            if _OPENER.match(self.clean[k])
            and (k == end or not self.clean[k].endswith((".", "!", "?")))  # not a sentence
            and _wrote_header(joined(k))
        ]
        # Blank lines inside a header are a last resort.
        choice = [k for k in openers if unbroken(k)] or openers
        if choice:
            k = choice[-1]
            # "On Nov 21, 2014,\nat 10:18,\nAna <…> wrote:": the header goes on after a comma.
            while k - 1 in choice and self.clean[k - 1].endswith(","):
                k -= 1
            return k
        for k in window:  # no opener: the header is a paragraph of its own
            if unbroken(k) and (k == 0 or self.blank[k - 1]) and _wrote_header(joined(k)):
                return k
        return end if _wrote_header(self.clean[end]) else None

    def _find_label_blocks(self) -> None:
        n = len(self.lines)
        next_from = [n] * (n + 1)
        for i in range(n - 1, -1, -1):
            next_from[i] = i if self.label[i] == "from" else next_from[i + 1]
        i = 0
        while i < n:
            group = self.label[i]
            if group is None or next_from[i] - i > _LONGEST_LABEL_BLOCK:
                i += 1
                continue
            groups, last, k, loose = {group}, i, i + 1, 0
            while k < n and k - i < _LONGEST_LABEL_BLOCK and self.headerable[k] and loose <= 2:
                if self.label[k] is None:
                    loose += 1  # a value wrapped onto the next line
                else:
                    groups.add(self.label[k])
                    last, loose = k, 0
                k += 1
            block = " ".join(self.clean[i : last + 1])
            above = self._nonblank_before(i)
            ruled = above is not None and (_is_rule(self.clean[above]) or above in self.header_end)
            if (
                "from" in groups
                and len(groups) >= 2
                and ("subject" in groups or "@" in block or ruled)
            ):
                self._add_header(i, last)
                i = last + 1
            else:
                i += 1

    def _find_separators(self) -> None:
        for i, clean in enumerate(self.clean):
            if (
                self.headerable[i]
                and len(clean) < 120
                and ("--" in clean or clean.endswith((":", "：")))
                and _forward_or_original(clean)
            ):
                self._add_header(i, i)

    def _nonblank_before(self, i: int) -> int | None:
        k = i - 1
        while k >= 0 and self.blank[k] and i - k <= 3:
            k -= 1
        return k if k >= 0 and not self.blank[k] else None

    def _absorb_rules_above_headers(self) -> None:
        for start in sorted(self.header_end):
            above = self._nonblank_before(start)
            if above is not None and self.plain[above] and _is_rule(self.clean[above]):
                self._add_header(above, self.header_end[start])

    def signature_kind(self, i: int) -> str | None:
        """What kind of signature line ``i`` is, if any: "dash", "rule" or "device". Asked of the
        lines near the new text only, so found when asked (a reply above 1,600 quoted lines spent
        most of its reading on the quoted ones)."""
        if i not in self._signature_kinds:
            self._signature_kinds[i] = self._signature_kind(i)
        return self._signature_kinds[i]

    def _signature_kind(self, i: int) -> str | None:
        if not self.plain[i] or self.fenced[i]:
            return None
        clean = self.clean[i]
        if _SIG_DASH.match(self.lines[i].strip()):
            return "dash"
        if _is_rule(clean):
            # A rule right under a line of text underlines a heading (Markdown); one above more
            # prose separates parts of the text. Above a name, a footer or a disclaimer it signs.
            underline = i > 0 and self.plain[i - 1] and set(clean) <= set("-=")
            below = self.nonblank_after(i + 1)
            prose = (
                below is not None
                and self.plain[below]
                and _prose(self.clean[below])
                and not _DISCLAIMER.search(self.clean[below])
            )
            return None if underline or prose else "rule"
        if _device_line(clean):
            return "device"
        return None

    def quote_block_end(self, i: int) -> int:
        """The last line of the quote block at ``i``: quote lines, the blank lines between them,
        and lines a client wrapped without the quote mark (text between two quote lines)."""
        n, end, k = len(self.lines), i, i + 1
        while k < n:
            if self.quote[k]:
                end, k = k, k + 1
            elif self.blank[k] or self.quote[k - 1] and k + 1 < n and self.quote[k + 1]:
                k += 1
            else:
                break
        return end

    def opens_with_header(self, i: int) -> bool:
        """Whether the quote block at ``i`` is quoted history that starts with its own header."""
        first = _clean(_QUOTE_MARKS.sub("", self.lines[i]))
        if len(first) > _LONGEST_HEADER:
            return False
        return (
            _wrote_header(first) or _forward_or_original(first) or _label_group(first) is not None
        )


def _could_end_header(clean: str) -> bool:
    return bool(
        clean.endswith((":", "：")) or _ISO_DATE_START.match(clean) or _ends_with_verb(clean)
    )


def _ends_with_verb(text: str) -> bool:
    """Whether ``text`` ends with one of _VERBS as a word, then only spaces, colons or dashes."""
    return _REVERSED_VERB_AT_END.match(text[::-1]) is not None


def _device_line(clean: str) -> bool:
    if len(clean) > 160 or not _DEVICE_LINE.match(clean):
        return False
    words = _URL.sub("", clean).split()
    if len(words) > 12:
        return False
    sent_from_my = _SENT_FROM_MY.match(clean)
    if sent_from_my:
        rest = sent_from_my.group("rest")
        first_word = re.split(r"[\s,.;]", rest, maxsplit=1)[0].casefold()
        if first_word not in _DEVICE_WORDS:
            # "Sent from my desk, which is easier" is prose; "Sent from my Wiko RIDGE" is not.
            return len(words) <= 7 and "," not in rest
    return True


# --- Splitting -------------------------------------------------------------------------------

_NEW, _QUOTED, _SIGNATURE, _HEADER = range(4)


def _split(text: str, sender: str) -> ReplyText:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    layout = _Layout(lines)
    role = [_NEW] * len(lines)
    start = _take_opening_header(layout, role)
    if start is not None:
        _scan(layout, role, start, header_above=_HEADER in role[:start])
    _fold_closing(layout, role, sender)
    parts = {r: _join(lines, role, r) for r in (_NEW, _QUOTED, _SIGNATURE, _HEADER)}
    new, signature = parts[_NEW], parts[_SIGNATURE]
    if not new and signature and not parts[_QUOTED]:
        new, signature = signature, ""  # a message that is only a signature is still a message
    return ReplyText(new=new, quoted=parts[_QUOTED], signature=signature, header=parts[_HEADER])


def _join(lines: list[str], role: list[int], wanted: int) -> str:
    """The lines of one part, without blank lines at its ends or spaces after its last line."""
    part = [line for line, r in zip(lines, role, strict=True) if r == wanted]
    start, end = 0, len(part)
    while start < end and not part[start].strip():
        start += 1
    while end > start and not part[end - 1].strip():
        end -= 1
    return "\n".join(part[start:end]).rstrip()


def _mark(role: list[int], start: int, end: int, value: int) -> None:
    for i in range(start, end + 1):
        role[i] = value


def _take_opening_header(layout: _Layout, role: list[int]) -> int | None:
    """Marks the headers a message opens with when plain text follows them (a forward, or a
    client that puts the header on top) and says where the message proper starts."""
    first = layout.nonblank_after(0)
    if first is None:
        return None
    k, last_end = first, None
    while k is not None and k in layout.header_end:
        last_end = layout.header_end[k]
        k = layout.nonblank_after(last_end + 1)
    if last_end is None:
        return first
    if k is None:
        _mark(role, first, len(role) - 1, _QUOTED)
        return None
    if layout.quote[k]:
        return first  # header and quote: bottom posting or an interleaved reply, see _scan
    _mark(role, first, last_end, _HEADER)
    return k


def _own_text(layout: _Layout, k: int | None) -> bool:
    return (
        k is not None
        and layout.plain[k]
        and k not in layout.header_end
        and layout.signature_kind(k) is None
    )


def _scan(layout: _Layout, role: list[int], start: int, *, header_above: bool) -> None:
    n = len(layout.lines)
    wrote_something = False
    header_folded = header_above
    i = start
    while i < n:
        if layout.blank[i]:
            i += 1
        elif i in layout.header_end and not layout.fenced[i]:
            end = layout.header_end[i]
            k = layout.nonblank_after(end + 1)
            if k is not None and layout.quote[k]:
                after = layout.nonblank_after(layout.quote_block_end(k) + 1)
                if _own_text(layout, after):
                    # The customer answers between the quotes: keep them, fold the header.
                    _mark(role, i, end, _QUOTED)
                    header_folded = True
                    i = end + 1
                    continue
            _fold_history(layout, role, i)
            return
        elif layout.quote[i]:
            end = layout.quote_block_end(i)
            after = layout.nonblank_after(end + 1)
            if _own_text(layout, after):
                if not wrote_something and header_folded and layout.last_quote <= end:
                    _mark(role, i, end, _QUOTED)  # bottom posting: header, quote, then the reply
                i = end + 1
                continue
            if not wrote_something and not header_folded and not layout.opens_with_header(i):
                i = end + 1  # the whole message is a quote; it is what the customer sent
                continue
            _fold_history(layout, role, i)
            return
        elif layout.signature_kind(i) is not None:
            _fold_signature(layout, role, i)
            return
        else:
            wrote_something = True
            i += 1


def _fold_signature(layout: _Layout, role: list[int], start: int) -> None:
    n = len(layout.lines)
    k = start + 1
    while k < n and not layout.quote[k] and not (k in layout.header_end and not layout.fenced[k]):
        k += 1
    _mark(role, start, k - 1, _SIGNATURE)
    if k < n:
        _fold_history(layout, role, k)


def _fold_history(layout: _Layout, role: list[int], start: int) -> None:
    """Everything from ``start`` on is history, except a signature of the customer's own below
    a ``>`` quote (they signed under the quote they left in)."""
    n = len(layout.lines)
    _mark(role, start, n - 1, _QUOTED)
    last_quote = layout.last_quote
    if last_quote < start:
        return
    below = layout.nonblank_after(last_quote + 1)
    if below is None or layout.signature_kind(below) not in ("dash", "device"):
        return
    for k in range(start, last_quote + 1):
        if layout.plain[k] and not _inside_header(layout, k, start):
            return  # unquoted history (Outlook style): the signature is part of it
    if any(k in layout.header_end for k in range(below, n)):
        return
    _mark(role, below, n - 1, _SIGNATURE)


def _inside_header(layout: _Layout, k: int, start: int) -> bool:
    for s in range(max(start, k - _LONGEST_LABEL_BLOCK), k + 1):
        if s in layout.header_end and layout.header_end[s] >= k:
            return True
    # A quoted line the client wrapped without repeating the quote mark.
    return layout.quote[k - 1] and k + 1 < len(layout.lines) and layout.quote[k + 1]


# --- Closings at the end of what the customer wrote ------------------------------------------


def _words(clean: str) -> str:
    """The line without punctuation or emoji at its ends, folded for comparison."""
    return re.sub(r"^[^\w]+|[^\w)]+$", "", clean).casefold()


def _sender_names(sender: str) -> set[str]:
    name = re.sub(r"<[^>]*>", "", sender).strip().strip("\"'")
    if "@" in name:
        return set()
    names = {name.casefold()} if name else set()
    parts = name.split()
    if parts and len(parts[0]) >= 2:
        names.add(parts[0].casefold())
    return names


def _prose(clean: str) -> bool:
    return len(clean) > 100 or (len(clean.split()) >= 5 and clean.endswith((".", "!", "?")))


def _signature_like(clean: str) -> bool:
    if len(clean) > 300 or (len(clean) > 100 and not _URL.search(clean)):
        return False
    if clean.endswith("?") or re.match(r"^p\.?\s?s\.?\b", clean, re.IGNORECASE):
        return False
    return not (len(clean.split()) >= 10 and clean.endswith((".", "!")))


def _fold_closing(layout: _Layout, role: list[int], sender: str) -> None:
    own = [i for i in range(len(role)) if role[i] == _NEW]
    # Only the text after the last quote kept in an interleaved reply can be a closing.
    last_kept_quote = max((q for q in own if layout.quote[q]), default=-1)
    tail = [i for i in own if i > last_kept_quote]
    text_lines = [i for i in tail if not layout.blank[i]]
    if len(text_lines) < 2:
        return
    start = _closing_start(layout, text_lines, _sender_names(sender))
    if start is None:
        start = _contact_block_start(layout, text_lines)
    if start is not None:
        for i in tail:
            if i >= start:
                role[i] = _SIGNATURE


def _closing_start(layout: _Layout, text_lines: list[int], names: set[str]) -> int | None:
    suffix = len(text_lines)
    while suffix > 0 and len(text_lines) - suffix < _LONGEST_SIGNATURE:
        if not _signature_like(layout.clean[text_lines[suffix - 1]]):
            break
        suffix -= 1
    for pos in range(max(suffix, 1), len(text_lines)):
        line, after = text_lines[pos], text_lines[pos + 1 :]
        clean, words = layout.clean[line], _words(layout.clean[line])
        signed = bool(after) and _words(layout.clean[after[0]]) in names
        # "Regards,\nAna" closes; "Regards,\n\nAna" only with more lines (a signature block),
        # since a lone name after a blank line is as often the end of the text.
        closing = words in _CLOSINGS and bool(after)
        closing = closing and (not layout.blank[line + 1] or len(after) >= 2)
        if (
            closing
            or (words in _THANKS and signed)
            or words in names
            or (_DASH_NAME.match(clean) and not after)
            # a name over a phone number, an address, a web page
            or (_NAME_LIKE.match(clean) and _contacts(layout, after[:10]) >= 2)
        ):
            return line
    return None


def _contacts(layout: _Layout, lines: list[int]) -> int:
    return sum(
        1
        for i in lines
        if _EMAIL.search(layout.clean[i])
        or _URL.search(layout.clean[i])
        or _PHONE.search(layout.clean[i])
    )


def _contact_block_start(layout: _Layout, text_lines: list[int]) -> int | None:
    """A last paragraph of short lines with contact details, under some text: a signature."""
    size = 1
    while size < min(9, len(text_lines)) and text_lines[-size - 1] == text_lines[-size] - 1:
        size += 1
    block = text_lines[-size:]
    if not 2 <= size <= 8 or size == len(text_lines):
        return None
    cleans = [layout.clean[i] for i in block]
    if cleans[0].endswith((":", "?")) or any(len(c) > 60 for c in cleans):
        return None
    return block[0] if _contacts(layout, block) >= 2 else None


# --- HTML ----------------------------------------------------------------------------------

_BLOCK_TAGS = _phrases(
    "p|div|table|tr|ul|ol|li|dl|dt|dd|h1|h2|h3|h4|h5|h6|pre|section|article|header|footer|"
    "address|center|form|fieldset"
)
_SKIPPED_TAGS = _phrases("style|script|head|title|xml")
_QUOTE_CONTAINERS = re.compile(
    r"divRplyFwdMsg|OLK_SRC_BODY_SECTION|yahoo_quoted|appendonsend|mail-editor-reference-message",
    re.IGNORECASE,
)
_SEPARATOR_LINE = "_" * 32


class _TextOfHtml(HTMLParser):
    """Text of an HTML message laid out as a mail client would show it in plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.depth = 0  # blockquote nesting
        self.skipping = 0
        self.preformatted = 0
        self.spaced = False  # the current line holds a no-break space

    def _break(self, *, hard: bool = False) -> None:
        text = re.sub(r"[ \t]+", " ", "".join(self.current)).strip()
        # Whitespace between tags is layout; a paragraph holding only &nbsp; is a blank line.
        if text or hard or self.spaced:
            self.lines.append("> " * self.depth + text if self.depth else text)
        self.current, self.spaced = [], False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
            return
        marks = " ".join(value or "" for name, value in attrs if name in ("id", "class", "style"))
        if tag == "br":
            self._break(hard=True)
        elif tag == "hr":
            self._break()
            self.lines.append(_SEPARATOR_LINE)
        elif tag == "blockquote":
            self._break()
            self.depth += 1
        elif tag in _BLOCK_TAGS:
            self._break()
        if tag == "pre":
            self.preformatted += 1
        if (tag in ("div", "span") and _QUOTE_CONTAINERS.search(marks)) or re.search(
            r"border-top\s*:\s*solid|border-top-style\s*:\s*solid", marks, re.IGNORECASE
        ):
            self._break()
            self.lines.append(_SEPARATOR_LINE)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "blockquote":
            self._break()
            self.depth = max(0, self.depth - 1)
        elif tag in _BLOCK_TAGS:
            self._break()
        if tag == "pre":
            self.preformatted = max(0, self.preformatted - 1)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.preformatted:
            pieces = data.split("\n")
            for piece in pieces[:-1]:
                self.current.append(piece)
                self._break(hard=True)
            self.current.append(pieces[-1])
        else:
            self.spaced = self.spaced or "\u00a0" in data
            self.current.append(re.sub(r"\s+", " ", data.replace("\u00a0", " ")))

    def text(self) -> str:
        self._break()
        out: list[str] = []
        for line in self.lines:
            blank = not line.strip(" >")
            if blank and out and not out[-1].strip(" >"):
                continue  # layout spacing, not content
            out.append(line.rstrip())
        return "\n".join(out).strip("\n")


def _html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return parser.text()

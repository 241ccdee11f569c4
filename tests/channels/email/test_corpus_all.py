"""Every raw mail of the shared corpus (about 1,100 files from ten projects: bounces, spam, MIME
torture tests, broken encodings) is read without the parser failing inside."""

import re

from attenda.channels.email.parsing import ParsedMail, parse_message, read_head
from tests.corpus import corpus_path

NOT_MAIL = {".yml", ".json", ".md"}
# What parse_message and its per-part guard write when an exception escaped the parsing code.
INTERNAL_FAILURE = re.compile(r"could not be read \(\w+\(")
MBOX_SEPARATOR = re.compile(rb"^From [^\r\n]*\r?\n", re.MULTILINE)


def _failures(name: str, parsed: ParsedMail) -> list[str]:
    return [f"{name}: {problem}" for problem in parsed.problems if INTERNAL_FAILURE.search(problem)]


def test_every_corpus_mail_is_read_without_an_internal_failure():
    root = corpus_path("email")
    files = sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and path.suffix not in NOT_MAIL and path.name != ".gitattributes"
    )
    failures: list[str] = []

    for path in files:
        failures += _failures(str(path.relative_to(root)), parse_message(path.read_bytes()))

    assert len(files) > 1000
    assert failures == []


def test_every_message_of_the_sisimai_mbox_files_is_read():
    mailbox = corpus_path("email", "sisimai-set-of-emails", "mailbox")
    messages = [
        message
        for path in sorted(mailbox.iterdir())
        for message in MBOX_SEPARATOR.split(path.read_bytes())
        if message.strip()
    ]
    failures: list[str] = []

    for number, message in enumerate(messages):
        parsed = parse_message(message)
        failures += _failures(f"mbox message {number}", parsed)
        failures += [] if parsed.sender else [f"mbox message {number}: no sender"]

    assert len(messages) >= 37
    assert failures == []


def test_simply_written_address_lists_are_read_as_the_full_reader_reads_them(monkeypatch):
    from attenda.channels.email import parsing

    headers = []
    for path in sorted(corpus_path("email").rglob("*")):
        if not path.is_file() or path.suffix in NOT_MAIL or path.name == ".gitattributes":
            continue
        raw = path.read_bytes()
        top = parsing._read_entity(raw, 0, len(raw), top=True)
        for name in ("from", "to", "cc", "reply-to"):
            headers += [
                parsing.header_text(value, name, [], top.charsets) for value in top.all_raw(name)
            ]
    quick = {text: parsing.parse_addresses(text) for text in headers}
    monkeypatch.setattr(parsing, "_simple_addresses", lambda text: None)

    differing = [text for text in headers if parsing.parse_addresses(text) != quick[text]]

    assert len(headers) > 2000
    assert differing == []


def test_every_corpus_mail_s_head_names_the_message_and_its_sender_as_its_parsing_does():
    """A costly mail is kept under the Message-ID its head names (``read_head``); a second delivery
    of it, read whole, must be known as the same message."""
    root = corpus_path("email")
    files = [
        path
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix not in NOT_MAIL and path.name != ".gitattributes"
    ]
    differ: list[str] = []

    for path in files:
        raw = path.read_bytes()
        head, parsed = read_head(raw), parse_message(raw)
        if (head.message_id, head.sender) != (parsed.message_id, parsed.sender):
            differ.append(str(path.relative_to(root)))
        elif not parsed.subject.startswith(head.subject):
            differ.append(f"{path.relative_to(root)}: subject")

    assert differ == []

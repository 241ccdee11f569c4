"""Bounce reading measured against sisimai's set of real bounces (corpus/SOURCES.md explains the
expectations): a file is right when every recipient sisimai lists is found, in order, with the
same DSN status (when sisimai gives one) and the same hard/soft class.

Auto-replies (sisimai's "vacation", the rfc3834-* files) are not bounces for Attenda: they count
as right when read_bounce returns None and automatic_reason recognises them."""

import json
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

import pytest

from attenda.channels.email.automatic import automatic_reason
from attenda.channels.email.bounces import BounceClass, read_bounce
from tests.corpus import corpus_path

BAR = 0.90


@dataclass
class Score:
    files: int = 0
    files_right: int = 0
    recipients: int = 0
    recipients_right: int = 0
    wrong: list[str] = field(default_factory=list)

    def line(self, name: str) -> str:
        return (
            f"sisimai {name}: files {self.files_right}/{self.files} = "
            f"{self.files_right / self.files:.1%}, recipients {self.recipients_right}/"
            f"{self.recipients} = {self.recipients_right / self.recipients:.1%}"
        )


def _expectations() -> dict[str, list[dict]]:
    path = corpus_path("email", "sisimai-set-of-emails", "expected-bsd.json")
    return json.loads(path.read_text())


def _folder(variant: str) -> Path:
    return corpus_path("email", "sisimai-set-of-emails", "maildir", variant)


def _same_lines(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _expected_for_variants(expectations: dict[str, list[dict]]) -> dict[bytes, str]:
    """The dos/ and mac/ copies keep the bsd names, except a few renamed upstream: a copy is
    matched to its bsd original by content first, by name second."""
    bsd = _folder("bsd")
    return {_same_lines((bsd / name).read_bytes()): name for name in expectations}


def _score_file(raw: bytes, expected: list[dict], score: Score, name: str) -> None:
    score.files += 1
    bounce = read_bounce(raw)
    if expected[0]["reason"] == "vacation":
        headers = BytesParser(policy=compat32).parsebytes(_same_lines(raw), headersonly=True)
        right = bounce is None and automatic_reason(headers) is not None
        score.recipients += len(expected)
        score.recipients_right += len(expected) if right else 0
        score.files_right += right
        if not right:
            score.wrong.append(name)
        return
    found = bounce.recipients if bounce else []
    file_right = len(found) == len(expected)
    for index, wanted in enumerate(expected):
        score.recipients += 1
        got = found[index] if index < len(found) else None
        right = (
            got is not None
            and (not wanted["status"] or got.status == wanted["status"])
            and (got.bounce_class == BounceClass.HARD) == wanted["hardbounce"]
        )
        score.recipients_right += right
        file_right = file_right and right
    score.files_right += file_right
    if not file_right:
        score.wrong.append(name)


def _score(variant: str) -> tuple[Score, list[str]]:
    expectations = _expectations()
    by_content = _expected_for_variants(expectations) if variant != "bsd" else {}
    score = Score()
    unscored = []
    for path in sorted(_folder(variant).glob("*.eml")):
        raw = path.read_bytes()
        name = by_content.get(_same_lines(raw)) or (path.name if path.name in expectations else "")
        if not name:
            unscored.append(path.name)
            continue
        _score_file(raw, expectations[name], score, path.name)
    return score, unscored


@pytest.mark.parametrize("variant", ["bsd", "dos", "mac"])
def test_bounces_are_read_like_sisimai_reads_them(variant, capsys):
    score, unscored = _score(variant)

    with capsys.disabled():
        print(f"\n{score.line(variant)}")  # noqa: T201
        print(f"  wrong: {' '.join(score.wrong)}")  # noqa: T201
    assert score.files_right / score.files >= BAR, score.line(variant)
    # A few dos/mac copies have no bsd original and no expectation: they must still be bounces.
    assert [name for name in unscored if read_bounce((_folder(variant) / name).read_bytes())] == (
        unscored
    )


@pytest.mark.parametrize("variant", ["dos", "mac"])
def test_line_endings_change_nothing(variant):
    folder = _folder(variant)
    differing = [
        path.name
        for path in sorted(folder.glob("*.eml"))
        if read_bounce(path.read_bytes()) != read_bounce(_same_lines(path.read_bytes()))
    ]
    assert differing == []


def test_mail_that_is_not_a_bounce_is_never_taken_for_one():
    taken = [
        path.name for path in sorted(_folder("not").glob("*")) if read_bounce(path.read_bytes())
    ]
    assert taken == []

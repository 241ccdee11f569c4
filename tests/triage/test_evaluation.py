"""Triage measured on the labelled messages in evaluation/messages.jsonl (pt, es, ro, pl, en).

The split is fixed: 200 messages drawn with SEED teach the model, the rest are only read. The
keyword lexicons were written before the messages and are not tuned on the held-out part. Run
with -s to see the figures.
"""

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from sklearn.metrics import f1_score, precision_recall_fscore_support

from attenda.triage.reading import LANGUAGES, TriageModel, read
from attenda.triage.tone import ANGRY

MESSAGES = Path(__file__).parent / "evaluation" / "messages.jsonl"
SEED = 20261205
LEARNT_FROM = 200


def labelled() -> list[dict]:
    return [json.loads(line) for line in MESSAGES.read_text().splitlines() if line.strip()]


def split() -> tuple[list[dict], list[dict]]:
    messages = labelled()
    random.Random(SEED).shuffle(messages)
    return messages[:LEARNT_FROM], messages[LEARNT_FROM:]


@pytest.fixture(scope="module")
def readings() -> list[tuple[dict, object]]:
    learnt_from, held_out = split()
    model = TriageModel.train(
        [message["text"] for message in learnt_from],
        [message["kind"] for message in learnt_from],
        [None] * len(learnt_from),
    )
    return [
        (
            message,
            read(
                message["text"],
                fallback_language=message.get("customer_language", ""),
                model=model,
            ),
        )
        for message in held_out
    ]


def precision_recall(truth: list[bool], predicted: list[bool]) -> tuple[float, float]:
    precision, recall, _f1, _support = precision_recall_fscore_support(
        truth, predicted, average="binary", zero_division=0
    )
    return float(precision), float(recall)


def test_the_labelled_set_covers_every_language_kind_and_tone():
    messages = labelled()
    per_language = Counter(message["language"] for message in messages)

    assert set(per_language) == set(LANGUAGES)
    assert min(per_language.values()) >= 100
    assert len({message["kind"] for message in messages}) == 7
    assert sum(message["abusive"] for message in messages) >= 50
    assert sum(message["angry"] for message in messages) >= 100


def test_the_language_is_right_for_98_percent_of_messages(readings):
    right = [reading.language == message["language"] for message, reading in readings]
    wrong = [
        (message["language"], reading.language, message["text"][:60])
        for message, reading in readings
        if reading.language != message["language"]
    ]

    accuracy = sum(right) / len(right)
    print(f"\nlanguage accuracy {accuracy:.3f} on {len(right)}; wrong: {wrong}")

    assert accuracy >= 0.98


def test_abuse_is_found_with_90_percent_precision_and_80_percent_recall(readings):
    precision, recall = precision_recall(
        [message["abusive"] for message, _ in readings],
        [reading.abusive for _, reading in readings],
    )
    print(f"\nabuse precision {precision:.3f} recall {recall:.3f}")

    assert precision >= 0.9
    assert recall >= 0.8


def test_the_kind_reaches_a_macro_f1_of_0_8_after_learning_from_200_tickets(readings):
    truth = [message["kind"] for message, _ in readings]
    predicted = [reading.kind for _, reading in readings]

    macro_f1 = f1_score(truth, predicted, average="macro")
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    print(f"\nkind macro-F1 {macro_f1:.3f} accuracy {accuracy:.3f} on {len(truth)}")

    assert macro_f1 >= 0.8


def test_anger_is_reported(readings):
    precision, recall = precision_recall(
        [message["angry"] for message, _ in readings],
        [reading.anger >= ANGRY for _, reading in readings],
    )
    print(f"\nanger precision {precision:.3f} recall {recall:.3f}")

    assert precision >= 0.7
    assert recall >= 0.6

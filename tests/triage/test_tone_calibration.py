"""The negative-tone score is a probability: fitted (Platt scaling) on the 200 labelled messages
the evaluation set teaches from, it must hold on the 455 it holds out. Run with -s for the bins."""

import numpy as np
import pytest

from attenda.triage import tone
from attenda.triage.reading import read
from attenda.triage.tone_calibration import fit
from tests.triage.test_evaluation import split

# Per bin of the score with at least MOST_IN_BIN messages, the mean score and the share of angry
# messages may differ by at most TOLERANCE; over all, the Brier score stays under BRIER.
BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0001)
FEWEST_IN_BIN = 20
TOLERANCE = 0.10
BRIER = 0.06


def _angers(messages: list[dict]) -> np.ndarray:
    return np.array(
        [
            read(message["text"], fallback_language=message.get("customer_language", "")).anger
            for message in messages
        ]
    )


@pytest.fixture(scope="module")
def parts():
    calibrate, held_out = split()
    return (
        (_angers(calibrate), np.array([m["angry"] for m in calibrate])),
        (_angers(held_out), np.array([m["angry"] for m in held_out])),
    )


def test_the_shipped_calibration_is_the_one_the_labelled_messages_give(parts):
    (angers, angry), _held_out = parts
    assert fit(angers, angry) == (tone.NEGATIVE_TONE_SLOPE, tone.NEGATIVE_TONE_INTERCEPT)


def test_the_negative_tone_score_is_calibrated_on_held_out_messages(parts):
    _calibrate, (angers, angry) = parts
    scores = np.array([tone.negative_tone(anger) for anger in angers])

    report, off = [], []
    for low, high in zip(BINS, BINS[1:], strict=False):
        inside = (scores >= low) & (scores < high)
        if not inside.any():
            continue
        predicted, observed = scores[inside].mean(), angry[inside].mean()
        report.append(
            f"[{low:.1f}, {min(high, 1):.1f}) n={inside.sum()}: {predicted:.3f} vs {observed:.3f}"
        )
        if inside.sum() >= FEWEST_IN_BIN and abs(predicted - observed) > TOLERANCE:
            off.append(report[-1])
    brier = float(((scores - angry) ** 2).mean())
    print(f"\nnegative tone on {len(scores)} held out, Brier {brier:.3f}; " + "; ".join(report))
    assert off == []
    assert brier <= BRIER


def test_a_reading_carries_its_negative_tone():
    calm = read("Bom dia, queria saber o horário da loja.", fallback_language="pt")
    angry = read("Isto é uma vergonha, estou farto de esperar!!!", fallback_language="pt")
    assert calm.negative_tone < 0.1 < 0.9 < angry.negative_tone

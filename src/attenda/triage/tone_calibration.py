"""How the negative-tone score is calibrated, reproducibly: Platt scaling of the anger that
read() gives, fitted on the 200 labelled messages the evaluation set teaches from
(tests/triage/evaluation/messages.jsonl, each marked angry or not by the person who wrote it), so
that a score of 0.8 means that about 8 in 10 such messages are angry. The held-out 455 check it.
There is no tone label in the public data of corpus/triage to calibrate on."""

from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression


def fit(angers: Sequence[float], angry: Sequence[bool]) -> tuple[float, float]:
    """(slope, intercept) of the logistic curve from anger to the chance that it is angry."""
    model = LogisticRegression(C=1e6, solver="lbfgs")
    model.fit(np.asarray(angers, dtype=float).reshape(-1, 1), np.asarray(angry, dtype=bool))
    return round(float(model.coef_[0][0]), 3), round(float(model.intercept_[0]), 3)

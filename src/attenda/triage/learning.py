"""A classifier learnt from a team's own labelled tickets: their kind and the team that handled
them. The kind rules are among its features, so a few hundred tickets are enough to start."""

import pickle  # noqa: S403 - models are written by Attenda's own retraining and kept in its database
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import FeatureUnion

from attenda.triage import abuse, learnt_abuse, tone
from attenda.triage.kind import DEFAULT_KIND_RULES, KINDS, KindRule, guess
from attenda.triage.language import fold

# Bumped when the features change, so a stored model of an older shape is retrained, not misread.
FORMAT = 3


class ReadingScores(BaseEstimator, TransformerMixin):
    """The kind rules' scores, anger, abuse and asking as features: what the rules know carries
    over to words the labelled tickets never used."""

    def __init__(self, rules: tuple[KindRule, ...] = DEFAULT_KIND_RULES):
        self.rules = rules

    def fit(self, texts, labels=None):
        return self

    def transform(self, texts):
        return np.array([self.features(text) for text in texts])

    def features(
        self, text: str, folded: str | None = None, scores: dict[str, float] | None = None
    ) -> list[float]:
        """`folded` and the rules' `scores` may be given when the caller has them already."""
        if folded is None:
            folded = fold(text)
        if scores is None:
            scores = guess(folded, self.rules).scores
        # Anger and abuse tell a complaint from a question when no kind keyword is there.
        return [
            *(float(np.log1p(scores.get(kind, 0.0))) for kind in KINDS),
            tone.assess(text, folded).anger,
            1.0 if abuse.detect(folded).kind else 0.0,
            1.0 if "?" in text else 0.0,
        ]


def _features(rules: tuple[KindRule, ...]) -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "characters",
                TfidfVectorizer(
                    preprocessor=fold,
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    max_features=60_000,
                ),
            ),
            ("rules", ReadingScores(rules)),
        ],
        # The rules carry more than any one character n-gram; weighed up, they are not drowned
        # by the thousands of n-grams (chosen by cross-validation on the learning part of the
        # evaluation set).
        transformer_weights={"rules": 3.0},
    )


def _classifier() -> LogisticRegression:
    return LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")


@dataclass(frozen=True)
class Prediction:
    kind: str
    kind_confidence: float
    team_id: int | None
    team_confidence: float


class _OneMessage:
    """The fitted features and classifiers applied to one message in plain numpy: the same
    numbers as scikit-learn's predict_proba (a test holds them equal) in a tenth of the time,
    without its input checks and parallel machinery, which cost milliseconds for one row."""

    def __init__(self, features: FeatureUnion):
        characters = features.named_transformers["characters"]
        self.analyze = characters.build_analyzer()
        # The same character n-grams the vectoriser takes from the folded text ("char_wb", 2–5),
        # made once per message and shared with the learnt abuse layer.
        self.shared_grams = characters.analyzer == "char_wb" and characters.ngram_range == (
            learnt_abuse.SHORTEST,
            learnt_abuse.LONGEST,
        )
        self.vocabulary = characters.vocabulary_
        self.idf = characters.idf_
        self.reading = features.named_transformers["rules"]
        self.default_rules = tuple(self.reading.rules) == DEFAULT_KIND_RULES
        self.reading_weight = features.transformer_weights["rules"]
        self.reading_offset = len(characters.vocabulary_)

    def features(
        self, text: str, folded: str | None = None, default_scores: dict[str, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """`folded` and the default rules' scores may be given by a caller that has them."""
        if folded is None:
            folded = fold(text)
        found = learnt_abuse.grams(folded) if self.shared_grams else self.analyze(text)
        counts = Counter(map(self.vocabulary.get, found))
        counts.pop(None, None)
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        values = (
            1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))
        ) * self.idf[columns]
        norm = np.linalg.norm(values)
        if norm:
            values /= norm
        scores = default_scores if self.default_rules else None
        reading = np.asarray(self.reading.features(text, folded, scores)) * self.reading_weight
        return (
            np.concatenate([columns, self.reading_offset + np.arange(len(reading))]),
            np.concatenate([values, reading]),
        )

    @staticmethod
    def probabilities(classifier: LogisticRegression, columns, values) -> np.ndarray:
        decision = classifier.coef_[:, columns] @ values + classifier.intercept_
        if len(decision) == 1:
            positive = 1.0 / (1.0 + np.exp(-decision[0]))
            return np.array([1.0 - positive, positive])
        exponentials = np.exp(decision - decision.max())
        return exponentials / exponentials.sum()


class TriageModel:
    """Kind and team classifiers over the same features. With one team, or none, in the labels
    there is nothing to learn about teams: that team, or None, is suggested."""

    def __init__(
        self,
        *,
        features: FeatureUnion,
        kinds: LogisticRegression,
        teams: LogisticRegression | None,
        only_team: int | None,
    ) -> None:
        self.features = features
        self.kinds = kinds
        self.teams = teams
        self.only_team = only_team
        self._one = _OneMessage(features)

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        kinds: Sequence[str],
        team_ids: Sequence[int | None],
        *,
        kind_rules: Sequence[KindRule] = DEFAULT_KIND_RULES,
    ) -> "TriageModel":
        if len(set(kinds)) < 2:
            raise ValueError("Learning a kind needs tickets of at least two kinds.")
        features = _features(tuple(kind_rules))
        matrix = features.fit_transform(list(texts))
        kind_classifier = _classifier().fit(matrix, list(kinds))
        teamed = [row for row, team in enumerate(team_ids) if team]
        distinct_teams = {team_ids[row] for row in teamed}
        team_classifier = None
        if len(distinct_teams) >= 2:
            team_classifier = _classifier().fit(matrix[teamed], [team_ids[row] for row in teamed])
        only_team = next(iter(distinct_teams)) if len(distinct_teams) == 1 else None
        return cls(
            features=features, kinds=kind_classifier, teams=team_classifier, only_team=only_team
        )

    def predict(
        self,
        text: str,
        *,
        folded: str | None = None,
        default_scores: dict[str, float] | None = None,
    ) -> Prediction:
        """`folded` (fold(text)) and the default kind rules' scores may be passed by a reader
        that has them already, so they are not worked out twice."""
        columns, values = self._one.features(text, folded, default_scores)
        kinds = self._one.probabilities(self.kinds, columns, values)
        best_kind = int(np.argmax(kinds))
        team_id, team_confidence = self.only_team, 1.0 if self.only_team else 0.0
        if self.teams is not None:
            teams = self._one.probabilities(self.teams, columns, values)
            best_team = int(np.argmax(teams))
            team_id, team_confidence = int(self.teams.classes_[best_team]), float(teams[best_team])
        return Prediction(
            kind=str(self.kinds.classes_[best_kind]),
            kind_confidence=float(kinds[best_kind]),
            team_id=team_id,
            team_confidence=team_confidence,
        )

    def predict_kind(self, text: str) -> tuple[str, float]:
        prediction = self.predict(text)
        return prediction.kind, prediction.kind_confidence

    def predict_team(self, text: str) -> tuple[int | None, float]:
        prediction = self.predict(text)
        return prediction.team_id, prediction.team_confidence

    def evaluate(self, texts: Sequence[str], kinds: Sequence[str]) -> dict:
        """Accuracy and macro-F1 of the kind on tickets the model did not learn from."""
        predicted = self.kinds.predict(self.features.transform(list(texts)))
        return {
            "count": len(texts),
            "accuracy": float(accuracy_score(kinds, predicted)),
            "macro_f1": float(f1_score(kinds, predicted, average="macro", zero_division=0)),
        }

    def to_bytes(self) -> bytes:
        stored = (FORMAT, self.features, self.kinds, self.teams, self.only_team)
        return zlib.compress(pickle.dumps(stored))

    @classmethod
    def from_bytes(cls, data: bytes) -> "TriageModel":
        stored_format, *stored = pickle.loads(zlib.decompress(data))  # noqa: S301 - see the import
        if stored_format != FORMAT:
            raise ValueError("The stored triage model is of an older format; retrain it.")
        features, kinds, teams, only_team = stored
        return cls(features=features, kinds=kinds, teams=teams, only_team=only_team)

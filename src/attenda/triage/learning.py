"""A classifier learnt from a team's own labelled tickets: their kind and the team that handled
them. The kind rules are among its features, so a few hundred tickets are enough to start."""

import pickle  # noqa: S403 - models are written by Attenda's own retraining and kept in its database
import zlib
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import FeatureUnion, Pipeline

from attenda.triage.kind import DEFAULT_KIND_RULES, KINDS, KindRule, guess
from attenda.triage.language import fold

# Bumped when the features change, so a stored model of an older shape is retrained, not misread.
FORMAT = 1


class RuleScores(BaseEstimator, TransformerMixin):
    """The kind rules' scores as features: what the rules know carries over to words the
    labelled tickets never used."""

    def __init__(self, rules: tuple[KindRule, ...] = DEFAULT_KIND_RULES):
        self.rules = rules

    def fit(self, texts, labels=None):
        return self

    def transform(self, texts):
        rows = [guess(fold(text), self.rules).scores for text in texts]
        return np.log1p(np.array([[row.get(kind, 0.0) for kind in KINDS] for row in rows]))


def _classifier(rules: tuple[KindRule, ...]) -> Pipeline:
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
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
                        ("rules", RuleScores(rules)),
                    ],
                    # The rules carry more than any one character n-gram; weighed up, they are
                    # not drowned by the thousands of n-grams (chosen by cross-validation on the
                    # learning part of the evaluation set).
                    transformer_weights={"rules": 3.0},
                ),
            ),
            ("classifier", LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")),
        ]
    )


class TriageModel:
    """Kind and team classifiers over the same features. With one team, or none, in the labels
    there is nothing to learn about teams: that team, or None, is suggested."""

    def __init__(self, *, kinds: Pipeline, teams: Pipeline | None, only_team: int | None) -> None:
        self.kinds = kinds
        self.teams = teams
        self.only_team = only_team

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        kinds: Sequence[str],
        team_ids: Sequence[int | None],
        *,
        kind_rules: Sequence[KindRule] = DEFAULT_KIND_RULES,
    ) -> "TriageModel":
        rules = tuple(kind_rules)
        if len(set(kinds)) < 2:
            raise ValueError("Learning a kind needs tickets of at least two kinds.")
        kind_classifier = _classifier(rules).fit(list(texts), list(kinds))
        teamed = [(text, team) for text, team in zip(texts, team_ids, strict=True) if team]
        distinct_teams = {team for _text, team in teamed}
        team_classifier = None
        if len(distinct_teams) >= 2:
            team_classifier = _classifier(rules).fit(
                [text for text, _team in teamed], [team for _text, team in teamed]
            )
        only_team = next(iter(distinct_teams)) if len(distinct_teams) == 1 else None
        return cls(kinds=kind_classifier, teams=team_classifier, only_team=only_team)

    def predict_kind(self, text: str) -> tuple[str, float]:
        probabilities = self.kinds.predict_proba([text])[0]
        best = int(np.argmax(probabilities))
        return str(self.kinds.classes_[best]), float(probabilities[best])

    def predict_team(self, text: str) -> tuple[int | None, float]:
        if self.teams is None:
            return self.only_team, 1.0 if self.only_team else 0.0
        probabilities = self.teams.predict_proba([text])[0]
        best = int(np.argmax(probabilities))
        return int(self.teams.classes_[best]), float(probabilities[best])

    def evaluate(self, texts: Sequence[str], kinds: Sequence[str]) -> dict:
        """Accuracy and macro-F1 of the kind on tickets the model did not learn from."""
        predicted = self.kinds.predict(list(texts))
        return {
            "count": len(texts),
            "accuracy": float(accuracy_score(kinds, predicted)),
            "macro_f1": float(f1_score(kinds, predicted, average="macro", zero_division=0)),
        }

    def to_bytes(self) -> bytes:
        return zlib.compress(pickle.dumps((FORMAT, self.kinds, self.teams, self.only_team)))

    @classmethod
    def from_bytes(cls, data: bytes) -> "TriageModel":
        stored_format, kinds, teams, only_team = pickle.loads(zlib.decompress(data))  # noqa: S301 - see the import
        if stored_format != FORMAT:
            raise ValueError("The stored triage model is of an older format; retrain it.")
        return cls(kinds=kinds, teams=teams, only_team=only_team)

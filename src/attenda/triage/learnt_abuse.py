"""The learnt abuse layer beside the lists: per language, a linear model over the character
n-grams of the folded text and whether the words are aimed at the reader. The lists stay the
precise path; the model finds the insults they do not name. Its weights ship in the package
(training/abuse-weights.npz, made by `attenda manage train_abuse_model`) and are scored with numpy."""

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from attenda.triage.language import fold

WEIGHTS = Path(__file__).parent / "training" / "abuse-weights.npz"
N_GRAMS = 2**18

# Words that turn a message towards its reader (second person, its verbs and possessives):
# swearing at a situation is not abuse, the same word aimed at the agent is.
AIMED_AT_READER = {
    "pt": r"tu|te|ti|teu|tua|voce|voces|vc|vcs|seu|sua|es|sao|vai|vao|vos",
    "es": r"tu|te|ti|tus|eres|sois|usted|ustedes|vosotros|vosotras|os|vuestr\w*|vete|idos",
    "ro": r"tu|te|tine|esti|sunteti|voi|va|vi|bai|ba|tau|ta|vostru|voastra",
    "pl": r"ty|cie|ciebie|tobie|jestes|wy|was|wam|jestescie|twoj\w*|wasz\w*|spadaj",
    "en": r"you|your|yours|youre|u|ur|ya|yourself|yourselves",
}
_AIMED = {
    language: re.compile(rf"(?<= )(?:{words})(?= )") for language, words in AIMED_AT_READER.items()
}

_hashing = HashingVectorizer(
    preprocessor=fold,
    analyzer="char_wb",
    ngram_range=(2, 5),
    n_features=N_GRAMS,
    alternate_sign=False,
    norm="l2",
)


def aimed_at_reader(folded: str, language: str) -> bool:
    pattern = _AIMED.get(language)
    return bool(pattern and pattern.search(folded))


def features(texts: list[str], language: str):
    """The n-grams of each text with one more column: aimed at the reader or not."""
    from scipy import sparse

    aimed = np.array([[1.0 if aimed_at_reader(fold(text), language) else 0.0] for text in texts])
    return sparse.hstack([_hashing.transform(texts), sparse.csr_matrix(aimed)]).tocsr()


@dataclass(frozen=True)
class LanguageModel:
    weights: np.ndarray  # N_GRAMS + 1 values: the n-grams, then aimed at the reader
    intercept: float
    threshold: float  # the probability above which a message is abusive

    def probability(self, folded: str, language: str) -> float:
        grams = _hashing.transform([folded])
        score = float(grams.data @ self.weights[grams.indices]) + self.intercept
        if aimed_at_reader(folded, language):
            score += float(self.weights[N_GRAMS])
        return float(1.0 / (1.0 + np.exp(-score)))


_models: dict[str, LanguageModel] | None = None
_models_lock = threading.Lock()


def models() -> dict[str, LanguageModel]:
    """The shipped models by language, loaded once per process; none when no weights ship."""
    global _models
    if _models is None:
        with _models_lock:
            if _models is None:
                _models = load(WEIGHTS)
    return _models


def load(path: Path) -> dict[str, LanguageModel]:
    if not path.exists():
        return {}
    stored = np.load(path)
    loaded = {}
    for language in stored["languages"]:
        weights = np.zeros(N_GRAMS + 1, dtype=np.float32)
        weights[stored[f"{language}_indices"]] = stored[f"{language}_values"]
        loaded[str(language)] = LanguageModel(
            weights=weights,
            intercept=float(stored[f"{language}_intercept"]),
            threshold=float(stored[f"{language}_threshold"]),
        )
    return loaded


def save(path: Path, trained: dict[str, LanguageModel]) -> None:
    """Only the n-grams the model learnt a weight for are kept, in half precision."""
    arrays: dict[str, np.ndarray] = {"languages": np.array(sorted(trained))}
    for language, model in trained.items():
        (indices,) = np.nonzero(np.abs(model.weights) >= 1e-3)
        arrays[f"{language}_indices"] = indices.astype(np.int32)
        arrays[f"{language}_values"] = model.weights[indices].astype(np.float16)
        arrays[f"{language}_intercept"] = np.array(model.intercept)
        arrays[f"{language}_threshold"] = np.array(model.threshold)
    np.savez_compressed(path, **arrays)


def is_abusive(folded: str, language: str) -> bool:
    """False for a language the model was not trained for: the lists alone decide there."""
    model = models().get(language)
    return model is not None and model.probability(folded, language) >= model.threshold

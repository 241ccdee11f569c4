"""The learnt abuse layer beside the lists: per language, a linear model over the character
n-grams of the folded text and whether the words are aimed at the reader. The lists stay the
precise path; the model finds the insults they do not name. Its weights ship in the package
(training/abuse-weights.npz, made by `attenda manage train_abuse_model`) and are scored with numpy."""

import functools
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.utils import murmurhash3_32

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

SHORTEST, LONGEST = 2, 5  # the lengths of the character n-grams, taken inside each word

# The column of each n-gram seen, remembered: the hash is the costly part of reading a message, and
# a desk's messages share most of their n-grams. Emptied when full, so a worker's memory stays flat.
_columns: dict[str, int] = {}
_MOST_REMEMBERED = 200_000


def column(gram: str) -> int:
    """The n-gram's column: MurmurHash3 (32-bit, seed 0) of its UTF-8, its absolute value modulo
    N_GRAMS — the columns scikit-learn's HashingVectorizer gives, which a test holds equal."""
    found = _columns.get(gram)
    if found is None:
        if len(_columns) >= _MOST_REMEMBERED:
            _columns.clear()
        found = _columns[gram] = abs(murmurhash3_32(gram)) % N_GRAMS
    return found


@functools.lru_cache(maxsize=4)
def grams(folded: str) -> tuple[str, ...]:
    """The character 2–5-grams inside each word padded with a space on each side; a word shorter
    than an n-gram counts once whole, as scikit-learn's "char_wb" analyser does. The last few are
    remembered: the kind model reads the same n-grams of the message a moment later."""
    found = []
    add = found.append
    for word in folded.split():
        word = f" {word} "
        length = len(word)
        for n in range(SHORTEST, LONGEST + 1):
            if n >= length:
                add(word)
                break
            for start in range(length - n + 1):
                add(word[start : start + n])
    return tuple(found)


def hashed(folded: str) -> tuple[np.ndarray, np.ndarray]:
    """The columns of a folded text's n-grams and their counts scaled to unit length: one row of
    the matrix the model learns from, and the one it scores."""
    counts = Counter(map(column, grams(folded)))
    columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
    values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    if len(values):
        values /= np.sqrt(values @ values)
    return columns, values


def aimed_at_reader(folded: str, language: str) -> bool:
    pattern = _AIMED.get(language)
    return bool(pattern and pattern.search(folded))


def features(texts: list[str], language: str):
    """The n-grams of each text with one more column: aimed at the reader or not. The rows are
    built by `hashed`, the function that scores a message, so learning and reading cannot differ."""
    from scipy import sparse

    rows, columns, values = [], [], []
    for row, text in enumerate(texts):
        folded = fold(text)
        indices, counts = hashed(folded)
        if aimed_at_reader(folded, language):
            indices = np.append(indices, N_GRAMS)
            counts = np.append(counts, 1.0)
        rows.append(np.full(len(indices), row, dtype=np.intp))
        columns.append(indices)
        values.append(counts)
    return sparse.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
        shape=(len(texts), N_GRAMS + 1),
    )


@dataclass(frozen=True)
class LanguageModel:
    weights: np.ndarray  # N_GRAMS + 1 values: the n-grams, then aimed at the reader
    intercept: float
    threshold: float  # the probability above which a message is abusive

    def probability(self, folded: str, language: str) -> float:
        columns, values = hashed(folded)
        score = float(values @ self.weights[columns]) + self.intercept
        if aimed_at_reader(folded, language):
            score += float(self.weights[N_GRAMS])
        return 1.0 / (1.0 + math.exp(-min(max(score, -700.0), 700.0)))


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


# Fewer words than this give the model a handful of n-grams, which read "switch", "class" or
# "Sussex" as the insults inside them: the lists alone decide for such short texts.
FEWEST_WORDS = 3


def is_abusive(folded: str, language: str) -> bool:
    """False for a language the model was not trained for: the lists alone decide there."""
    model = models().get(language)
    return (
        model is not None
        and len(folded.split()) >= FEWEST_WORDS
        and model.probability(folded, language) >= model.threshold
    )

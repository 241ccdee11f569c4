"""Where the shared corpus of real-world mail and payloads lives: ``../shared/corpus`` beside the
repository. Tests that read it skip on a machine without it, and fail instead when ``CI=true``."""

import os
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def corpus_path(*parts: str) -> Path:
    """The corpus file or folder at ``parts``, or a skip (a failure on CI) when it is missing."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        message = f"the shared corpus is not at {path}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path

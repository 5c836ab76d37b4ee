"""Shared fixtures: the pipeline (loaded once per session) and ../shared."""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def pipeline():
    from vigile.pipeline import Pipeline

    return Pipeline()


@pytest.fixture(scope="session")
def dev_set() -> Path:
    """The annotated dev set, read from ../shared at test time (never copied)."""
    path = SHARED / "eval" / "dev.jsonl"
    if not path.exists():
        pytest.skip("../shared/eval/dev.jsonl is not present")
    return path

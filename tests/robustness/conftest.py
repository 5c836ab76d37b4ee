"""What the robustness tests share: a scratch folder, the reader contract, a hang guard,
and one knob to run more (or fewer) fuzzing examples.

The session-scoped ``pipeline``, ``postgres_server`` and ``db_url`` fixtures
come from ``tests/conftest.py``.
"""
from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from typing import Iterable, Iterator

import pytest
from hypothesis import HealthCheck, settings

from vigile.readers import ReadError
from vigile.readers.base import invalid_unicode
from vigile.schema import Article

#: VIGILE_FUZZ_SCALE=10 runs ten times the examples (a nightly job, a soak);
#: the default keeps the whole directory within a few minutes on two cores.
FUZZ_SCALE = float(os.environ.get("VIGILE_FUZZ_SCALE", "1"))


def examples(n: int) -> int:
    """Hypothesis ``max_examples`` scaled by VIGILE_FUZZ_SCALE (at least 1)."""
    return max(1, int(n * FUZZ_SCALE))


def fuzz(n: int) -> settings:
    """Settings for a fuzzing test: ``n`` examples (scaled), no per-example
    deadline (the project forbids timed assertions; hangs are caught by
    :func:`no_hang`), no example database (CI runs from a clean tree, and a
    replayed example should be a regression test instead), and no health
    check about slow or large data, which is the point here."""
    return settings(max_examples=examples(n), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])


@pytest.fixture(scope="session")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the files fuzzing writes. Session-scoped because Hypothesis
    runs many examples per test, and a function-scoped ``tmp_path`` would be
    shared by all of them anyway (and trips its health check)."""
    return tmp_path_factory.mktemp("fuzz")


def check_items(items: Iterable[object]) -> list[object]:
    """The reader contract: every item is an Article or a ReadError, nothing else."""
    out = list(items)
    for item in out:
        assert isinstance(item, (Article, ReadError)), f"a reader yielded {type(item).__name__}: {item!r}"
        if isinstance(item, ReadError):
            assert item.where and item.message, item
        else:
            assert isinstance(item.id, str) and item.text.strip(), item
            assert invalid_unicode(item) is None, item  # it could not be hashed nor stored
    return out


class Hung(Exception):
    """A step that was meant to take seconds did not end at all."""


@contextlib.contextmanager
def no_hang(seconds: int = 120) -> Iterator[None]:
    """Fail (rather than stall CI forever) if the block runs for ``seconds``.

    A hang guard, not a time budget: the limit is minutes above any normal
    run, so it only catches a loop that never ends. It relies on SIGALRM, so
    it works in the main thread only, and fires once control is back in
    Python (a C parser stuck forever would still need CI's own timeout).
    """
    def alarm(_signum: int, _frame: object) -> None:
        raise Hung(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

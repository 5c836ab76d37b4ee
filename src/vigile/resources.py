"""Where language resources live: ``vigile/lang/<lang>/`` data files.

Every lexicon, alias table and pattern list is a data file read through here,
so adding a language means adding a folder, not editing the stages.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


def lang_path(lang: str, name: str):
    """The packaged resource file ``lang/<lang>/<name>``."""
    return resources.files("vigile").joinpath("lang", lang, name)


@lru_cache(maxsize=None)
def load_yaml(lang: str, name: str) -> Any:
    """Parse a YAML resource once per process."""
    with lang_path(lang, name).open(encoding="utf-8") as f:
        return yaml.safe_load(f)

"""Vigile: French conflict and humanitarian news in, structured event records out.

    >>> import vigile
    >>> records = vigile.extract(["Mardi, au moins 12 civils ont été tués par des frappes aériennes à Alep."],
    ...                          published="2016-12-14")

:func:`extract` is the Python API; the stages live in their own modules and
:class:`vigile.pipeline.Pipeline` chains them.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Iterable, Union

from vigile.schema import Article, ArticleResult, EventRecord, Figure, Location

__all__ = ["extract", "Article", "ArticleResult", "EventRecord", "Figure", "Location"]
__version__ = "0.1.0"


@lru_cache(maxsize=4)
def _pipeline(lang: str):
    from vigile.pipeline import Pipeline

    return Pipeline(lang=lang)


def extract(items: Iterable[Union[str, dict, Article]], *, published: Union[str, dt.date, None] = None,
            lang: str = "fr") -> list[ArticleResult]:
    """Extract event records from texts, dicts (``{"id", "text", …}``) or :class:`Article` objects.

    Plain strings get ids ``"0"``, ``"1"``… and the ``published`` day given
    here. Results come back in input order; an article that cannot be
    processed has ``error`` set and no events.
    """
    articles = []
    for n, item in enumerate(items):
        if isinstance(item, Article):
            articles.append(item)
        elif isinstance(item, dict):
            articles.append(Article.model_validate({"id": str(n), "lang": lang, **item}))
        else:
            articles.append(Article(id=str(n), text=item, published=published, lang=lang))
    return list(_pipeline(lang).extract(articles))

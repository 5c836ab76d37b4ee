"""Normalised lookup keys for place names.

One function, :func:`name_key`, turns any surface form into the key that the
bundled sqlite index is built on, so the build script and the runtime must
share it: a change here needs a rebuild, and :data:`KEY_VERSION` (stored in
the database) lets :class:`~vigile.gazetteer.Gazetteer` refuse a stale one.

The key is deliberately lossy, because French news and GeoNames spell
transliterated names differently: "Alep-Est", "alep est" and "ALEP EST" all
give ``alepest``; "Deir ez-Zor", "Deir Ezzor" and "Deir Azzor" differ only in
vowels and doubled consonants, and doubled consonants are collapsed
("Raqqa" and "Raqa" both give ``raqa``). Vowels are kept so that unrelated
short names stay apart ("Sana" is not "Sanaa").
"""
from __future__ import annotations

import difflib
import re
import unicodedata

#: Bump when :func:`name_key` changes; the database records the version it was built with.
KEY_VERSION = 2

# Letters that NFKD does not decompose into an ASCII base plus a mark.
_LETTERS = str.maketrans({
    "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d",
    "þ": "th", "ı": "i", "ħ": "h", "ŧ": "t", "ŋ": "n", "ə": "e",
})
# Apostrophes, ayin/hamza marks, hyphens and dashes separate words.
_SEPARATORS = re.compile(r"[\s'’‘`´ʼʻʿʾ‐‑‒–—―\-_.,/()\"«»]+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_DOUBLE_CONSONANT = re.compile(r"([b-df-hj-np-tv-z])\1+")


def fold(text: str) -> str:
    """Lowercase ASCII words separated by single spaces ("L'Alep-Est" -> "l alep est").

    Kept separate from :func:`name_key` because leading articles and generic
    heads are recognised word by word before the key squeezes the spaces out.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = (_NOT_ALNUM.sub("", w) for w in _SEPARATORS.split(ascii_text))
    return " ".join(w for w in words if w)


def squeeze(folded: str) -> str:
    """The key of an already folded form: no spaces, doubled consonants collapsed."""
    return _DOUBLE_CONSONANT.sub(r"\1", folded.replace(" ", ""))


def name_key(text: str) -> str:
    """The index key of a surface form ("Deir ez-Zor" -> "deirezor")."""
    return squeeze(fold(text))


# Arabic articles as transliterated in French and English ("al-", "ech-", "az ").
_ARTICLES = frozenset("al el ar er as es ash ech ad ed at et az ez an en".split())
# French spelling -> English-style spelling, applied in order, before vowels go.
_DIGRAPHS = (("tch", "ch"), ("dj", "j"), ("ch", "sh"), ("ou", "u"), ("ph", "f"), ("q", "k"), ("c", "k"))
_FINAL_H = re.compile(r"(?<=[aeiouy])h\b")
_SOFT = re.compile(r"[aeiouwy\s]+")
#: Skeletons shorter than this match too many unrelated places to be useful.
MIN_SKELETON = 3


def _spelled(text: str) -> str:
    """Folded words without Arabic articles, French digraphs in English spelling."""
    words = fold(text).split()
    kept = [w for i, w in enumerate(words) if w not in _ARTICLES or i == len(words) - 1]
    spelled = " ".join(kept)
    for french, english in _DIGRAPHS:
        spelled = spelled.replace(french, english)
    return spelled


def spelling(text: str) -> str:
    """The squeezed English-style spelling ("Khan Cheikhoun" -> "khansheikhun").

    Two names with the same :func:`skeleton` are compared on this to tell a
    real transliteration variant from an unrelated name with the same consonants.
    """
    return squeeze(_spelled(text))


def skeleton(text: str) -> str:
    """A consonant skeleton for fuzzy, French-vs-English transliteration matching.

    "Khan Cheikhoun" and "Khān Shaykhūn" both give ``khnshkhn``; "Maaret
    al-Noomane" and "Ma‘arrat an Nu‘mān" both give ``mrtnmn``. Arabic articles,
    vowels, w/y, a word-final h after a vowel and doubled letters are dropped.
    Returns "" for forms too short to be told apart this way.
    """
    bones = re.sub(r"(.)\1+", r"\1", _SOFT.sub("", _FINAL_H.sub("", _spelled(text))))
    return bones if len(bones) >= MIN_SKELETON else ""


def similarity(a: str, b: str) -> float:
    """How alike two :func:`spelling` forms are, 0..1 (difflib's ratio)."""
    return difflib.SequenceMatcher(None, a, b).ratio()

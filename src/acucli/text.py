"""Text folding for matching, and neutralising text before it reaches a terminal."""

from __future__ import annotations

import re
import unicodedata

_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANSI_RE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")
_FOLD_DROP_RE = re.compile(r"[\s\-_'’`.,;:!?()\[\]/]+")


def has_control_chars(text: str) -> bool:
    return bool(_CONTROL_RE.search(text))


def clean(text: str) -> str:
    """Make text inert for a terminal: escape sequences and control characters go."""
    if not _CONTROL_RE.search(text):
        return text
    text = _ANSI_RE.sub("", text)
    return _CONTROL_RE.sub(lambda m: "\n" if m.group() == "\n" else "\ufffd", text)


# Variant characters seen in older, Japanese and Korean texts, read as the
# standard form: 腎兪 and 腎腧 are 腎俞 (BL23).
_VARIANTS = str.maketrans({"兪": "俞", "腧": "俞"})


def strip_tones(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """What people type, made comparable: no case, tones, spaces or punctuation.

    'Zú sān lǐ', 'zu-san-li' and 'ZUSANLI' all fold to 'zusanli'; hanzi are kept.
    """
    return _FOLD_DROP_RE.sub("", strip_tones(text.translate(_VARIANTS)).casefold())


def fold_tones(text: str) -> str:
    """Like fold() but keeps tone marks, to tell Fútū (LI18) from Fútù (ST32)."""
    return _FOLD_DROP_RE.sub("", unicodedata.normalize("NFC", text.translate(_VARIANTS)).casefold())

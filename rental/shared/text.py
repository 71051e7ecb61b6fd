"""Cleaning free text that other people will read (names, descriptions, reasons, notes).

Pure Python. Control characters and invisible formatting characters are dropped — among them
the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) that can make a name
or reason display differently from what it is ("Trojan Source"). Zero-width joiners and
non-joiners stay: several scripts and emoji need them.
"""

from __future__ import annotations

import re
import unicodedata

# Explicit direction marks and embeddings, overrides and isolates.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_KEEP_FORMAT = frozenset("\u200c\u200d")  # ZWNJ, ZWJ


def _visible(ch: str, keep_newlines: bool) -> str:
    if ch in BIDI_CONTROLS:
        return ""
    category = unicodedata.category(ch)
    if category == "Cc":
        if keep_newlines and ch == "\n":
            return ch
        return " " if ch in "\t\r\n\v\f\x1c\x1d\x1e\x1f\x85" else ""
    if category == "Cs" or (category == "Cf" and ch not in _KEEP_FORMAT):
        return ""
    if ch in "\u2028\u2029":  # line and paragraph separators
        return "\n" if keep_newlines else " "
    return ch


def clean_line(value: str | None) -> str:
    """One line of display text: invisible and control characters removed, runs of whitespace
    collapsed to one space, trimmed."""
    text = "".join(_visible(ch, False) for ch in (value or ""))
    return " ".join(text.split())


def clean_block(value: str | None) -> str:
    """Multi-line display text (descriptions, notes): like clean_line, but line breaks (written
    as \\n) and indentation stay; trailing spaces and blank lines at both ends go."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(_visible(ch, True) for ch in text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(value: str, *, allow_newlines: bool = False) -> bool:
    """True when `value` holds a C0/C1 control character (NUL included) or a lone surrogate,
    apart from tab, CR and LF when `allow_newlines`."""
    pattern = _CONTROL_BUT_LINES if allow_newlines else _CONTROL
    return pattern.search(value) is not None

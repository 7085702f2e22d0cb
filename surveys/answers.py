"""Checking single answers against the instrument, and showing them back to people.

Answers are handled as ``{item_id: value}``: an int code for likert and choice items, a number for
numeric items (an int when whole), the text exactly as given for text items. A missing answer is a
missing key — never a placeholder value. A survey in progress is saved in that form; a submitted
response is stored packed (:func:`pack_answers`): one JSON array in the instrument's item order, null
where not answered — a fifth of the size, and read straight into a matrix for the analysis (the
campaign's instrument is stored and never changes, so the order is fixed).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from surveys.csv_text import parse_number
from surveys.instrument import Instrument, Item


def answer_packer(instrument: Instrument) -> Callable[[Mapping[str, Any]], str]:
    """:func:`pack_answers` for one instrument, for packing many responses (an import of 50,000)."""
    ids = instrument.item_ids
    known = frozenset(ids)

    def pack(answers: Mapping[str, Any]) -> str:
        if not known.issuperset(answers):  # would be lost silently otherwise; callers check answers first
            unknown = sorted(set(answers) - known)
            raise ValueError(f"answers to items the instrument does not have: {', '.join(unknown)}")
        # orjson: compact, UTF-8 as given, 20× faster than json.dumps; answers are finite numbers and text
        return orjson.dumps([answers.get(item_id) for item_id in ids]).decode()

    return pack


def pack_answers(instrument: Instrument, answers: Mapping[str, Any]) -> str:
    """A submitted response's answers as stored: a JSON array in instrument item order, null = not answered."""
    return answer_packer(instrument)(answers)


def unpack_answers(instrument: Instrument, stored: str) -> dict[str, Any]:
    """The answers of a stored response as ``{item_id: value}`` (answered items only)."""
    values = json.loads(stored)
    if isinstance(values, dict):  # the form before migration 0005
        return values
    ids = instrument.item_ids
    if len(values) != len(ids):
        raise ValueError(f"a stored response has {len(values)} answers where the instrument has {len(ids)} items")
    return {item_id: value for item_id, value in zip(ids, values) if value is not None}


# "2,5": a decimal comma, as much of Europe writes it. "1,500" could be that or a thousands
# separator (1500), so it is asked about rather than guessed; "0,500" can only be a half.
_TYPED_COMMA = re.compile(r"([+-]?\d*),(\d+)")
# 1,000,000 · 1 000 · 1.234,5 · 1'000: digits grouped in thousands, one separator throughout
_GROUPED = re.compile(r"[+-]?\d{1,3}([ ,.'])\d{3}(?:\1\d{3})*(?:[.,]\d+)?")
# minus sign, en dash, figure dash (what word processors and phones put for "-"), Arabic decimal separator
_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\u066b": "."})


def read_typed_number(text: str) -> tuple[float | None, str | None]:
    """The number a person typed into a box — ``12``, ``2.5``, ``2,5`` (a decimal comma), ``−3`` (a
    minus sign), ``１２`` or ``١٢`` (full-width or Arabic-Indic digits) — as ``(number, None)``;
    ``(None, None)`` when it is no number at all; ``(None, message)`` for ``1,500`` (1500 or 1.5,
    depending on who typed it) and digits grouped in thousands (``1 000``, ``1.234,5``)."""
    if any(unicodedata.category(c) == "No" for c in text):  # ² or ½: NFKC would read 10² as 102
        return None, None
    typed = unicodedata.normalize("NFKC", text).strip().translate(_SIGNS)
    typed = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in typed)  # every digit as 0–9
    comma = _TYPED_COMMA.fullmatch(typed)
    if comma and len(comma[2]) == 3 and comma[1].lstrip("+-") not in ("", "0"):
        whole, rest = comma[1], comma[2]
        decimal = f"{whole}.{rest}".rstrip("0").rstrip(".")
        return None, (f"Please write {typed} without the comma ({whole}{rest}), or with a point if you meant "
                      f"a decimal ({decimal}).")
    if comma:
        typed = f"{comma[1]}.{comma[2]}"
    number = parse_number(typed)
    grouped = _GROUPED.fullmatch(typed) if number is None else None
    if grouped:
        plain = typed.replace(grouped[1], "").replace(",", ".")  # what is left after the thousands: a decimal mark
        return None, f"Please write {typed} without the separators between thousands: {plain}."
    return number, None


def format_number(x: float) -> str:
    """A number as people write it: 12, 2.5, 1234567 — never 1.23457e+06, which a box refilled with
    it would save back as 1234570."""
    return f"{x:.15g}" if abs(x) < 1e15 else str(x)


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    return False


def _as_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("+-").isdigit() and len(text) < 12:
            return int(text)
    return None


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_answer(instrument: Instrument, item: Item, value: Any) -> tuple[Any, str | None]:
    """``(value to store, None)`` for a valid answer, ``(None, None)`` for a blank one, and
    ``(None, message)`` when the answer cannot be accepted — the message is shown at the item."""
    if is_blank(value):
        return None, None
    if item.type in ("likert", "choice"):
        code = _as_code(value)
        labels = instrument.value_labels(item)
        if code is None or code not in labels:
            choices = ", ".join(f"{c} ({label})" for c, label in sorted(labels.items()))
            return None, f"Please choose one of the answers offered: {choices}."
        return code, None
    if item.type == "numeric":
        if isinstance(value, bool):
            number = None
        elif isinstance(value, (int, float)):
            number = float(value)
        else:
            number, problem = read_typed_number(str(value))
            if problem:
                return None, problem
        if number is None or not math.isfinite(number):
            return None, "Please enter a number, such as 12 or 2.5."
        lo, hi = instrument.item_range(item)
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            unit = f" {item.unit}" if item.unit else ""
            return None, f"Please enter a number from {format_number(lo)} to {format_number(hi)}{unit}."
        return (int(number) if number.is_integer() and abs(number) < 2**53 else number), None
    # text: stored as given (HTML, markdown or script is data, always displayed as plain text), less
    # control characters other than tab and line breaks: invisible, pasted in by accident, and a NUL
    # would end the text early in an SPSS file and make the CSV export unreadable to an import
    if not isinstance(value, str):
        return None, "Please enter text."
    value = _CONTROL_CHARACTERS.sub("", value)
    if len(value) > item.max_length:
        return None, f"Please keep this answer to {item.max_length:,} characters (it has {len(value):,})."
    return value, None


def display_answer(instrument: Instrument, item: Item, value: Any) -> str:
    """An answer as a person reads it (for the review screen): '4 — Agree' on an ordered scale,
    'Operations' for a choice (its code is only a code), '12 minutes', the text."""
    if is_blank(value):
        return ""
    if item.type in ("likert", "choice"):
        label = instrument.value_labels(item).get(value)
        if not label:
            return str(value)
        return f"{value} — {label}" if item.type == "likert" else label
    if item.type == "numeric":
        return f"{format_number(float(value))} {item.unit}".strip()
    return str(value)

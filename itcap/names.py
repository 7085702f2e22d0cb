"""Names people give things — a campaign, an assessment and its organisation unit, an account's
display name: one line of printable text, of a bounded length. A line break or a tab in a name would
split the rows of the CLI's tab-separated lists and the audit log, and shows as nothing on a page."""

from __future__ import annotations

import re

NAME_MAX = 200

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHOWN = {"\n": "a line break", "\r": "a line break", "\t": "a tab", "\u2028": "a line break", "\u2029": "a line break"}


def name_problem(what: str, value: str, max_length: int = NAME_MAX, *, required: bool = True) -> str | None:
    """Why ``value`` cannot be ``what`` (e.g. "name"), or None; ``value`` as it will be stored
    (stripped)."""
    text = value.strip()
    if not text:
        return f"{what}: must not be empty" if required else None
    if len(text) > max_length:
        return f"{what}: at most {max_length} characters (got {len(text):,})"
    found = _CONTROL.search(text)
    if found:
        character = _SHOWN.get(found.group(), f"the control character U+{ord(found.group()):04X}")
        return f"{what}: one line of text, without {character} (at character {found.start() + 1})"
    return None

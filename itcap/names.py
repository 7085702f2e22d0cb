"""Names people give things — a campaign, an assessment and its organisation unit, an account's
display name, the names, titles and versions in a model or survey file: one line of visible text of a
bounded length. A line break or a tab in a name splits the rows of the CLI's tab-separated lists and
the audit log; a name of only invisible characters looks empty; a right-to-left override makes one
name display as another ("\u202enimda" reads "admin")."""

from __future__ import annotations

import re
import unicodedata

NAME_MAX = 200

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# bidirectional embeddings, overrides, isolates and marks, and zero-width spaces (not the joiners
# U+200C/U+200D, which some scripts and emoji need)
_INVISIBLE = re.compile(r"[\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_SHOWN = {"\n": "a line break", "\r": "a line break", "\t": "a tab", "\u2028": "a line break", "\u2029": "a line break"}


def line_problem(text: str) -> str | None:
    """Why ``text`` is not one line of visible text, or None."""
    found = _CONTROL.search(text)
    if found:
        character = _SHOWN.get(found.group(), f"the control character U+{ord(found.group()):04X}")
        return f"one line of text, without {character} (at character {found.start() + 1})"
    found = _INVISIBLE.search(text)
    if found:
        return (f"without the invisible formatting character U+{ord(found.group()):04X} (at character {found.start() + 1}): "
                "it changes how the text displays without being seen")
    if text and not any(not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Mn", "Zs") for ch in text):
        return "has no visible character"
    return None


def name_problem(what: str, value: str, max_length: int = NAME_MAX, *, required: bool = True) -> str | None:
    """Why ``value`` cannot be ``what`` (e.g. "name"), or None; ``value`` as it will be stored
    (stripped)."""
    text = value.strip()
    if not text:
        return f"{what}: must not be empty" if required else None
    if len(text) > max_length:
        return f"{what}: at most {max_length} characters (got {len(text):,})"
    problem = line_problem(text)
    return f"{what}: {problem}" if problem else None


def same_name_key(text: str) -> str:
    """What two spellings of one name share: "Corporate IT", "corporate it" and "Corporate\u00a0IT" (a
    no-break space pasted from a document) are one organisation unit."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


# The alphabets whose letters pass for each other's: a Cyrillic а, е, о, р, с, х or a Greek ο in a
# Latin name is read as the Latin letter. (Other mixes — kanji with kana, an address in Chinese
# at a Latin domain — fool nobody.)
_LOOK_ALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def mixed_scripts(text: str) -> list[str]:
    """The look-alike alphabets mixed in the letters of ``text`` before any "@" ("LATIN", "CYRILLIC"):
    "аdmin" with a Cyrillic а looks exactly like "admin". Empty when there is no such mix. (A name
    all in Cyrillic letters that look Latin, "јое", is not caught.)"""
    scripts = []
    for character in text.split("@")[0]:
        if character.isalpha():
            script = unicodedata.name(character, "UNKNOWN").split(" ")[0]
            if script in _LOOK_ALIKE_SCRIPTS and script not in scripts:
                scripts.append(script)
    return scripts if len(scripts) > 1 else []

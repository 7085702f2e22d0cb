"""Text people typed, shown through Streamlit's markdown exactly as typed.

Streamlit renders markdown in ``st.markdown``, ``st.caption``, ``st.subheader``, alerts, expander and
button labels. Names and titles people type — account display names and usernames, assessment and
campaign names, organisation units, uploaded file names, and the texts of uploaded models and
instruments — are interpolated into such strings, so ``**x**`` would turn bold, ``[click](https://…)``
into a link and ``![](https://…)`` into an image fetched from someone else's server. (Raw HTML is
never rendered: Streamlit escapes it unless ``unsafe_allow_html`` is set, which itcap never does
with people's text.) Wrap every such value in :func:`md_escape` (or :func:`md_code` inside
backticks). Longer free text — comments, evidence, rationales — goes through ``st.text`` instead and
is never markdown at all.
"""

from __future__ import annotations

import re

# What gives text a meaning in Streamlit's markdown (CommonMark + GFM + maths + Streamlit's directives),
# escaped with a backslash wherever it can start markup — and only there, so that ordinary prose
# ("Finance & HR: 12.5% (draft)") reads the same in the page source as on screen.
_ALWAYS = re.compile(r"([\\`*\[\]<~$])")  # escapes, code, emphasis, links and images, HTML and autolinks, strike, maths
_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")  # emphasis; snake_case inside a word is inert
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")  # &lt; would show as <
# :red[...], :material/...:, emoji shortcodes (:smile:, which a backslash does not stop) and the "http:" of autolinks
_COLON = re.compile(r":(?=[0-9A-Za-z/+_-])")
_WWW = re.compile(r"(?i)\b(www)\.")  # www.example.com autolinks
# Headings, lists, quotes and rules, when the text opens a block: "# x", "- x", "+ x", "1. x", "2) x", ">x",
# "---", "===" (a setext underline, should a line end just before it).
_BLOCK_START = re.compile(r"^(?:(#{1,6}|[-+]|[-=](?=[-=]*$))(?=\s|$|[-=])|(>)|(\d{1,9})([.)])(?=\s|$))")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
# GFM turns bare web addresses into links after the escapes are resolved ("http\://x" is still a
# link), so an invisible word joiner (U+2060) goes between "http" or "www" and what follows. (An
# e-mail address still becomes a mailto link: harmless, and it copies cleanly; it is often a username.)
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|mailto|www)(?=\\?[:.])")
WORD_JOINER = "\u2060"


def md_escape(value: object) -> str:
    """``value`` as markdown that shows exactly its characters: no emphasis, links (bare web addresses
    included), images, headings, lists, colours, maths or HTML. Line breaks become spaces (names and titles are one line), and spaces
    around the text go (four at the start would make a code block, one inside ``**…**`` breaks the bold)."""
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value)).strip()
    text = _ALWAYS.sub(r"\\\1", text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _ENTITY.sub(r"\\&", text)
    text = _COLON.sub("\\:" + WORD_JOINER, text)
    text = _WWW.sub(r"\1\\.", text)
    text = _AUTOLINK.sub(lambda m: m.group(1) + WORD_JOINER, text)
    return _BLOCK_START.sub(lambda m: f"\\{m.group(1) or m.group(2)}" if m.group(3) is None else f"{m.group(3)}\\{m.group(4)}", text)


def md_code(value: object) -> str:
    """``value`` as an inline code span, whatever backticks it contains (the fence is one backtick
    longer than the longest run inside; CommonMark strips the one space of padding)."""
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"

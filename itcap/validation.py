"""Shared plumbing for validating YAML documents (capability models, survey instruments).

Every problem is reported with its location — file, the id of the thing it is in, the field — so a
person editing a 2,000-line YAML file can go straight to it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, Field, ValidationError

# Numbers in YAML documents: strict, so that `true` or "3" is an error rather than 1 or 3.
WholeNumber = Annotated[int, Field(strict=True)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]  # NaN is "not a finite number", not "above 10"

MAX_YAML_BYTES = 2 * 1024 * 1024  # a full model with rich descriptors is ~100 kB


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """" (did you mean 'business'?)" for the closest of ``choices`` to a mistyped ``value`` (any
    capitalisation), or "" when none is close."""
    import difflib

    folded = {c.casefold(): c for c in choices}
    close = difflib.get_close_matches(value.casefold(), list(folded), n=1)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


class DocumentInvalid(ValueError):
    """A document failed validation; ``problems`` lists every problem, one line each."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def too_large(size: int | None, max_bytes: int) -> str:
    """"file is 3.4 MB, over the limit of 2 MB" — in bytes where megabytes would read as the limit
    itself ("2.0 MB; the limit is 2 MB" for one byte too many). ``size`` None: a pipe or a device,
    read up to one byte over the limit, whose size is not known."""
    mb, limit = 1024 * 1024, f"{max_bytes / (1024 * 1024):g} MB"
    if size is None:
        return f"file is over the limit of {limit}"
    shown = f"{size / mb:.1f} MB" if round(size / mb, 1) > max_bytes / mb else f"{size:,} bytes"
    return f"file is {shown}, over the limit of {limit}" + ("" if shown.endswith("MB") else f" ({max_bytes:,} bytes)")


def read_at_most(stream, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of a binary ``stream``: one byte over the limit tells that the
    input is too large without reading the rest. A pipe, stdin, ``<(…)`` or /dev/zero has no size
    to check beforehand (st_size is 0), and read whole it ran the command out of memory."""
    chunks, total = [], 0
    while total <= max_bytes:  # a buffered stream reads it all in one go; a raw one may return less
        chunk = stream.read(max_bytes + 1 - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_text(path: str | Path, max_bytes: int | None = None) -> str:
    max_bytes = MAX_YAML_BYTES if max_bytes is None else max_bytes
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DocumentInvalid([f"{path}: file not found"]) from None
    except OSError as exc:
        raise DocumentInvalid([f"{path}: cannot read ({exc.strerror})"]) from None
    if path.is_dir():
        raise DocumentInvalid([f"{path}: is a directory, not a file"])
    if size > max_bytes:
        raise DocumentInvalid([f"{path}: {too_large(size, max_bytes)}"])
    try:
        with path.open("rb") as stream:
            raw = read_at_most(stream, max_bytes)
    except OSError as exc:
        raise DocumentInvalid([f"{path}: cannot read ({exc.strerror})"]) from None
    if len(raw) > max_bytes:
        raise DocumentInvalid([f"{path}: {too_large(None, max_bytes)}"])
    return decode_text(raw, str(path))


def decode_upload(raw: bytes, where: str, max_bytes: int = MAX_YAML_BYTES) -> str:
    """Text of an uploaded file, refusing oversized or non-UTF-8 uploads with a specific message."""
    if len(raw) > max_bytes:
        raise DocumentInvalid([f"{where}: {too_large(len(raw), max_bytes)}"])
    return decode_text(raw, where)


# Files people pick by mistake, by their first bytes: named, so the message says what to do.
_NOT_TEXT = {b"PK\x03\x04": "an Excel workbook (XLSX) or another ZIP archive",
             b"\xd0\xcf\x11\xe0": "an Excel 97–2003 workbook (XLS)",
             b"$FL2": "an SPSS data file (SAV)", b"$FL3": "an SPSS data file (SAV)", b"%PDF": "a PDF document",
             b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
             b"\x1f\x8b": "a gzip archive"}


def decode_text(raw: bytes, where: str, *, save_as: str = "UTF-8") -> str:
    """UTF-8 text (with or without a byte-order mark). Anything else is refused with what it is and
    the line it fails on, because guessing an encoding silently corrupts names and labels."""
    if not raw.strip():
        raise DocumentInvalid([f"{where}: the file is empty"])
    for magic, kind in _NOT_TEXT.items():
        if raw.startswith(magic):
            raise DocumentInvalid([f"{where}: the file is {kind}, not text; save it as {save_as}"])
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentInvalid([f"{where}: the file is UTF-16 text; save it as {save_as}"])
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        if not raw.strip():
            raise DocumentInvalid([f"{where}: the file is empty"])
    head = raw[:4096]
    if head.count(b"\x00") * 4 >= len(head):
        # every other byte zero: UTF-16 saved without a byte-order mark (NUL is valid UTF-8, so it
        # would otherwise "decode" into text with a NUL between every letter)
        raise DocumentInvalid([f"{where}: the file looks like UTF-16 text (every other byte is zero); save it as {save_as}"])
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise DocumentInvalid([f"{where}: line {line}: contains a NUL character, which text never holds; is this the right file?"])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DocumentInvalid([f"{where}: line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                               f"save the file as {save_as}"]) from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys instead of silently keeping the last one."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a plain value", key_node.start_mark) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _checked_scalar(tag: str, kind: str):
    """PyYAML's scalar constructors raise plain ValueError, KeyError, IndexError or AttributeError for
    values such as ``2026-13-45``, ``!!bool maybe``, an empty ``!!float`` or an integer of 5,000 digits
    (Python's int-string limit); turn those into YAML errors with a position, like every other problem."""
    construct = yaml.SafeLoader.yaml_constructors[tag]

    def checked(loader: _UniqueKeyLoader, node: yaml.ScalarNode):
        try:
            return construct(loader, node)
        except yaml.YAMLError:
            raise
        except (ValueError, LookupError, AttributeError, TypeError, OverflowError):
            shown = str(node.value)
            shown = shown if len(shown) <= 40 else shown[:40] + "…"
            raise yaml.constructor.ConstructorError(None, None, f"{shown!r} is not a valid {kind}", node.start_mark) from None

    _UniqueKeyLoader.add_constructor(tag, checked)


def _refuse_merge_key(loader: _UniqueKeyLoader, node: yaml.Node):
    raise yaml.constructor.ConstructorError(None, None, "merge keys ('<<') are not supported; write the values out",
                                            node.start_mark)


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:merge", _refuse_merge_key)

for _tag, _kind in (("int", "whole number"), ("float", "number"), ("bool", "true/false value"), ("timestamp", "date or time")):
    _checked_scalar(f"tag:yaml.org,2002:{_tag}", _kind)

# Limits on the shape of a document, checked on the parsed node graph *before* Python objects are
# built. YAML aliases let a few hundred bytes stand for a tree of billions of nodes ("billion
# laughs"); PyYAML shares the aliased objects, but validation walks the tree as written out, so the
# expanded size is what must be bounded. A full capability model is ~1,000 nodes, 6 levels deep.
MAX_YAML_NODES = 200_000  # counting every alias as a copy of what it refers to
MAX_YAML_DEPTH = 50


def _check_node_graph(root: yaml.Node, where: str) -> None:
    """Refuse documents whose alias-expanded tree is too large or too deep, or that refer to themselves."""
    done: dict[int, tuple[int, int]] = {}  # id(node) → (expanded size, height)
    on_path: set[int] = set()

    def line(node: yaml.Node) -> str:
        return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}: " if node.start_mark else ""

    def visit(node: yaml.Node, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in done:
            size, height = done[key]
        elif key in on_path:
            raise DocumentInvalid([f"{where}: {line(node)}not valid YAML: an alias refers to a node that contains it"])
        else:
            if depth > MAX_YAML_DEPTH:
                raise DocumentInvalid([f"{where}: {line(node)}not valid YAML: nested more than {MAX_YAML_DEPTH} levels deep"])
            if isinstance(node, yaml.SequenceNode):
                children = node.value
            elif isinstance(node, yaml.MappingNode):
                children = [child for pair in node.value for child in pair]
            else:
                children = []
            on_path.add(key)
            size, height = 1, 0
            for child in children:
                child_size, child_height = visit(child, depth + 1)
                size += child_size
                height = max(height, child_height + 1)
                if size > MAX_YAML_NODES:
                    raise DocumentInvalid([(f"{where}: not valid YAML: the document expands to more than {MAX_YAML_NODES:,} "
                                            "values (aliases count once per use); write it out without so many aliases")])
            on_path.discard(key)
            done[key] = (size, height)
        if depth + height > MAX_YAML_DEPTH:
            raise DocumentInvalid([f"{where}: {line(node)}not valid YAML: nested more than {MAX_YAML_DEPTH} levels deep"])
        return size, height

    visit(root, 0)


def _too_deep_at(text: str) -> str:
    """"line L, column C: " where a collection opens more than MAX_YAML_DEPTH levels down, or ""."""
    opening = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
               yaml.FlowSequenceStartToken)
    closing = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
    depth = 0
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, opening):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    return f"line {token.start_mark.line + 1}, column {token.start_mark.column + 1}: "
            elif isinstance(token, closing):
                depth -= 1
    except yaml.YAMLError:
        pass
    return ""


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


# What each kind of document has at its top level, to name a file given as the other kind.
_KINDS = {"model": ("a capability model", "capabilities", "itcap model validate"),
          "instrument": ("a survey instrument", "sections", "itcap survey validate")}


def wrong_kind(data: Any, where: str, expected: str) -> str | None:
    """One line for a parsed document of the other kind given where ``expected`` ("model" or
    "instrument") was wanted — a survey passed as a model listed a dozen schema errors — else None."""
    other = "instrument" if expected == "model" else "model"
    name, key, command = _KINDS[other]
    if not isinstance(data, dict) or key not in data or _KINDS[expected][1] in data:
        return None
    return (f"{where}: this is {name} (it has '{key}'), not {_KINDS[expected][0]}; "
            f"check it with '{command} {where}'")


def parse_document(text: str, where: str, kind: str, schema: type[BaseModel],
                   cross_check: Callable[[Any, str], list[str]] | None = None) -> Any:
    """Parse and validate YAML ``text`` as a document of ``kind`` ("model" or "instrument"); a
    document of the other kind is named in one line (see :func:`wrong_kind`) instead of its schema
    problems, wherever it was given — a CLI argument, an upload, a campaign's instrument."""
    data = parse_yaml(text, where)
    try:
        return validate_document(schema, data, where, cross_check)
    except DocumentInvalid:
        if hint := wrong_kind(data, where, kind):
            raise DocumentInvalid([hint]) from None
        raise


class YamlDocument(dict):
    """A parsed YAML mapping that remembers the line each of its values was written on
    (:func:`node_lines`), so that a problem found in the data can say where to look in the file, and
    how its unquoted values were written (:func:`plain_texts`), so that a hint can quote them."""

    lines: dict[tuple, int]
    written: dict[tuple, str]


def _nodes(root: yaml.Node) -> Iterator[tuple[tuple, yaml.Node, int]]:
    """(path, node, 1-based line) of every value under ``root``: a mapping value at its key's line, a
    list element at its own. Paths step by key text and list index, as pydantic's error locations do
    (keys as written: ``levels: {1: …}`` is the path step "1")."""
    seen: set[int] = set()
    stack = [((), root, root.start_mark.line + 1)]
    while stack:
        path, node, line = stack.pop()
        yield path, node, line
        if id(node) in seen:  # an alias: its values are where the anchor wrote them
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(reversed([((*path, str(key_node.value)), value_node, key_node.start_mark.line + 1)
                                   for key_node, value_node in node.value if isinstance(key_node, yaml.ScalarNode)]))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed([((*path, index), child, child.start_mark.line + 1) for index, child in enumerate(node.value)]))


def node_lines(root: yaml.Node) -> dict[tuple, int]:
    """Path → 1-based line of every value under ``root`` (see :func:`_nodes`)."""
    lines: dict[tuple, int] = {}
    for path, _, line in _nodes(root):
        lines.setdefault(path, line)
    return lines


def plain_texts(root: yaml.Node) -> dict[tuple, str]:
    """Path → the text of every unquoted scalar under ``root`` as the file has it: YAML turns
    ``1.10`` into the number 1.1 and ``010`` into 8, and a hint to quote the value must quote what
    was written, not what it became."""
    return {path: node.value for path, node, _ in _nodes(root) if isinstance(node, yaml.ScalarNode) and node.style is None}


_PATH_STEP = re.compile(r"(?P<key>[^\[\]]*?)(?:\[(?P<index>\d+)\](?: \(id [^)]*\))?)?")


def line_of_problem(problem: str, where: str, lines: dict[tuple, int]) -> int | None:
    """The line a problem's location ("sections[0] (id services) → items[3] (id q4) → scale: …")
    points at in the file — the deepest part of the path the file has (a missing field: the element
    it is missing from) — or None when the problem names no path."""
    prefix = f"{where}: "
    if not problem.startswith(prefix) or ": " not in problem[len(prefix):]:
        return None
    path_text = problem[len(prefix):].split(": ", 1)[0]
    path: list = []
    for step in path_text.split(" → "):
        match = _PATH_STEP.fullmatch(step)
        if match is None or not (match["key"] or match["index"]):
            return None
        if match["key"]:
            path.append(match["key"])
        if match["index"]:
            path.append(int(match["index"]))
    while path:
        if tuple(path) in lines:
            return lines[tuple(path)]
        path.pop()
    return None


_DUPLICATE_ID = re.compile(r": (?P<kind>\w+): id (?P<value>'[^']*'|\"[^\"]*\") is used more than once")


def _id_lines(data: Any, lines: dict[tuple, int], kind: str, value: str) -> list[int]:
    """The lines of the elements of every ``kind`` list (``items`` of all sections) whose id is ``value``."""
    found: list[int] = []

    def walk(node: Any, path: tuple) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                if str(key) == kind and isinstance(child, list):
                    found.extend(lines[(*path, str(key), i)] for i, e in enumerate(child)
                                 if isinstance(e, dict) and str(e.get("id")) == value and (*path, str(key), i) in lines)
                walk(child, (*path, str(key)))
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, (*path, i))

    walk(data, ())
    return sorted(found)


def with_lines(problems: list[str], where: str, data: Any) -> list[str]:
    """Each problem with the line of the file it is about, where its path (or, for an id used twice,
    the id) is found there: " (line 42)", " (lines 12 and 40)"."""
    lines = getattr(data, "lines", None)
    if not lines:
        return problems
    out = []
    for problem in problems:
        # an id used twice first: its path ("capabilities") would find only the list's own line
        if duplicate := _DUPLICATE_ID.search(problem):
            found = _id_lines(data, lines, duplicate["kind"], duplicate["value"][1:-1])
        else:
            found = [line] if (line := line_of_problem(problem, where, lines)) is not None else []
        if not found:
            out.append(problem)
            continue
        said = f"line {found[0]}" if len(found) == 1 else f"lines {', '.join(map(str, found[:-1]))} and {found[-1]}"
        if problem.endswith(")") and _DUPLICATE_ID.search(problem):  # "(the 1st and 3rd items: lines 20 and 25)"
            out.append(f"{problem[:-1]}: {said})")
        else:
            out.append(f"{problem} ({said})")
    return out


def parse_yaml(text: str, where: str) -> dict:
    if not text.strip():
        raise DocumentInvalid([f"{where}: the file is empty"])
    try:
        loader = _UniqueKeyLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_node_graph(node, where)
            data = loader.construct_document(node) if node is not None else None
            if isinstance(data, dict):
                data = YamlDocument(data)
                data.lines = node_lines(node)
                data.written = plain_texts(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        position = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or exc.context or "not valid YAML"
        # An unclosed quote or bracket is found only at the end of the file; where it began (the
        # context) is where to look.
        if exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            problem += f" ({exc.context} that starts at line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1})"
        raise DocumentInvalid([f"{where}: {position}not valid YAML: {problem}"]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a control character, U+FFFF)
        before = text[: exc.position]
        line, column = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        character = f"U+{exc.character:04X}" if isinstance(exc.character, int) else f"U+{ord(exc.character):04X}"
        raise DocumentInvalid([f"{where}: line {line}, column {column}: not valid YAML: the character {character} is not "
                               "allowed in YAML (often pasted in by accident); delete it"]) from None
    except yaml.YAMLError as exc:
        raise DocumentInvalid([f"{where}: not valid YAML: {_first_line(str(exc))}"]) from None
    except RecursionError:  # PyYAML's composer recurses per level; its scanner does not, and says where
        raise DocumentInvalid([f"{where}: {_too_deep_at(text)}not valid YAML: nested more than {MAX_YAML_DEPTH} "
                               "levels deep"]) from None
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        raise DocumentInvalid([f"{where}: expected a YAML mapping at the top level, found {kind}"])
    return data


ONE_LINE_FIELDS = ("name", "title", "version")


def one_line_field_problems(document: BaseModel, where: str, fields: Iterable[str] = ONE_LINE_FIELDS) -> list[str]:
    """Names, titles and versions of a new document that are not one line of visible text (a line
    break, a tab, a right-to-left override; itcap.names). Checked when a document is loaded, not when
    a stored one is read: a check added since must not lock assessments or campaigns out of it."""
    from itcap.names import line_problem

    data, wanted, problems = document.model_dump(), set(fields), []

    def walk(node: Any, loc: tuple) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in wanted and isinstance(value, str):
                    if problem := line_problem(value):
                        problems.append(f"{where}: {describe_location(data, (*loc, key))}: {problem}")
                else:
                    walk(value, (*loc, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*loc, index))

    walk(data, ())
    return problems


def describe_location(data: Any, loc: tuple[Any, ...]) -> str:
    """Turn a pydantic location into 'capabilities[3] (id brm) → levels → 4'.

    Wherever a list element is a mapping with an ``id``, the id is named: that is what people search for.
    """
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int) and isinstance(node, list):
            label = f"[{step}]"
            element = node[step] if 0 <= step < len(node) else None
            if isinstance(element, dict) and isinstance(element.get("id"), (str, int)):
                label += f" (id {element['id']})"
            if parts:
                parts[-1] += label
            else:
                parts.append(label)
            node = element
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return " → ".join(parts) if parts else "(top level)"


def _looks_numeric(text: str) -> bool:
    try:
        value = float(text.replace("_", "x"))  # (1_000 is not a number a reader would write)
    except ValueError:
        return False
    return math.isfinite(value)


def _plain(text: str) -> str:
    """The number as YAML reads it as one: "1000" for 1e3; "1.0e+20", with the dot YAML 1.1 needs."""
    value = float(text)
    if value.is_integer() and abs(value) < 1e15:
        return f"{value:.0f}"
    written = repr(value)
    if "e" not in written:
        return written
    mantissa, exponent = written.split("e")
    return f"{mantissa if '.' in mantissa else mantissa + '.0'}e{exponent}"


def _written(data: Any, loc: tuple) -> str | None:
    """How the unquoted value at a pydantic error ``loc`` was written in the file (``1.10``, where
    the value is 1.1), or None when ``data`` was not read from a file or the value was quoted."""
    written = getattr(data, "written", None)
    if not written:
        return None
    path, node = [], data
    for step in loc:  # the steps as node_lines has them: list indices, and keys as text
        if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            path.append(step)
            node = node[step]
        elif isinstance(node, dict):
            path.append(str(step))
            node = node.get(step)
        else:
            return None
    return written.get(tuple(path))


def pydantic_problems(exc: ValidationError, data: Any, where: str) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(step for step in error["loc"] if not (isinstance(step, str) and step.startswith("function-")))
        message = error["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if error["type"] == "missing":
            message = "required field is missing"
        elif error["type"] == "extra_forbidden":
            message = "unknown field (check the spelling)"
        elif error["type"] in ("int_type", "float_type"):
            kind = "a whole number" if error["type"] == "int_type" else "a number"
            given = error.get("input")
            hint = ""
            if isinstance(given, str) and _looks_numeric(given):  # YAML 1.1 reads 1e3 (no dot, no sign) as text
                hint = f" (YAML reads {given!r} as text: write {_plain(given)}, without quotes)"
            message = f"must be {kind}, not {given!r}{hint}"
        elif error["type"] in _CHOICE_ERRORS and error.get("ctx", {}).get("expected"):
            message = f"{error.get('input')!r} is not one of {error['ctx']['expected']}"
        elif error["type"] == "finite_number":
            message = f"must be a finite number, not {error.get('input')!r}"
        elif error["type"] == "string_type":
            given = error.get("input")
            hint = ""
            if isinstance(given, (int, float)):  # (bool too: yes, on, true)
                written = _written(data, loc) or str(given)
                hint = (f" (YAML reads {written} as {'true or false' if isinstance(given, bool) else 'a number'}: "
                        f"write it in quotes, '{written}')")
            message = f"must be text, not {given!r}{hint}"
        elif error["type"] == "string_too_short" and error.get("ctx", {}).get("min_length") == 1:
            message = "must not be empty"
        elif error["type"] == "too_short" and "min_length" in error.get("ctx", {}):
            need, got = error["ctx"]["min_length"], error["ctx"].get("actual_length", len(error.get("input") or []))
            message = f"needs at least {need} entr{'y' if need == 1 else 'ies'}, has {got}"
        elif error["type"] in ("greater_than", "greater_than_equal", "less_than", "less_than_equal") and error.get("ctx"):
            bound = next(iter(error["ctx"].values()))
            words = {"greater_than": "greater than", "greater_than_equal": "at least", "less_than": "less than",
                     "less_than_equal": "at most"}[error["type"]]
            message = f"must be {words} {bound:g}, not {error.get('input')!r}" if isinstance(bound, (int, float)) else message
        problems.append(f"{where}: {describe_location(data, loc)}: {message}")
    return problems


def validate_document(model: type[BaseModel], data: dict, where: str,
                      cross_check: Callable[[Any, str], list[str]] | None = None) -> BaseModel:
    """Validate ``data`` against ``model``, then ``cross_check`` the result; DocumentInvalid lists
    every problem. When the schema problems are unknown fields or bad values of fields inside the
    document's parts, the document is checked again without them, so one run also reports the
    problems behind them (a target out of range, an unknown id) instead of one kind of problem per
    run — as long as the rest still makes a document (a bad value of a field with a default)."""
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        problems = pydantic_problems(exc, data, where)
        errors = exc.errors()
        only_unknown_fields = all(e["type"] == "extra_forbidden" for e in errors)
        # Fields inside a part (capabilities[3].weight), not a whole top-level list whose default
        # would stand in for it: a bad value is taken out (a field with a default), or — text where
        # text is needed (a name, a level descriptor), ids aside — stood in for by a placeholder, so
        # that a bad required text no longer hides the rest. Never a list element taken out (the
        # indices of the rest would shift).
        # A value outside a fixed set (an item's type "slider") stands in as the set's first value, and a
        # missing field as a text (if it is not text, the document still fails and nothing more is said).
        def fixable(e: dict) -> bool:
            if len(e["loc"]) == 1:  # a top-level value (version: 1.0) stands in; a whole list or part does not
                key = e["loc"][0]
                return (key != "id" and e["type"] in _STAND_IN_ERRORS and isinstance(data, dict)
                        and not isinstance(data.get(key), (list, dict)))
            return e["loc"][-1] != "id" and (e["type"] in _STAND_IN_ERRORS or isinstance(e["loc"][-1], str))

        prunable = only_unknown_fields or all(fixable(e) for e in errors)
        if errors and prunable:
            pruned = _without_keys(data, [e["loc"] for e in errors if e["type"] not in _STAND_IN_ERRORS])
            pruned = _with_stand_ins(pruned, [(e["loc"], _stand_in(e)) for e in errors if e["type"] in _STAND_IN_ERRORS])
            try:
                rest = model.model_validate(pruned)
            except ValidationError as again:
                if only_unknown_fields:  # else the new problems are the pruned fields, now missing
                    problems += [p for p in pydantic_problems(again, pruned, where) if p not in problems]
            else:
                # A removed bad value was replaced by its default (or a placeholder stood in): what the
                # cross-checks then say about that field (a numeric item "needs min and max", a mode "has
                # no target for X") would be about the stand-in, not the file. Said about the part's
                # other fields (another target out of range), it is about the file, and is kept.
                # A stand-in (a placeholder text, a choice's first value) can touch anything said about
                # its part; a value taken out only what names its field (a weight gone does not make
                # the same capability's unknown domain any less the file's).
                touched = set() if only_unknown_fields else (
                    _fields_of(data, [e["loc"] for e in errors if e["type"] in _STAND_IN_ERRORS])
                    | {(part, e["loc"][-1]) for e in errors if e["type"] not in _STAND_IN_ERRORS
                       and isinstance(e["loc"][-1], str) for part in _parts_of(data, [e["loc"]])})

                def about_the_file(problem: str) -> bool:
                    return _PLACEHOLDER_TEXT not in problem and not any(
                        part in problem and (field is None or re.search(rf"\b{re.escape(field)}\b", problem))
                        for part, field in touched)

                problems += [p for p in (cross_check(rest, where) if cross_check else [])
                             if p not in problems and about_the_file(p)]
        problems += [p for p in _raw_duplicate_ids(data, where) if p not in problems]
        raise DocumentInvalid(with_lines(problems, where, data)) from None
    problems = cross_check(validated, where) if cross_check else []
    if problems:
        raise DocumentInvalid(with_lines(problems, where, data))
    return validated


# The lists whose elements carry ids that must be unique (in a model or an instrument).
ID_LISTS = frozenset({"groups", "response_scales", "scales", "sections", "items", "ipa_pairs",
                      "domains", "categories", "capabilities", "modes"})


def _raw_duplicate_ids(data: Any, where: str) -> list[str]:
    """Ids used twice, read from the raw document: a document with schema problems never reaches the
    cross-checks, and a duplicate id would otherwise show up only on the next upload. Elements of
    every list under the same key (``items`` of all sections, say) share one set of ids, as the
    cross-checks have it; the message is theirs."""
    seen: dict[str, list[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, list):
                    ids = [e["id"] for e in value if isinstance(e, dict) and isinstance(e.get("id"), (str, int))]
                    seen.setdefault(str(key), []).extend(str(i) for i in ids)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    problems = []
    for kind, ids in seen.items():
        if kind in ID_LISTS:
            problems += duplicate_id_problems(where, kind, ids)
    return problems


def duplicate_id_problems(where: str, kind: str, ids: list[str]) -> list[str]:
    """Ids used more than once in a list of ``kind`` (in document order), each with the places it
    is used — "capabilities: id 'PLN-02' is used more than once (the 4th and 11th capabilities)" —
    so that the second one can be found in a long file."""
    places: dict[str, list[int]] = {}
    for position, value in enumerate(ids, start=1):
        places.setdefault(str(value), []).append(position)
    return [f"{where}: {kind}: id {value!r} is used more than once (the {_ordinals(found)} {kind})"
            for value, found in places.items() if len(found) > 1]


def _ordinals(numbers: list[int]) -> str:
    def ordinal(n: int) -> str:
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"

    words = [ordinal(n) for n in numbers]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _fields_of(data: Any, locations: list[tuple]) -> set[tuple[str, str | None]]:
    """(the part's "(id X)", a key) for each location: the key when the location is a key of a mapping
    that is a field of the part (``modes[1].targets.service_desk``: "service_desk"), else None — a
    field of the part itself, about which any problem of the part may be."""
    fields = set()
    for loc in locations:
        in_a_field_map = len(loc) >= 3 and isinstance(loc[-3], int) and isinstance(loc[-2], str) and isinstance(loc[-1], str)
        for part in _parts_of(data, [loc]):
            fields.add((part, loc[-1] if in_a_field_map else None))
    return fields


def _parts_of(data: Any, locations: list[tuple]) -> set[str]:
    """"(id X)" of the part of the document each location is in (the nearest element with an id)."""
    parts = set()
    for loc in locations:
        node, found = data, None
        for step in loc[:-1]:
            node = node[step] if isinstance(node, (dict, list)) and (isinstance(node, dict) and step in node
                                                                      or isinstance(node, list) and isinstance(step, int) and step < len(node)) else None
            if isinstance(node, dict) and isinstance(node.get("id"), (str, int)):
                found = node["id"]
            if node is None:
                break
        if found is not None:
            parts.add(f"(id {found})")
    return parts


# pydantic error types of a text field given something else (or an empty text): a placeholder text stands in
_TEXT_ERRORS = frozenset({"string_type", "string_too_short", "string_too_long", "string_pattern_mismatch"})
# (a word no message uses: problems naming it are about the stand-in, and dropped — "placeholder"
# was that word, and dropped the real "unknown placeholder {…}" problems along with them)
_PLACEHOLDER_TEXT = "itcapStandIn"
# ... and of a value outside a fixed set (a Literal or an Enum): its first allowed value stands in
_CHOICE_ERRORS = frozenset({"literal_error", "enum"})
_STAND_IN_ERRORS = _TEXT_ERRORS | _CHOICE_ERRORS | {"missing"}


def _stand_in(error: dict) -> Any:
    """What stands in for a bad or missing value while the rest of the document is checked."""
    if error["type"] in _CHOICE_ERRORS:
        allowed = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        if allowed:
            return allowed[0]
    return _PLACEHOLDER_TEXT


def _parent(data: Any, loc: tuple) -> Any:
    """The mapping or list holding the value at a pydantic error ``loc`` (None when the path breaks)."""
    node = data
    for step in loc[:-1]:
        node = node[step] if isinstance(node, (dict, list)) else None
        if node is None:
            break
    return node


def _with_stand_ins(data: Any, stand_ins: list[tuple[tuple, Any]]) -> Any:
    """``data`` (already a copy) with each ``(location, value)`` of ``stand_ins`` set."""
    for loc, value in stand_ins:
        node = _parent(data, loc)
        if isinstance(node, dict) or isinstance(node, list) and isinstance(loc[-1], int) and loc[-1] < len(node):
            node[loc[-1]] = value
    return data


def _without_keys(data: Any, locations: list[tuple]) -> Any:
    """A deep copy of ``data`` without the mapping keys at ``locations`` (pydantic error locs)."""
    import copy

    pruned = copy.deepcopy(data)
    for loc in locations:
        node = _parent(pruned, loc)
        if isinstance(node, dict):
            node.pop(loc[-1], None)
    return pruned


def cannot_write(path: str | Path, exc: OSError) -> str:
    """Why ``path`` could not be written, naming the part of the path at fault: "File exists" for
    ``report.pdf/x`` means a file stands where a folder is needed; "No such file" for ``reprots/x``,
    that the folder is not there (outputs never create folders: a typo would make a new one)."""
    target = Path(path)
    if isinstance(exc, (FileExistsError, NotADirectoryError, FileNotFoundError)):
        blocker = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            return f"{path}: cannot write: {blocker} is a file, not a folder"
    if isinstance(exc, FileNotFoundError) and not target.parent.is_dir():
        return f"{path}: cannot write: folder {target.parent} does not exist; check the path, or create the folder first"
    if isinstance(exc, IsADirectoryError) or target.is_dir():
        return f"{path}: cannot write: it is a folder; give a file name"
    return f"{path}: cannot write ({exc.strerror or exc})"

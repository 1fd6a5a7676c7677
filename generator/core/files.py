"""All file input and output: safe YAML with positions, and atomic writes.

Entries come from strangers' pull requests, so YAML is read defensively: a size limit checked
before reading, strict UTF-8, no anchors or aliases (a "billion laughs" file fails at its first
anchor instead of expanding), no duplicate keys, and no Python tags. Scalars are resolved the
way YAML 1.2 editors see them (null, true/false, integers, floats, everything else a string),
so the JSON Schema we publish for editors means the same thing here: a date stays a string,
and an unquoted ``2505.20110`` is a number (and gets a "quote it" hint) instead of silently
losing its trailing zero.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .cache import Cache

MAX_FILE_BYTES = 256 * 1024

Pos = tuple[int, int]  # 1-based line and column
KeyPath = tuple[str | int, ...]

_NULL = re.compile(r"^(~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False,
         "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


class YamlError(Exception):
    """A file that cannot be read as safe YAML; carries the position of the fault."""

    def __init__(self, message: str, line: int = 1, col: int = 1, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.hint = hint


@dataclass(frozen=True)
class Located:
    """A loaded YAML document and the position of every value and key in it."""

    data: Any
    positions: dict[KeyPath, Pos]
    key_positions: dict[KeyPath, Pos]
    #: Paths of literal block scalars (``|``): the only style in which a single line break
    #: is a line break. Everywhere else YAML has already folded line wraps into spaces, so a
    #: remaining ``\n`` stands for a blank line the author wrote between paragraphs.
    literal: frozenset[KeyPath] | set[KeyPath] = field(default_factory=set)

    def is_literal(self, path: KeyPath) -> bool:
        """Whether the text at ``path`` was written as a literal block (``key: |``)."""
        return path in self.literal

    def pos(self, path: KeyPath) -> Pos:
        """Position of the value at ``path``, or of its nearest located parent."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def key_pos(self, path: KeyPath) -> Pos:
        """Position of the key naming ``path`` (falls back to the value's position)."""
        return self.key_positions.get(path) or self.pos(path)


MAX_DEPTH = 32  # an entry nests three levels; deeper input is hostile or a mistake


class _Loader(yaml.SafeLoader):
    """A composer that refuses anchors, aliases and deep nesting before building anything."""

    _depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            mark = event.start_mark
            raise YamlError("YAML anchors and aliases are not allowed", mark.line + 1,
                            mark.column + 1, "write the value out in full")
        # The composer recurses once per level: "[[[[..." would otherwise end in a
        # RecursionError instead of a message with a position.
        if self._depth >= MAX_DEPTH:
            mark = event.start_mark
            raise YamlError(f"YAML nested more than {MAX_DEPTH} levels deep", mark.line + 1,
                            mark.column + 1, "an entry needs at most three levels")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_PLAIN_TAGS = ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")


def _mark(node: yaml.Node) -> Pos:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _scalar(node: yaml.ScalarNode) -> Any:
    if node.tag not in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:null",
                        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                        "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp",
                        "tag:yaml.org,2002:binary", "tag:yaml.org,2002:value",
                        "tag:yaml.org,2002:merge"):
        line, col = _mark(node)
        raise YamlError(f"YAML tag {node.tag!r} is not allowed", line, col, "remove the tag")
    value = node.value
    if node.style:  # quoted or block scalars are always text (plain: None, or "" from libyaml)
        return value
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        # Python refuses to convert over 4,300 digits; such a "number" is only text.
        return int(value) if len(value) <= 100 else value
    if _FLOAT.match(value) and any(ch.isdigit() for ch in value):
        return float(value)
    return value


def _build(node: yaml.Node, path: KeyPath, located: Located) -> Any:
    located.positions[path] = _mark(node)
    if node.tag not in _PLAIN_TAGS and not isinstance(node, yaml.ScalarNode):
        line, col = _mark(node)
        raise YamlError(f"YAML tag {node.tag!r} is not allowed", line, col, "remove the tag")
    if isinstance(node, yaml.ScalarNode):
        if node.style == "|":
            located.literal.add(path)
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, (*path, i), located) for i, child in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line, col = _mark(key_node)
                raise YamlError("mapping keys must be plain text", line, col)
            key = str(key_node.value)
            if key == "<<":
                line, col = _mark(key_node)
                raise YamlError("YAML merge keys (<<) are not allowed", line, col,
                                "write the fields out in full")
            if key in result:
                line, col = _mark(key_node)
                raise YamlError(f"duplicate key {key!r}", line, col,
                                "each field may appear only once")
            located.key_positions[(*path, key)] = _mark(key_node)
            result[key] = _build(value_node, (*path, key), located)
        return result
    raise YamlError("unsupported YAML node")  # pragma: no cover - composer yields only these


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a small UTF-8 text file, refusing large or mis-encoded files with a position."""
    size = path.stat().st_size
    if size > max_bytes:
        raise YamlError(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit",
                        hint="an entry is a few kilobytes; is this the right file?")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        # Count characters, not bytes, as editors do: the line's start is valid UTF-8.
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8")) + 1
        raise YamlError(f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})", line, col,
                        "save the file as UTF-8") from None
    return text.removeprefix("\ufeff")


def load_yaml(path: Path, max_bytes: int = MAX_FILE_BYTES, cache: Cache | None = None
              ) -> Located:
    """Load one YAML document with positions. Raises :class:`YamlError` on any fault.

    With a ``cache``, a file whose text is unchanged since it was last read is not parsed
    again (`serve` reloads the whole list after every edit)."""
    return read_yaml(path, max_bytes, cache)[1]


def read_yaml(path: Path, max_bytes: int = MAX_FILE_BYTES, cache: Cache | None = None
              ) -> tuple[str, Located]:
    """(the file's text, its parse): :func:`load_yaml` that also gives the text, the
    content an entry's checks can be looked up by."""
    text = read_text(path, max_bytes)
    if cache is None:
        return text, parse_yaml(text)
    # absolute path -> (text, parse); a parse is never modified by its readers
    parsed = cache.room("parsed yaml")
    key = os.path.abspath(path)
    hit = parsed.get(key)
    if hit is not None and hit[0] == text:
        return hit
    parsed[key] = (text, parse_yaml(text))
    return parsed[key]


def parse_yaml(text: str) -> Located:
    """Parse YAML text into plain values plus the position of every value and key.

    Well-formed files take libyaml's C parser (about ten times faster); anything unusual,
    including every error, goes through the pure-Python composer, which owns the messages.
    """
    node = _fast_compose(text)
    if node is not None:
        located = Located(None, {}, {}, set())
        data = _build(node, (), located)
        return Located(data, located.positions, located.key_positions,
                       frozenset(located.literal))
    return _parse_yaml_checked(text)


_CLoader = getattr(yaml, "CSafeLoader", None)
_GLUED_COMMENT = re.compile(r"[|>][0-9+-]*#")


def _fast_compose(text: str) -> yaml.Node | None:
    """The document's node tree via libyaml, or None to take the careful path.

    The events are scanned first, so a file with an anchor, an alias, deep nesting or any
    error is never composed here (libyaml would share aliased nodes rather than refuse).
    """
    # Characters on which libyaml and PyYAML's scanner disagree take the careful path.
    if _CLoader is None or any(ch in text for ch in "\x00\ufeff\t"):
        return None
    # libyaml accepts a comment glued to a block scalar header ("|#"); PyYAML refuses it.
    if _GLUED_COMMENT.search(text):
        return None
    try:
        depth = documents = 0
        for event in yaml.parse(text, Loader=_CLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return None
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth >= MAX_DEPTH - 1:
                    return None
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
            elif isinstance(event, yaml.ScalarEvent) and event.value == "" and not event.style:
                return None  # libyaml places empty values elsewhere; keep one answer
        if documents != 1:
            return None
        loader = _CLoader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except (yaml.YAMLError, ValueError, RecursionError):
        return None


def _parse_yaml_checked(text: str) -> Located:
    """The pure-Python path: refuses anchors and deep nesting with positions."""
    if "\x00" in text:
        line, col = _text_pos(text, text.index("\x00"))
        raise YamlError("file contains NUL bytes", line, col, "save the file as UTF-8 text")
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader rejects control characters here already
        node = loader.get_single_node()
    except YamlError:
        raise
    except yaml.reader.ReaderError as exc:
        line, col = _text_pos(text, exc.position)
        raise YamlError(f"file contains a control character (#x{exc.character:04x})", line,
                        col, "remove it; entries are plain UTF-8 text") from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error above is marked
        raise YamlError("YAML error: " + " ".join(str(exc).split())) from None
    finally:
        if loader is not None:
            loader.dispose()
    located = Located(None, {}, {}, set())
    if node is None:
        return located
    data = _build(node, (), located)
    return Located(data, located.positions, located.key_positions,
                   frozenset(located.literal))


def _text_pos(text: str, index: int) -> Pos:
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def _syntax_error(exc: yaml.MarkedYAMLError) -> YamlError:
    """One line from PyYAML's two-part message: the problem, and what it was inside."""
    if exc.problem_mark and exc.problem == "but found another document":
        mark = exc.problem_mark
        return YamlError("a file holds one YAML document, found a second one",
                         mark.line + 1, mark.column + 1, "remove the '---' line")
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = exc.problem or exc.context or "invalid YAML"
    if exc.problem and exc.context:
        where = ""
        if exc.context_mark and exc.context_mark.line + 1 != line:
            where = f" at line {exc.context_mark.line + 1}"
        message = f"{message} ({exc.context}{where})"
    return YamlError("YAML syntax error: " + " ".join(message.split()), line, col,
                     "check indentation, colons and quotes")


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a file so readers see the old or the new content, never a half-written one.

    The file gets the mode a plain write would give it: the old file's, or 0666 less the
    user's umask for a new one (a temporary file is created 0600, which would hide an entry
    or a site file from the group and from a web server)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def escapes(path: Path, root: Path) -> bool:
    """True when ``path`` lies in ``root`` by name but resolves outside it (a symlink out
    of the project): such a file is refused unread, so nothing of it is published or quoted."""
    real_root = os.path.realpath(root)
    inside_by_name = Path(os.path.abspath(path)).is_relative_to(os.path.abspath(root)) or \
        Path(os.path.abspath(path)).is_relative_to(real_root)
    return inside_by_name and not Path(os.path.realpath(path)).is_relative_to(real_root)


def iter_entry_files(folder: Path) -> Iterator[Path]:
    """Entry files directly in ``folder`` (subfolders such as inbox/ are ignored), sorted."""
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in (".yaml", ".yml") and path.stem != "taxonomy":
            yield path

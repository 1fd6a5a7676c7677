"""Untrusted text on a terminal: titles, authors, ids from feeds and API answers that a
command prints show their control characters as escapes (``\\x1b``, ``\\r``) instead of
acting on them, so an entry or a server cannot clear the screen, retitle the window, hide a
line or forge one.

This is the escaping ``reading-list check`` applies to its messages (one helper, so every
command shows the same text the same way).
"""

from __future__ import annotations

from .entries import _one_line


def visible(text: object) -> str:
    """``text`` on one line, every control character (C0, DEL, C1, line and paragraph
    separators) written as a Python escape: ``"a\\x1b[2Jb"`` prints as ``a\\x1b[2Jb``."""
    return _one_line(str(text))


def is_control(char: str) -> bool:
    """Whether ``visible`` escapes ``char`` (one character): the same set, for code that must
    refuse such characters rather than show them."""
    return visible(char) != char


def visible_lines(text: str) -> str:
    """Multi-line output (a rendered email, a table) with each line made visible: the line
    breaks the command wrote stay, control characters inside a line do not act."""
    return "\n".join(visible(line) for line in text.split("\n"))

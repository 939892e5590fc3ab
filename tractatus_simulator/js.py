"""Text tests with the semantics of the JavaScript the services are written in.

Without the `u` flag, a JavaScript regular expression's `\\w`, `\\d` and `\\b` are ASCII-only (so
`re.ASCII`), while `\\s`, `String.prototype.trim` and `split(/\\s+/)` take every Unicode space that
ECMAScript counts as white space or a line terminator (`SPACE` below, which Python's ASCII `\\s`
would miss and its Unicode `\\s` would widen with the separators U+001C–U+001F and U+0085).

>>> word("value", "Edit values.html"), substring("value", "Edit values.html")
(False, True)
>>> split_words("a\\u00a0b  c")
['a', 'b', 'c']
>>> js_string(True), js_string(27017)
('true', '27017')
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["SPACE", "compile_js", "js_string", "lower", "search", "split_words", "substring", "trim", "word"]

_SPACES = "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
SPACE = f"[{_SPACES}]"


@cache
def compile_js(pattern: str, ignore_case: bool = True) -> re.Pattern[str]:
    """A JavaScript pattern as a Python one: `\\s`, in or out of a character class, is ECMAScript
    white space.

    >>> bool(compile_js(r"port[:\\s=]\\s*(\\d{4,5})").search("port\\u00a027017"))
    True
    """
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            pair = pattern[index : index + 2]
            out.append((_SPACES if in_class else SPACE) if pair == "\\s" else pair)
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        index += 1
    return re.compile("".join(out), re.ASCII | (re.IGNORECASE if ignore_case else 0))


def search(pattern: str, text: str, ignore_case: bool = True) -> re.Match[str] | None:
    return compile_js(pattern, ignore_case).search(text)


def word(keyword: str, text: str) -> bool:
    """`new RegExp('\\\\b' + keyword + '\\\\b', 'i').test(text)`: a whole-word, case-blind match."""
    return search(rf"\b{keyword}\b", text) is not None


def lower(text: str) -> str:
    return text.lower()


def substring(needle: str, text: str) -> bool:
    """`text.toLowerCase().includes(needle)`."""
    return needle in lower(text)


def trim(text: str) -> str:
    return re.sub(f"^{SPACE}+|{SPACE}+$", "", text)


def split_words(text: str) -> list[str]:
    """`text.split(/\\s+/)`, without the empty ends JavaScript keeps (they are too short to count)."""
    return [part for part in re.split(f"{SPACE}+", text) if part]


def js_string(value: object) -> str:
    """`String(value)` for the values an action's parameters hold (text, whole numbers, booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

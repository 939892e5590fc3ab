r"""The page side of every Space: Gradio without analytics, Markdown that shows a visitor's text as
text, and a launch that serves only this machine's assets.

A visitor's text (a filter value, an action to simulate) is echoed through `literal`, so that
`<img src=…>`, `[a](…)`, `![a](…)` or `$x$` are shown, never rendered: an image tag would make the
browser fetch from another host even where Gradio's sanitiser stops scripts.

    >>> print(literal("<b>x</b> [a](http://h/) ![i](h.png) $x$"))
    &lt;b&gt;x&lt;\/b&gt; \[a\]\(http\:\/\/h\/\) \!\[i\]\(h\.png\) \$x\$
"""

from __future__ import annotations

import os
import re
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import gradio as gr

__all__ = ["COLOURS", "gradio", "launch", "literal", "markdown", "quoted"]

# The same colour for the same label in every plot of every Space, whatever subset a filter leaves.
COLOURS = {
    "decision": {"allow": "#4c9a2a", "warn": "#e0a800", "ask": "#3b7dd8", "block": "#c0392b"},
    "pressure": {
        "NORMAL": "#4c9a2a",
        "ELEVATED": "#e0a800",
        "HIGH": "#e67e22",
        "CRITICAL": "#c0392b",
        "DANGEROUS": "#6d1a12",
        "UNKNOWN": "#999999",
    },
}

# Every ASCII punctuation character CommonMark lets a backslash escape, but the three that are
# written as entities instead (an HTML tag needs `<`; `&` starts an entity; `>` a quote block).
_PUNCTUATION = re.compile(r"([!\"#$%'()*+,\-./:;=?@\[\\\]^_`{|}~])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def literal(text: str) -> str:
    """`text` as Markdown (and HTML) that renders as exactly these characters, on one line."""
    text = _PUNCTUATION.sub(r"\\\1", _CONTROL.sub(" ", str(text)))
    return "".join(_ENTITIES.get(char, char) for char in text)


def quoted(text: str, limit: int = 200) -> str:
    """A visitor's value quoted in a message, shortened past `limit` characters, shown literally."""
    text = str(text)
    shown = text if len(text) <= limit else text[:limit] + "…"
    return "“" + literal(shown) + "”"


def gradio() -> ModuleType:
    """Gradio, imported with its analytics off (the variable is read when it is first imported)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    return gr


def markdown(value: str = "", **options: Any) -> gr.Markdown:
    """A Markdown block that renders no LaTeX: a `$` in data or a visitor's text stays a `$`."""
    gradio()
    import gradio as gr

    return gr.Markdown(value, latex_delimiters=[], **options)


def launch(app: gr.Blocks, host: str = "127.0.0.1", port: int | None = None) -> None:
    """Serve `app`: no share link, no API page or links out, no MCP server, assets from the app."""
    app.launch(
        server_name=host,
        server_port=port,
        ssr_mode=False,
        footer_links=[],
        share=False,
        mcp_server=False,
    )

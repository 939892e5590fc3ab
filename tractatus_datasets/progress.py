"""Progress bars in the `huggingface_hub` convention: `HF_HUB_DISABLE_PROGRESS_BARS=1` silences them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from huggingface_hub.utils.tqdm import tqdm

__all__ = ["progress"]

T = TypeVar("T")


def progress(items: Iterable[T], **kwargs: Any) -> Iterator[T]:
    """Iterate with a progress bar on stderr (hidden when bars are disabled or stderr is not a terminal)."""
    kwargs.setdefault("leave", False)
    kwargs.setdefault("disable", None)  # tqdm: None hides the bar when stderr is not a terminal
    yield from tqdm(items, **kwargs)  # type: ignore[no-untyped-call]  # huggingface_hub's subclass is untyped

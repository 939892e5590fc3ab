"""Progress bars in the `huggingface_hub` convention: `HF_HUB_DISABLE_PROGRESS_BARS=1` silences them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from huggingface_hub.utils.tqdm import tqdm

__all__ = ["progress", "progress_bar"]

T = TypeVar("T")


def progress_bar(**kwargs: Any) -> Any:
    """A progress bar on stderr to `update` by hand (hidden when bars are disabled or stderr is not
    a terminal)."""
    kwargs.setdefault("leave", False)
    kwargs.setdefault("disable", None)  # tqdm: None hides the bar when stderr is not a terminal
    return tqdm(**kwargs)  # type: ignore[no-untyped-call]  # huggingface_hub's subclass is untyped


def progress(items: Iterable[T], **kwargs: Any) -> Iterator[T]:
    """Iterate with a progress bar (see `progress_bar`)."""
    with progress_bar(**kwargs) as bar:
        for item in items:
            yield item
            bar.update()

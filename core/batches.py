"""Cutting a stream into lists of at most `size` items (Python 3.12's itertools.batched, for 3.11): the pipeline's
batches, bulk writes and migrations read and write in bounded pieces."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk

"""A bounded, least-recently-used cache of per-text work (embeddings, entities, MinHash signatures).

An edition is rebuilt many times a day over mostly the same articles; in the long-running service these caches
let only new text reach the models. Each is per process and bounded.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """Values by key, the last `max_items` used kept (None: all)."""

    def __init__(self, max_items: int | None) -> None:
        self.max_items = max_items
        self.items: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self.items)

    def get_many(self, keys: Sequence[K], compute: Callable[[list[K]], Iterable[V]]) -> list[V]:
        """The value of each key; `compute` gets the missing keys (sorted, each once) and returns their values
        in that order. Evicts only after the values are read, so a call larger than the bound still works."""
        missing = sorted({k for k in keys if k not in self.items})  # type: ignore[type-var]
        if missing:
            for key, value in zip(missing, compute(missing), strict=True):
                self.items[key] = value
        values = [self.items[k] for k in keys]
        for key in keys:
            self.items.move_to_end(key)
        while self.max_items is not None and len(self.items) > self.max_items:
            self.items.popitem(last=False)
        return values

"""Consistent hashing of sessions onto engine instances (gateway/engine/client.py routes by it)."""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence


def _hash(key: str) -> int:
    # blake2b rather than hash(): stable across processes, so every gateway replica agrees.
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


class HashRing:
    """Consistent hashing with virtual nodes: each instance owns many small arcs of the ring,
    so sessions spread evenly and a failed instance's share is split among all the others."""

    def __init__(self, nodes: Sequence[str], replicas: int = 128) -> None:
        if not nodes:
            raise ValueError("at least one engine instance is needed")
        self.nodes = list(dict.fromkeys(nodes))
        points = sorted((_hash(f"{node}#{i}"), node) for node in self.nodes for i in range(replicas))
        self._keys = [p for p, _ in points]
        self._owners = [n for _, n in points]

    def preference(self, key: str) -> list[str]:
        """Every instance once, in the order this key should try them (owner first)."""
        if len(self.nodes) == 1:
            return list(self.nodes)
        start = bisect.bisect(self._keys, _hash(key))
        order: list[str] = []
        for i in range(len(self._owners)):
            node = self._owners[(start + i) % len(self._owners)]
            if node not in order:
                order.append(node)
                if len(order) == len(self.nodes):
                    break
        return order

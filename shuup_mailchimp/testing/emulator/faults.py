"""Fault injection and the simultaneous-connection limit.

Faults are drawn from a seeded RNG *before* a request is handled, so a write that receives an
injected fault is never applied (as with a real 5xx raised in front of Mailchimp's app servers).
The connection limit is counted outside the state lock: in-flight requests are those that
entered :meth:`MailchimpEmulator.handle` and have not returned yet, including their latency.
"""
import random
import threading
from collections import defaultdict
from typing import Dict, Optional

FAULT_KINDS = ("429", "500", "503", "drop")


class EmulatorDroppedConnection(Exception):
    """Raised by ``handle`` when a dropped connection is injected: the transport must close without replying."""


class FaultInjector:
    """Decides, with probability ``rate`` and a seeded RNG, which fault (if any) hits a request."""

    def __init__(self, rate: float = 0.0, seed: Optional[int] = None) -> None:
        self.rate = float(rate or 0.0)
        self.seed = seed
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def reseed(self, seed: Optional[int]) -> None:
        """Restart the RNG, so a run with the same seed injects the same faults."""
        with self._lock:
            self.seed = seed
            self._random = random.Random(seed)

    def draw(self) -> Optional[str]:
        """One of "429", "500", "503", "drop", or None for a healthy request."""
        if self.rate <= 0:
            return None
        with self._lock:
            if self._random.random() >= self.rate:
                return None
            return self._random.choice(FAULT_KINDS)


class ConnectionLimiter:
    """Counts in-flight requests per API key; ``enter`` returns False above ``max_concurrent``."""

    def __init__(self, max_concurrent: int = 10) -> None:
        self.max_concurrent = max_concurrent
        self._in_flight: Dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def enter(self, key: str) -> bool:
        """Register a request; False (and nothing registered) if the key is over its limit."""
        with self._lock:
            if self.max_concurrent and self._in_flight[key] >= self.max_concurrent:
                return False
            self._in_flight[key] += 1
            return True

    def leave(self, key: str) -> None:
        """Unregister a request registered by a successful ``enter``."""
        with self._lock:
            self._in_flight[key] -= 1
            if self._in_flight[key] <= 0:
                del self._in_flight[key]

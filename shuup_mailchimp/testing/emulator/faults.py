"""Fault injection and the simultaneous-connection limit.

Faults are drawn from a seeded RNG *before* a request is handled. The default kinds (429, 500,
503, drop) are answered before the handler runs, so a write that receives one of them is never
applied (as with a real 5xx raised in front of Mailchimp's app servers). One more kind,
``applied_drop``, is opt-in (``fault_kinds``): the request is handled and applied as usual, then
the connection is dropped before the answer, as when a connection is reset after Mailchimp
committed a write. That is what makes a retried non-idempotent POST (an order, a cart) meet its
own earlier write.
The connection limit is counted outside the state lock: in-flight requests are those that
entered :meth:`MailchimpEmulator.handle` and have not returned yet, including their latency.
"""
import random
import threading
from collections import defaultdict
from typing import Dict, Optional, Sequence, Tuple

FAULT_KINDS = ("429", "500", "503", "drop")
#: The write is applied, then the connection drops before the answer (opt-in: not in FAULT_KINDS).
APPLIED_DROP = "applied_drop"
ALL_FAULT_KINDS = FAULT_KINDS + (APPLIED_DROP,)


class EmulatorDroppedConnection(Exception):
    """Raised by ``handle`` when a dropped connection is injected: the transport must close without replying."""


class FaultInjector:
    """Decides, with probability ``rate`` and a seeded RNG, which fault (if any) hits a request."""

    def __init__(self, rate: float = 0.0, seed: Optional[int] = None,
                 kinds: Optional[Sequence[str]] = None) -> None:
        self.rate = float(rate or 0.0)
        self.seed = seed
        self.kinds = check_kinds(kinds or FAULT_KINDS)
        #: Faults injected so far, by kind.
        self.counts: Dict[str, int] = defaultdict(int)
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def reseed(self, seed: Optional[int]) -> None:
        """Restart the RNG, so a run with the same seed injects the same faults."""
        with self._lock:
            self.seed = seed
            self._random = random.Random(seed)

    def draw(self) -> Optional[str]:
        """One of ``kinds`` (by default "429", "500", "503", "drop"), or None for a healthy request."""
        if self.rate <= 0:
            return None
        with self._lock:
            if self._random.random() >= self.rate:
                return None
            kind = self._random.choice(self.kinds)
            self.counts[kind] += 1
            return kind


def check_kinds(kinds: Sequence[str]) -> Tuple[str, ...]:
    """The kinds as a tuple; ValueError for an unknown one or an empty list."""
    kinds = tuple(str(k) for k in kinds)
    unknown = [k for k in kinds if k not in ALL_FAULT_KINDS]
    if unknown or not kinds:
        raise ValueError("fault kinds must be some of %s, got %r" % (", ".join(ALL_FAULT_KINDS), list(kinds)))
    return kinds


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

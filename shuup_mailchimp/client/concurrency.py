"""At most ``SHUUP_MAILCHIMP_MAX_CONCURRENT_REQUESTS`` calls in flight per API key.

Mailchimp answers 429 above 10 simultaneous connections per key. Within one process a
semaphore is enough; several worker processes (or machines) share slots in Redis when
``SHUUP_MAILCHIMP_SLOTS_REDIS_URL`` is set. If that Redis cannot be reached, the process falls back
to its own semaphore (and a 429 is still retried by the outbox), so a Redis hiccup never stops syncing.
"""
import contextlib
import hashlib
import logging
import random
import threading
import time
import uuid

from shuup_mailchimp.exceptions import MailchimpRateLimitError

logger = logging.getLogger("shuup_mailchimp")

_local_lock = threading.Lock()
_local_slots = {}


@contextlib.contextmanager
def local_slot(api_key: str, limit: int):
    with _local_lock:
        semaphore = _local_slots.setdefault(api_key, threading.BoundedSemaphore(limit))
    with semaphore:
        yield


# Check-and-take in one atomic step, timed by the server. (A first version read TIME and then
# added with a separate round trip: two clients could interleave and 12-13 calls got through.)
_TAKE_SLOT = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
  return 1
end
return 0
"""


class RedisSlots:
    """A counting semaphore in a Redis sorted set, timed by the Redis server's clock.

    A holder that dies keeps its slot for ``lease`` seconds at most (Mailchimp's own time-out is 120 s).
    """

    def __init__(self, url: str, limit: int, lease: float = 130.0, wait: float = 120.0):
        import redis

        self.redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.limit, self.lease, self.wait = limit, lease, wait
        self._take = self.redis.register_script(_TAKE_SLOT)

    @contextlib.contextmanager
    def slot(self, api_key: str):
        import redis

        try:
            key, token = self._acquire(api_key)
        except redis.RedisError:
            logger.warning("Redis slots unavailable; limiting per process only", exc_info=True)
            with local_slot(api_key, self.limit):
                yield
            return
        try:
            yield
        finally:
            try:
                self.redis.zrem(key, token)
            except redis.RedisError:  # the lease frees it anyway
                logger.warning("Could not release a Mailchimp slot in Redis", exc_info=True)

    def _acquire(self, api_key: str):
        key = "shuup_mailchimp:slots:" + hashlib.sha256(api_key.encode()).hexdigest()[:16]
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.wait
        while not self._take(keys=[key], args=[token, self.lease, self.limit]):
            if time.monotonic() > deadline:
                raise MailchimpRateLimitError(status=429, title="Too Many Requests",
                                              detail="No free Mailchimp connection slot for %.0f s." % self.wait)
            time.sleep(0.01 + random.random() * 0.03)
        return key, token


_shared = {}


def request_slot(api_key: str, limit: int, redis_url=None):
    """A context manager holding one of ``limit`` slots of this key for the length of a call."""
    if not redis_url:
        return local_slot(api_key, limit)
    if (redis_url, limit) not in _shared:
        _shared[(redis_url, limit)] = RedisSlots(redis_url, limit)
    return _shared[(redis_url, limit)].slot(api_key)

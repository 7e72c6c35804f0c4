"""No more than 10 calls in flight per API key: within a process, and across processes through Redis.

Runs against the emulator over real HTTP with latency, so overlapping calls really overlap; the
emulator answers 429 above 10 concurrent requests per key, as Mailchimp does. On the PostgreSQL +
Redis run the slots live in Redis (one RedisSlots per thread stands in for separate processes); on
the SQLite run in the process.
"""
import os
import threading

import pytest

from shuup_mailchimp.client import MailchimpClient, account
from shuup_mailchimp.client import concurrency
from shuup_mailchimp.testing import EmulatorServer, MailchimpEmulator

KEY = "0123456789abcdef0123456789abcdef-us1"
REDIS_URL = os.environ.get("CELERY_BROKER_URL") if (os.environ.get("CELERY_BROKER_URL") or "").startswith(
    "redis") else None


def pings_in_parallel(key, count=20):
    """``count`` pings at once from as many threads; returns the exceptions raised."""
    errors = []

    def call():
        try:
            account.ping(MailchimpClient(key))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


@pytest.fixture
def slow_emulator(settings):
    emulator = MailchimpEmulator(latency=0.3)
    server = EmulatorServer(emulator).start()
    settings.SHUUP_MAILCHIMP_API_URL = server.url + "/3.0/"
    yield emulator
    server.stop()


def test_twenty_parallel_calls_never_exceed_ten(slow_emulator, settings, monkeypatch):
    settings.SHUUP_MAILCHIMP_SLOTS_REDIS_URL = REDIS_URL
    if REDIS_URL:
        # every thread its own RedisSlots: as separate worker processes would be
        local = threading.local()

        def per_thread(api_key, limit, redis_url=None):
            if not hasattr(local, "slots"):
                local.slots = concurrency.RedisSlots(redis_url, limit)
            return local.slots.slot(api_key)

        monkeypatch.setattr("shuup_mailchimp.client.base.request_slot", per_thread)
    errors = pings_in_parallel(KEY)
    assert not errors, errors
    assert slow_emulator.stats["rate_limited"] == 0
    assert slow_emulator.stats["requests"] == 20


def test_without_a_limit_the_emulator_would_refuse(slow_emulator, settings):
    """The check above can fail: with 20 slots, Mailchimp (the emulator) answers 429."""
    settings.SHUUP_MAILCHIMP_MAX_CONCURRENT_REQUESTS = 20
    settings.SHUUP_MAILCHIMP_SLOTS_REDIS_URL = None
    errors = pings_in_parallel("f" * 32 + "-us1")
    assert slow_emulator.stats["rate_limited"] > 0 and errors


def test_unreachable_redis_falls_back_to_the_process_limit(slow_emulator, settings):
    settings.SHUUP_MAILCHIMP_SLOTS_REDIS_URL = "redis://127.0.0.1:1/0"
    assert account.ping(MailchimpClient(KEY))["health_status"] == "Everything's Chimpy!"


def test_slot_holders_never_exceed_the_limit():
    """The mechanism itself, without HTTP: 20 threads (own RedisSlots each on the Redis run) x 3 calls."""
    held, peak, lock = [0], [0], threading.Lock()

    def work():
        slots = concurrency.RedisSlots(REDIS_URL, 10) if REDIS_URL else None
        for _ in range(3):
            with (slots.slot(KEY) if slots else concurrency.local_slot(KEY, 10)):
                with lock:
                    held[0] += 1
                    peak[0] = max(peak[0], held[0])
                threading.Event().wait(0.03)
                with lock:
                    held[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert peak[0] == 10

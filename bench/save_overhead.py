"""Cost of the addon in the shop's request path: a contact save with the integration enabled vs disabled.

Each save runs in its own transaction (like a request), so commit and the after-commit hook
are included. Enabled means production mode: a Celery broker (Redis when reachable, else
kombu's in-memory transport) receives the task; nothing calls Mailchimp in the request.
Blocks of saves alternate between the two modes to cancel drift; medians are compared.
Target: ratio <= 1.15.
"""
import statistics
import sys
import time

from _setup import enabled_shop, setup_django, start_emulator

BLOCK = 50
ROUNDS = 20


def main():
    setup_django()
    import redis
    from django.conf import settings
    from django.db import transaction
    from shuup.core.models import PersonContact

    emulator, server = start_emulator()
    shop, shop_settings = enabled_shop(emulator)
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping()
        broker = "redis://127.0.0.1:6379/15"
    except Exception:
        broker = "memory://"
    settings.CELERY_BROKER_URL = broker
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SHUUP_MAILCHIMP_RUN_IN_PROCESS = False
    from shuup_mailchimp.testing.project.celery import app  # noqa: F401 (binds the shared tasks)

    contact = PersonContact.objects.create(first_name="Bench", last_name="Mark", email="bench@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(shop)

    def block(enabled, n):
        if shop_settings.enabled != enabled:
            shop_settings.enabled = enabled
            shop_settings.save()
        times = []
        for i in range(BLOCK):
            contact.first_name = "Bench%d" % (n * BLOCK + i)
            started = time.perf_counter()
            with transaction.atomic():
                contact.save()
            times.append(time.perf_counter() - started)
        return times

    block(False, 0), block(True, 0)  # warm-up
    off, on = [], []
    for n in range(ROUNDS):
        off += block(False, n)
        on += block(True, n)
    off_ms, on_ms = statistics.median(off) * 1000, statistics.median(on) * 1000
    print("contact save, median of %d: addon disabled %.3f ms, enabled (broker %s) %.3f ms" % (
        len(off), off_ms, broker.split(":")[0], on_ms))
    print("RATIO save_enabled/save_disabled = %.3f (target <= 1.15)" % (on_ms / off_ms))
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

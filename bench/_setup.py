"""Shared setup of the bench scripts: Django on a throwaway SQLite database (tables built from
models, like the tests), a shop, and the Mailchimp emulator as a real HTTP server on loopback."""
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

API_KEY = "0123456789abcdef0123456789abcdef-us1"


def setup_django(database_url=None):
    """``BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432`` runs on a throwaway PostgreSQL database instead."""
    # BENCH_TMPDIR=/dev/shm keeps the SQLite file in memory: no fsync, so less noise on a busy machine
    # (and a cheaper save, i.e. a stricter ratio).
    tmp = tempfile.mkdtemp(prefix="shuup-mailchimp-bench-", dir=os.environ.get("BENCH_TMPDIR") or None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ["SHUUP_MAILCHIMP_DEMO_DIR"] = tmp
    if not database_url and os.environ.get("BENCH_POSTGRES"):
        database_url = _throwaway_postgres(os.environ["BENCH_POSTGRES"])
    os.environ["DATABASE_URL"] = database_url or "sqlite:///" + os.path.join(tmp, "bench.sqlite3")
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    # As in production: with DEBUG on, Django logs every query, and on SQLite quotes its parameters
    # with one more query each, which doubles the cost of every statement measured here.
    settings.DEBUG = False
    call_command("migrate", run_syncdb=True, verbosity=0)
    return tmp


def _throwaway_postgres(server_url):
    """Create ``shuup_mailchimp_bench_<pid>`` on that server, dropped at exit; return its URL."""
    import atexit
    from urllib.parse import urlparse

    import psycopg2

    parts = urlparse(server_url)
    name = "shuup_mailchimp_bench_%d" % os.getpid()
    admin = psycopg2.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                             user=parts.username or "postgres", password=parts.password or "", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute("CREATE DATABASE %s" % name)

    def drop():
        from django.db import connections

        connections.close_all()
        admin.cursor().execute("DROP DATABASE IF EXISTS %s" % name)

    atexit.register(drop)
    return "postgres://%s@%s:%s/%s" % (parts.username or "postgres", parts.hostname or "127.0.0.1",
                                       parts.port or 5432, name)


def start_emulator(**options):
    from shuup_mailchimp.testing import EmulatorServer, MailchimpEmulator

    emulator = MailchimpEmulator(**options)
    server = EmulatorServer(emulator).start()
    from django.conf import settings

    settings.SHUUP_MAILCHIMP_API_URL = server.url + "/3.0/"
    return emulator, server


class EmulatorProcess:
    """The emulator as its own process (as Mailchimp is remote): its request handling does not compete
    with the process measured for the interpreter lock. Stands in for ``MailchimpEmulator`` in
    :func:`enabled_shop` (``create_list`` returns the list the process was started with)."""

    def __init__(self, name="Bench audience", *options):
        import subprocess

        self.process = subprocess.Popen(
            [sys.executable, "-m", "shuup_mailchimp.testing.emulator", "--port", "0", "--list", name] + list(options),
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url = self.list_id = None
        for line in self.process.stdout:
            if line.startswith("list_id="):
                self.list_id = line.split()[0].split("=", 1)[1]
            if line.startswith("ready url="):
                self.url = line.strip().split("=", 1)[1]
                break
        if self.url is None:
            raise SystemExit("the emulator did not start")
        from django.conf import settings

        settings.SHUUP_MAILCHIMP_API_URL = self.url + "/3.0/"

    def create_list(self, name=None):
        return {"id": self.list_id}

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def enabled_shop(emulator):
    from shuup.testing import factories

    from shuup_mailchimp.models import MailchimpShopSettings
    from shuup_mailchimp.sync.store import initialize_store

    shop = factories.get_default_shop()
    shop.domain = "bench.shuup.test"
    shop.save()
    audience = emulator.create_list(name="Bench audience")
    shop_settings = MailchimpShopSettings.for_shop(shop)
    shop_settings.api_key, shop_settings.audience_id, shop_settings.enabled = API_KEY, audience["id"], True
    shop_settings.save()
    initialize_store(shop_settings)
    shop_settings.refresh_from_db()
    return shop, shop_settings


def writes_by_operation(since_id=0):
    """Successful API writes per operation, from the addon's own call log (MailchimpLogEntry)."""
    from collections import Counter

    from shuup_mailchimp.models import MailchimpLogEntry

    rows = MailchimpLogEntry.objects.filter(pk__gt=since_id, success=True).exclude(method__in=["", "GET"])
    return Counter(rows.values_list("operation", flat=True))


def last_log_id():
    from shuup_mailchimp.models import MailchimpLogEntry

    return MailchimpLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

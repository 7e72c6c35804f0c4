"""Real processes for the reliability scenarios: a private Redis, the emulator as a server process,
Celery workers on a throwaway PostgreSQL database; stopped (or SIGKILLed) by their own ids.

Every child writes its output (stdout and stderr, line by line, restarts appended) to
``<artifacts>/<name>.log``, so the secrets scan reads the workers' ``-l info`` logs, the emulator's
and Redis's. Each child runs in its own session (process group): :meth:`Child.kill` SIGKILLs the
whole group, a Celery worker's pool processes with it, as when a machine dies.

Typical use::

    harness = Harness(scenario)                       # stops every child at exit, whatever happens
    redis = harness.redis()                           # redis-server --port <free> --save ""
    emulator = harness.emulator(latency=0.1)          # python -m shuup_mailchimp.testing.emulator
    harness.prepare(redis.url, emulator, {"SHUUP_MAILCHIMP_CLAIM_LEASE": 5})   # database + workers' env
    worker = harness.worker("w1", concurrency=4, beat=True, wait=False)         # starts meanwhile
    harness.setup_django()                            # Django here, on the same database
    shop, shop_settings = harness.enabled_shop(emulator)
    worker.wait_ready()
    ...
    scenario.dump_database(); harness.close()

The database is a copy of a template holding every table (``throwaway_database``), so a scenario
does not pay for building them; the workers get ``_worker_settings`` (a real broker, the Celery
dispatch, INFO logging) with the scenario's overrides in ``RELIABILITY_SETTINGS``.
"""
import atexit
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

from _scenario import ROOT  # noqa: I100 (bench/reliability is on sys.path)

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)
API_KEY = "0123456789abcdef0123456789abcdef-us1"
POSTGRES = os.environ.get("BENCH_POSTGRES") or "postgres://postgres@127.0.0.1:5432"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Child:
    """A child process; its output goes to ``<artifacts>/<name>.log`` and can be waited for."""

    def __init__(self, name, argv, artifacts, env=None):
        self.name, self.argv, self.env = name, list(argv), env
        self.log_path = os.path.join(artifacts, name + ".log")
        self.lines = []
        self._cond = threading.Condition()
        self.process = None
        self.start()

    def start(self):
        # The first start of this run empties the file a previous run left; restarts append to it.
        out = open(self.log_path, "a" if self.process is not None else "w", encoding="utf-8")
        out.write("=== %s: %s\n" % (time.strftime("%H:%M:%S"), " ".join(self.argv)))
        out.flush()
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True)
        threading.Thread(target=self._copy, args=(self.process, out), daemon=True, name="out-" + self.name).start()
        return self

    def _copy(self, process, out):
        for line in process.stdout:
            out.write(line)
            out.flush()
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        out.close()

    def wait_for(self, pattern, timeout=60.0, start=0):
        """The first output line from index ``start`` matching ``pattern`` (a regex): its match."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = start
        with self._cond:
            while True:
                for line in self.lines[seen:]:
                    match = regex.search(line)
                    if match:
                        return match
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and seen == len(self.lines)):
                    raise RuntimeError("%s: no line matching %r (exit %s); see %s"
                                       % (self.name, pattern, self.process.poll(), self.log_path))
                self._cond.wait(min(left, 0.2))

    @property
    def alive(self):
        return self.process is not None and self.process.poll() is None

    def _signal_group(self, sig):
        try:
            os.killpg(self.process.pid, sig)  # the group this child leads (start_new_session)
        except ProcessLookupError:
            pass

    def kill(self):
        """SIGKILL the child and its process group (a worker's pool too); wait for it."""
        if self.process is not None:
            self._signal_group(signal.SIGKILL)
            self.process.wait(30)

    def stop(self, timeout=20.0):
        """SIGTERM (a Celery worker's warm shutdown), then SIGKILL after ``timeout`` seconds."""
        if not self.alive:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


class Redis(Child):
    def __init__(self, artifacts, name="redis", port=None):
        self.port = port or free_port()
        super().__init__(name, ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--daemonize", "no"], artifacts)
        self.wait_for("Ready to accept connections", 20)

    @property
    def url(self):
        return "redis://127.0.0.1:%d/0" % self.port

    def restart(self):
        """Start again on the same port (empty: no persistence, as after a crash)."""
        mark = len(self.lines)
        self.start()
        self.wait_for("Ready to accept connections", 20, start=mark)


class Emulator(Child):
    """``python -m shuup_mailchimp.testing.emulator`` on a free port, with one audience."""

    def __init__(self, artifacts, latency=0.0, name="emulator", extra=()):
        super().__init__(name, [sys.executable, "-m", "shuup_mailchimp.testing.emulator", "--port", "0",
                                "--list", "Reliability audience", "--latency", str(latency), "--sync-webhooks"]
                         + list(extra), artifacts)
        self.url = self.wait_for(r"^ready url=(\S+)", 30).group(1)
        self.list_id = self.wait_for(r"^list_id=(\S+)", 5).group(1)
        self.api_url = self.url + "/3.0/"
        self.session = requests.Session()

    def config(self, **values):
        return self.session.post(self.url + "/_emulator/config", json=values, timeout=30).json()

    def requests(self, since=0):
        """The request log after sequence number ``since``: ``{"requests", "next", "summary"}``."""
        return self.session.get(self.url + "/_emulator/requests", params={"since": since}, timeout=120).json()

    def summary(self, since=0):
        return self.session.get(self.url + "/_emulator/requests", params={"since": since, "summary": 1},
                                timeout=120).json()

    def reset_requests(self):
        self.session.post(self.url + "/_emulator/requests/reset", timeout=30)

    def api(self, path, **params):
        """GET an API resource (None on 404)."""
        answer = self.session.get(self.api_url + path.lstrip("/"), params=params, auth=("bench", API_KEY),
                                  timeout=60)
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return answer.json()

    def member(self, email, fields=None):
        params = {"fields": fields} if fields else {}
        return self.api("lists/%s/members/%s" % (self.list_id, hashlib.md5(email.lower().encode()).hexdigest()),
                        **params)


class Worker(Child):
    """``celery -A shuup_mailchimp.testing.project worker -l info`` (prefork), optionally with beat."""

    def __init__(self, artifacts, env, name="worker", concurrency=2, beat=False, pool="prefork", wait=True,
                 queue=None):
        argv = [os.path.join(BIN, "celery"), "-A", "shuup_mailchimp.testing.project", "worker", "-l", "info",
                "-P", pool, "-c", str(concurrency), "-n", "%s@%%h" % name,
                "--without-gossip", "--without-mingle", "--without-heartbeat"]
        if queue:
            argv += ["-Q", queue]
        if beat:
            argv += ["-B", "-s", os.path.join(tempfile.mkdtemp(prefix="beat-"), "celerybeat-schedule")]
        super().__init__(name, argv, artifacts, env=env)
        if wait:
            self.wait_ready()

    def wait_ready(self, start=0):
        self.wait_for(r"\bready\.", 90, start=start)
        return self

    def restart(self):
        mark = len(self.lines)
        self.start()
        self.wait_ready(start=mark)


class Harness:
    """Children and the Django set-up of one scenario; :meth:`close` (also at exit) stops them all."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.children = []
        self.env = None
        self.database_url = None
        atexit.register(self.close)
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    def _add(self, child):
        self.children.append(child)
        return child

    def redis(self, name="redis"):
        return self._add(Redis(self.scenario.artifacts, name))

    def emulator(self, latency=0.0, name="emulator"):
        return self._add(Emulator(self.scenario.artifacts, latency, name))

    def worker(self, name="worker", concurrency=2, beat=False, pool="prefork", settings=None, wait=True,
               queue=None):
        """A worker; ``settings`` adds to the harness's for this worker only; ``wait=False``: do not
        wait for its ready line (call ``wait_ready()``), so several start side by side. ``queue``:
        it consumes that queue only, and the tasks it sends (the drains it fans out) go there too."""
        env = self.env
        if queue:
            settings = dict(settings or {}, CELERY_TASK_DEFAULT_QUEUE=queue)
        if settings:
            merged = dict(json.loads(env["RELIABILITY_SETTINGS"]), **settings)
            env = dict(env, RELIABILITY_SETTINGS=json.dumps(merged))
        return self._add(Worker(self.scenario.artifacts, env, name, concurrency, beat, pool, wait, queue))

    def remove(self, child):
        """Stop a child and forget it (its log stays)."""
        child.stop()
        if child in self.children:
            self.children.remove(child)

    def prepare(self, broker_url, emulator, settings=None):
        """The throwaway PostgreSQL database (dropped at exit) and the workers' environment
        (``_worker_settings`` + ``settings``). Workers may start from here on (``wait=False``), side
        by side with :meth:`setup_django`."""
        tmp = tempfile.mkdtemp(prefix="shuup-mailchimp-reliability-")
        self.database_url = throwaway_database(POSTGRES)
        atexit.unregister(self.close)  # at exit: the children first, then the database is dropped
        atexit.register(self.close)
        self.env = dict(os.environ, DJANGO_SETTINGS_MODULE="_worker_settings", DATABASE_URL=self.database_url,
                        CELERY_BROKER_URL=broker_url, SHUUP_MAILCHIMP_API_URL=emulator.api_url,
                        SHUUP_MAILCHIMP_DEMO_DIR=tmp, RELIABILITY_SETTINGS=json.dumps(settings or {}),
                        PYTHONPATH=os.pathsep.join([HERE, ROOT, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
                        PYTHONUNBUFFERED="1")
        os.environ.update({k: self.env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL",
                                                    "SHUUP_MAILCHIMP_API_URL", "SHUUP_MAILCHIMP_DEMO_DIR",
                                                    "RELIABILITY_SETTINGS")})

    def setup_django(self, broker_url=None, emulator=None, settings=None):
        """Django in this process on that database, with the workers' settings (calls :meth:`prepare`
        first unless it was called)."""
        import django
        from django.core.management import call_command

        if self.env is None:
            self.prepare(broker_url, emulator, settings)
        django.setup()
        call_command("migrate", run_syncdb=True, verbosity=0)  # nothing to do on a copy of the template
        # The frame's log capture stays on the root logger; the demo LOGGING sends shuup_mailchimp
        # to the console without propagating, so let it reach the artifacts' log.txt too.
        import logging

        for name in ("shuup_mailchimp", "celery"):
            logging.getLogger(name).propagate = True

    def enabled_shop(self, emulator):
        """The default shop, enabled on the emulator's audience, with its store created."""
        from shuup.testing import factories

        from shuup_mailchimp.models import MailchimpShopSettings
        from shuup_mailchimp.sync.store import initialize_store

        shop = factories.get_default_shop()
        shop.domain = "reliability.shuup.test"
        shop.save()
        shop_settings = MailchimpShopSettings.for_shop(shop)
        shop_settings.api_key, shop_settings.audience_id, shop_settings.enabled = API_KEY, emulator.list_id, True
        shop_settings.save()
        initialize_store(shop_settings)
        shop_settings.refresh_from_db()
        return shop, shop_settings

    def close(self):
        """Stop every child (workers first, Redis last) and close this process's connections."""
        for child in reversed(self.children):
            try:
                child.stop(timeout=10)
            except Exception:  # a child that would not die is SIGKILLed by stop(); carry on
                pass
        self.children = []
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass


TEMPLATE_PREFIX = "shuup_mailchimp_reltpl_"


def _schema_key():
    """What the tables depend on: the addon's models, the settings' apps, Shuup's and Django's versions."""
    import django
    import shuup

    digest = hashlib.sha1(("%s %s" % (django.__version__, shuup.__version__)).encode())
    paths = [os.path.join(ROOT, "tests", "settings.py"),
             os.path.join(ROOT, "shuup_mailchimp", "testing", "project", "settings.py")]
    for base, _, files in os.walk(os.path.join(ROOT, "shuup_mailchimp")):
        paths += [os.path.join(base, f) for f in files if f.endswith(".py") and (
            "models" in base.split(os.sep) or f == "models.py")]
    for path in sorted(paths):
        with open(path, "rb") as f:
            digest.update(path.encode() + b"\0" + f.read())
    return digest.hexdigest()[:12]


def throwaway_database(server_url):
    """A new database ``shuup_mailchimp_bench_<pid>`` with every table, dropped at exit; its URL.

    Building the tables from models takes ~12 s on PostgreSQL, so it is done once into a template
    database named by :func:`_schema_key` (rebuilt when the models change; older ones dropped) and
    copied (``CREATE DATABASE ... TEMPLATE``, ~1 s). ``RELIABILITY_FRESH_DB=1`` skips the template.
    """
    from urllib.parse import urlparse

    import psycopg2

    parts = urlparse(server_url)
    connect = dict(host=parts.hostname or "127.0.0.1", port=parts.port or 5432, user=parts.username or "postgres",
                   password=parts.password or "")
    base = "postgres://%s@%s:%s/" % (connect["user"], connect["host"], connect["port"])
    name = "shuup_mailchimp_bench_%d" % os.getpid()
    admin = psycopg2.connect(dbname="postgres", **connect)
    admin.autocommit = True
    cursor = admin.cursor()
    if os.environ.get("RELIABILITY_FRESH_DB"):
        cursor.execute("CREATE DATABASE %s" % name)
    else:
        template = TEMPLATE_PREFIX + _schema_key()
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [TEMPLATE_PREFIX])
        try:
            cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [TEMPLATE_PREFIX + "%"])
            existing = {row[0] for row in cursor.fetchall()}
            if template not in existing:
                for old in existing:
                    cursor.execute("DROP DATABASE IF EXISTS %s" % old)
                cursor.execute("CREATE DATABASE %s" % template)
                env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings", DATABASE_URL=base + template,
                           SHUUP_MAILCHIMP_DEMO_DIR=tempfile.mkdtemp(prefix="shuup-mailchimp-template-"))
                built = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.core."
                                        "management import call_command; call_command('migrate', run_syncdb=True, "
                                        "verbosity=0)"], cwd=ROOT, env=env, capture_output=True, text=True)
                if built.returncode:
                    cursor.execute("DROP DATABASE IF EXISTS %s" % template)
                    raise RuntimeError("building the template database failed:\n" + built.stderr[-3000:])
            cursor.execute("CREATE DATABASE %s TEMPLATE %s" % (name, template))
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [TEMPLATE_PREFIX])

    def drop():
        from django.db import connections

        connections.close_all()
        cursor.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)

    atexit.register(drop)
    return base + name


def wait_until(predicate, timeout, interval=0.1):
    """Poll ``predicate`` until it is true; its last value (falsy on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def outbox_counts():
    """Items by status (PostgreSQL: read live, not from a transaction snapshot)."""
    from django.db.models import Count

    from shuup_mailchimp.models import MailchimpSyncItem

    rows = MailchimpSyncItem.objects.values_list("status").annotate(n=Count("pk"))
    return {getattr(status, "value", status): n for status, n in rows}


def unsettled():
    """Items not synced yet (pending or processing)."""
    counts = outbox_counts()
    return counts.get("pending", 0) + counts.get("processing", 0)


def build_shop_data(contacts, orders, products=20, groups=3):
    """Contacts, products and orders made with ``bulk_create`` (``bench/full_sync.py``'s generator):
    no signal, so no outbox item. Call it before the shop is enabled; returns the generator's ids."""
    import contextlib
    import io
    from argparse import Namespace

    import full_sync

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        full_sync.generate(Namespace(contacts=contacts, orders=orders, products=products, groups=groups))
    return json.loads(out.getvalue().strip().splitlines()[-1])


def record_items(kind, object_ids, shop_id):
    """Outbox items for these objects (what their saves would have recorded)."""
    from shuup_mailchimp.sync import outbox

    for object_id in object_ids:
        outbox.record([shop_id], kind, object_id)


def order_creates(emulator, entries):
    """Successful order creations per order id: single POSTs from the request log, plus the ``o:<id>``
    operations answered 2xx in the results of every batch the emulator holds."""
    import gzip
    import tarfile
    from collections import Counter
    from io import BytesIO

    created = Counter(e["id"] for e in entries if e["method"] == "POST" and e["resource"] == "stores/orders"
                      and e["status"] and 200 <= e["status"] < 300)
    state = emulator.session.get(emulator.url + "/_emulator/state", timeout=120).json()
    store_ids = {sid: {str(o.get("id")) for o in (store.get("orders") or {}).values()} if isinstance(
        store.get("orders"), dict) else set() for sid, store in state["stores"].items()}
    for batch in state["batches"].values():
        url = batch.get("response_body_url")
        if not url or batch.get("status") != "finished":
            continue
        answer = emulator.session.get(url, timeout=120)
        if answer.status_code != 200:
            continue
        with tarfile.open(fileobj=BytesIO(answer.content), mode="r:gz") as archive:
            for member in archive.getmembers():
                if not member.isfile():
                    continue
                data = archive.extractfile(member).read()
                if data[:2] == b"\x1f\x8b":
                    data = gzip.decompress(data)
                for result in json.loads(data.decode("utf-8") or "[]"):
                    parts = (result.get("operation_id") or "").split(":")
                    if len(parts) == 2 and parts[0] == "o" and 200 <= int(result.get("status_code") or 0) < 300:
                        response = json.loads(result.get("response") or "{}")
                        created[str(response.get("id") or parts[1])] += 1
    return created, store_ids

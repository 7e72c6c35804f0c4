"""The frame every reliability scenario runs in (``bench/reliability/run.py`` runs them).

A scenario is a script ``bench/reliability/<name>.py`` whose ``main()`` does::

    scenario = Scenario("fault_soak", "Fault soak: full sync + random changes at 20% faults")
    n = 3000 if scenario.long else 400            # sizes follow the mode
    ...
    scenario.figure("lost_updates", 0, "lost updates")          # printed and put in the doc
    scenario.check("lost updates", lost == 0, lost, "0")        # a failed check fails the suite
    scenario.dump_database()                                    # log rows + sensitive values for the scan
    return scenario.finish()                                    # writes <out>/<name>.json, exit code

Command line (added by the frame): ``--mode short|long`` (``RELIABILITY_MODE``; short fits CI) and
``--out DIR`` (``RELIABILITY_OUT``, default ``var/reliability``).

Everything the scenario's process logs (every logger, DEBUG and up, with level names and
tracebacks) goes to ``<out>/artifacts/<name>/log.txt``. ``dump_database()`` writes the addon's log
rows and sync items there too, and the secrets and personal data the run used to
``sensitive.json``: ``secrets_scan.py`` then checks that no secret appears in any artifact and no
email or name appears in log output at INFO or above. Scenarios that run other processes (Celery
workers, the emulator) should write those processes' output into their artifacts directory too.
"""
import argparse
import json
import logging
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
for path in (BENCH, ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(processName)s:%(threadName)s] %(message)s"


class Scenario:
    def __init__(self, name, title, argv=None):
        parser = argparse.ArgumentParser(description=title)
        parser.add_argument("--mode", choices=("short", "long"), default=os.environ.get("RELIABILITY_MODE", "short"))
        parser.add_argument("--out", default=os.environ.get("RELIABILITY_OUT", os.path.join(ROOT, "var", "reliability")))
        args, self.extra_args = parser.parse_known_args(argv)
        self.name, self.title, self.mode = name, title, args.mode
        self.out = os.path.abspath(args.out)
        self.artifacts = os.path.join(self.out, "artifacts", name)
        os.makedirs(self.artifacts, exist_ok=True)
        self.figures = []  # (key, value, label)
        self.checks = []  # dicts: name, ok, value, target
        self.notes = []
        self._started = time.monotonic()
        self._capture_logs()
        print("== %s (%s mode)" % (title, self.mode), flush=True)

    @property
    def long(self):
        return self.mode == "long"

    def artifact(self, filename):
        """Path of a file in this scenario's artifacts directory (scanned for secrets at the end)."""
        return os.path.join(self.artifacts, filename)

    def _capture_logs(self):
        handler = logging.FileHandler(self.artifact("log.txt"), mode="w", encoding="utf-8")
        handler.setLevel(logging.DEBUG)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        self._log_handler = handler

    def figure(self, key, value, label=None):
        """A measured figure: printed now, and a row of the regenerated doc."""
        self.figures.append((key, value, label or key))
        print("  %s: %s" % (label or key, _fmt(value)), flush=True)

    def check(self, name, ok, value=None, target=None):
        """A pass/fail claim of the suite (e.g. lost updates == 0). Returns ``ok``."""
        ok = bool(ok)
        self.checks.append({"name": name, "ok": ok, "value": _plain(value), "target": target})
        print("  CHECK %s %s: %s (target %s)" % ("ok  " if ok else "FAIL", name, _fmt(value), target), flush=True)
        return ok

    def note(self, text):
        """A sentence for the doc (how it was measured, what it does not cover)."""
        self.notes.append(text)

    def dump_database(self, extra_secrets=(), extra_personal=()):
        """Write the addon's log rows and sync items, and what must not leak, into the artifacts.

        Call it while Django is still set up on the scenario's database (before it is dropped).
        """
        from shuup.core.models import Contact

        from shuup_mailchimp.models import MailchimpLogEntry, MailchimpShopSettings, MailchimpSyncItem

        with open(self.artifact("log_rows.jsonl"), "w", encoding="utf-8") as out:
            for row in MailchimpLogEntry.objects.order_by("pk").values().iterator():
                out.write(json.dumps(row, default=str) + "\n")
        with open(self.artifact("sync_items.jsonl"), "w", encoding="utf-8") as out:
            for row in MailchimpSyncItem.objects.order_by("pk").values().iterator():
                out.write(json.dumps(row, default=str) + "\n")
        secrets, personal = set(extra_secrets), set(extra_personal)
        for shop_settings in MailchimpShopSettings.objects.all():
            for name in ("api_key", "webhook_secret"):
                value = getattr(shop_settings, name, None)
                if value:
                    secrets.add(str(value))
        for email, name in Contact.objects.values_list("email", "name").iterator():
            personal.update(v for v in (email, name) if v and len(v) >= 6)
        self.write_sensitive(secrets, personal)

    def write_sensitive(self, secrets=(), personal=()):
        """Add values that must never leak (secrets anywhere; personal data at INFO and above)."""
        path = self.artifact("sensitive.json")
        known = {"secrets": [], "personal": []}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                known = json.load(f)
        known["secrets"] = sorted(set(known["secrets"]) | {str(s) for s in secrets if s})
        known["personal"] = sorted(set(known["personal"]) | {str(p) for p in personal if p})
        with open(path, "w", encoding="utf-8") as f:
            json.dump(known, f, indent=1)

    def finish(self):
        """Write ``<out>/<name>.json`` and return the exit code (1 if a check failed or none was made)."""
        seconds = time.monotonic() - self._started
        ok = bool(self.checks) and all(c["ok"] for c in self.checks)
        result = {
            "scenario": self.name, "title": self.title, "mode": self.mode, "seconds": round(seconds, 1),
            "ok": ok, "figures": [{"key": k, "value": _plain(v), "label": label} for k, v, label in self.figures],
            "checks": self.checks, "notes": self.notes,
        }
        with open(os.path.join(self.out, "%s.json" % self.name), "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1, default=str)
        self._log_handler.flush()
        print("  %s in %.0f s" % ("passed" if ok else "FAILED", seconds), flush=True)
        return 0 if ok else 1


def _plain(value):
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _fmt(value):
    if isinstance(value, float):
        return "%.3g" % value if abs(value) < 100 else "{:,.0f}".format(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return "{:,}".format(value)
    return str(value)

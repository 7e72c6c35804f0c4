"""The demo: a Shuup shop synced to the local Mailchimp emulator, start to finish.

1. starts the emulator in the background (``var/emulator.pid``), unless one already answers; it
   keeps its state in ``var/emulator-state.json``, so a restarted emulator (``make emulator``)
   still has the demo audience, its members and the store;
2. builds the demo shop (a few hundred contacts, groups, products, orders) once, and makes its
   admin usable at first login (no setup wizard, an address, a theme: ``demo_admin``);
3. configures the shop, runs Initialize store, and syncs everything;
4. prints what is now in the emulator, and the admin URL, login and where to click.

Exit code 1 when items failed (they are listed, and waiting in the admin); 0 otherwise.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

DEMO_KEY = "5d41402abc4b2a76b9719d911017c592-us1"
DEMO_AUDIENCE = "d3m0a0d1e5"
STATE_FILE = "emulator-state.json"


def exit_code(result):
    """1 when the demo's sync left failed items, else 0."""
    return 1 if result.get("failed") else 0


def var_dir():
    return os.environ.get("SHUUP_MAILCHIMP_DEMO_DIR") or os.path.join(os.getcwd(), "var")


class Command(BaseCommand):
    help = "Build a demo shop, sync it to the local Mailchimp emulator and print the result."

    def add_arguments(self, parser):
        parser.add_argument("--emulator-port", type=int, default=8765)
        parser.add_argument("--contacts", type=int, default=300)
        parser.add_argument("--orders", type=int, default=150)
        parser.add_argument("--admin-url", default="http://127.0.0.1:8000/sa/",
                            help="Where `make run` serves the admin (printed at the end).")

    def handle(self, *args, **options):
        started = time.monotonic()
        base = "http://127.0.0.1:%d" % options["emulator_port"]
        self._ensure_emulator(base, options["emulator_port"])
        settings.SHUUP_MAILCHIMP_API_URL = base + "/3.0/"
        # A command may send what it records itself (no request waits on it), as the tests run the demo:
        # its summary then counts everything synced, and no background thread is left writing to the
        # SQLite file when it exits.
        settings.SHUUP_MAILCHIMP_DISPATCH = "inline"

        from django.contrib.auth import get_user_model

        from shuup_mailchimp.enums import SyncStatus
        from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSyncItem
        from shuup_mailchimp.testing.demo_admin import make_admin_usable
        from shuup_mailchimp.testing.demo_data import build_demo_data, demo_shop

        shop = demo_shop()
        shop_settings = MailchimpShopSettings.for_shop(shop)
        if shop_settings.enabled:  # build quietly, then sync everything in one go
            shop_settings.enabled = False
            shop_settings.save()
        self.stdout.write("Building the demo shop (first run only)...")
        counts = build_demo_data(contacts=options["contacts"], orders=options["orders"], stdout=self.stdout)
        self.stdout.write("  %s" % (counts if counts.get("created") else "already built"))
        make_admin_usable(shop, users=get_user_model().objects.filter(username="admin"))

        call_command("mailchimp_configure", "--shop", str(shop.pk), "--api-key", DEMO_KEY, "--audience",
                     DEMO_AUDIENCE, "--enable", stdout=self.stdout)
        call_command("mailchimp_check", "--shop", str(shop.pk), stdout=self.stdout)
        call_command("mailchimp_init", "--shop", str(shop.pk), stdout=self.stdout)
        try:
            call_command("mailchimp_sync", "--shop", str(shop.pk), "--all", stdout=self.stdout, stderr=self.stderr)
        except CommandError as exc:  # shown, then reflected in the exit code
            self.stdout.write(str(exc))
        call_command("mailchimp_demo_campaigns", "--shop", str(shop.pk), stdout=self.stdout)  # campaigns page filled
        from shuup_mailchimp.testing.demo_automations import seed_automations

        seed_automations(shop, stdout=self.stdout)  # a cart, a promo code, a sign-up
        self._print_state(base)
        failed = MailchimpSyncItem.objects.filter(shop=shop, status=SyncStatus.FAILED).count()
        admin = options["admin_url"].rstrip("/") + "/"
        self.stdout.write(
            "\nThe admin:   make run   then open %(admin)s   (user admin, password admin)\n"
            "  Dashboard:        the Mailchimp block; Addons > Mailchimp lists the shops.\n"
            "  Shop's Mailchimp: %(admin)smailchimp/shop/%(shop)d/   health, counts, latest errors, actions.\n"
            "  Sync items:       %(admin)smailchimp/shop/%(shop)d/items/\n"
            "  Settings:         Shops > Shops > %(name)s > the Mailchimp section (%(admin)sshops/%(shop)d/).\n"
            "  A contact:        Contacts > (anyone) > the Mailchimp section.\n"
            "Mailchimp -> Shuup: with `make run` running, the person %(email)s unsubscribes in Mailchimp:\n"
            "  .venv/bin/python manage.py mailchimp_emulator fire unsubscribe %(email)s\n"
            "  then their contact page (Contacts > %(email)s > Mailchimp) shows the permission withdrawn by webhook.\n"
            "  (The command registers the shop's webhook first: 'Webhook not registered' above is expected while\n"
            "  `make run` is not up.)\n"
            "The emulator keeps running at %(base)s/3.0/ (state: %(base)s/_emulator/state, saved in var/%(file)s);\n"
            "stop it with `make stop-emulator`, start it again with `make emulator`: it keeps the demo's data.\n"
            "%(commands)s"
            % {"admin": admin, "shop": shop.pk, "name": shop.name, "base": base, "file": STATE_FILE,
               "email": _subscribed_email(shop),
               "commands": self._commands_hint(base, shop.pk)}
        )
        took = time.monotonic() - started
        if failed:
            self.stdout.write(self.style.WARNING(
                "Demo done in %.0f s, but %d item(s) failed: see %smailchimp/shop/%d/items/?status=failed"
                % (took, failed, admin, shop.pk)))
            sys.exit(exit_code({"failed": failed}))
        self.stdout.write(self.style.SUCCESS("Demo done in %.0f s; every item is synced." % took))

    def _commands_hint(self, base, shop_id):
        """The demo project's commands talk to the emulator by default, on its default port."""
        default = getattr(settings, "DEMO_EMULATOR_URL", None)
        if default and default.rstrip("/") == base + "/3.0":
            return "The commands use it too, e.g.  .venv/bin/python manage.py mailchimp_check --shop %d" % shop_id
        return ("The commands use it after  export SHUUP_MAILCHIMP_API_URL=%s/3.0/  (this is not the default port), "
                "e.g.  .venv/bin/python manage.py mailchimp_check --shop %d" % (base, shop_id))

    def _ensure_emulator(self, base, port):
        if _get_json(base + "/_emulator/state") is not None:
            self.stdout.write("Emulator already running at %s" % base)
            return
        var = var_dir()
        os.makedirs(var, exist_ok=True)
        log = open(os.path.join(var, "emulator.log"), "ab")
        subprocess.Popen(
            emulator_command(port, var),
            stdout=log, stderr=log, start_new_session=True,
        )
        for _ in range(100):
            if _get_json(base + "/_emulator/state") is not None:
                self.stdout.write("Started the Mailchimp emulator at %s (log: var/emulator.log)" % base)
                return
            time.sleep(0.1)
        raise CommandError("The emulator did not start on port %d: see var/emulator.log" % port)

    def _print_state(self, base):
        state = _get_json(base + "/_emulator/state")
        self.stdout.write("\nWhat Mailchimp (the emulator) now holds:")
        for list_id, lst in state["lists"].items():
            statuses = Counter(m["status"] for m in lst["members"].values())
            self.stdout.write("  audience %s %r: %d members %s" % (
                list_id, lst.get("name"), len(lst["members"]), dict(statuses)))
            for category in lst["interest_categories"].values():
                counts = Counter()
                for member in lst["members"].values():
                    for interest_id, on in member.get("interests", {}).items():
                        counts[interest_id] += bool(on)
                names = ", ".join("%s (%d)" % (i["name"], counts[i["id"]]) for i in category["interests"].values())
                self.stdout.write("    interests %r: %s" % (category["title"], names))
        for store_id, store in state["stores"].items():
            orders = store["orders"].values()
            statuses = Counter(o.get("financial_status") for o in orders)
            revenue = sum(float(o.get("order_total", 0)) for o in orders)
            self.stdout.write("  store %s %r: %d customers, %d products, %d orders %s, total %.2f %s" % (
                store_id, store.get("name"), len(store["customers"]), len(store["products"]), len(store["orders"]),
                dict(statuses), revenue, store.get("currency_code")))
        self.stdout.write("  API requests served: %s" % json.dumps(state.get("stats", {})))


def emulator_command(port, var):
    """The emulator of the demo: its audience id fixed, its state kept in ``var/``."""
    return [sys.executable, "-m", "shuup_mailchimp.testing.emulator", "--port", str(port), "--list", "Demo audience",
            "--list-id", DEMO_AUDIENCE, "--state-file", os.path.join(var, STATE_FILE),
            "--resolve", "demo-shop.test:8000=127.0.0.1:8000",  # webhooks reach `make run`
            "--pidfile", os.path.join(var, "emulator.pid")]


def _get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read().decode("utf-8"))
    except Exception:
        return None


def _subscribed_email(shop):
    """A demo contact who is subscribed now (for the webhook example)."""
    from shuup.core.models import Contact

    contact = (Contact.objects.filter(shops=shop, marketing_permission=True).exclude(email="")
               .order_by("pk").first())
    return contact.email if contact else "someone@mailbox.org"

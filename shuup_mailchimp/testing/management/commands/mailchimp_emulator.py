"""``manage.py mailchimp_emulator``: serve the Mailchimp API emulator on loopback until interrupted,
or ``fire`` a person's action at a running one.

Serving: options and output are those of :mod:`shuup_mailchimp.testing.emulator.cli`: the URL,
then ``list_id=<id> name="..."`` with ``--list``, then ``ready url=<url>`` once listening.
``--pidfile`` records the pid; ``--stop --pidfile PATH`` stops that process. For the fastest start
(no Django app loading) run ``python -m shuup_mailchimp.testing.emulator`` with the same options.

Firing: ``manage.py mailchimp_emulator fire unsubscribe|clean|subscribe EMAIL [--shop ID]`` makes
the person do that in the running emulator (``SHUUP_MAILCHIMP_API_URL``), which then POSTs the
webhook to the shop as Mailchimp would. The shop's webhook is registered first if it is not (the
shop's server must be running: ``make run``), and the command waits until the shop applied it.
"""
import json
import time
import urllib.request
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from shuup_mailchimp.testing.emulator import cli

ACTIONS = {"unsubscribe": "unsubscribe", "clean": "clean", "subscribe": "subscribe"}


class Command(BaseCommand):
    help = ("Run the local Mailchimp Marketing API v3 emulator (see shuup_mailchimp.testing.emulator), or "
            "`fire unsubscribe|clean|subscribe EMAIL` at a running one.")
    requires_system_checks = False

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", nargs="*", help="fire unsubscribe|clean|subscribe EMAIL")
        parser.add_argument("--shop", type=int, default=None, help="with fire: the shop (default: the only one)")
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"]:
            return self.fire(options["action"], options["shop"])
        try:
            if options["stop"]:
                cli.stop(options["pidfile"], self.stdout)
            else:
                # Plain sys.stdout: Django's OutputWrapper would not flush the "ready" line by itself.
                import sys
                cli.serve(options, sys.stdout)
        except cli.CliError as error:
            raise CommandError(str(error))

    def fire(self, action, shop_id):
        from shuup_mailchimp.client import client_for
        from shuup_mailchimp.enums import WebhookStatus
        from shuup_mailchimp.exceptions import MailchimpError
        from shuup_mailchimp.models import MailchimpShopSettings, MailchimpWebhookEvent
        from shuup_mailchimp.sync import webhook_setup

        if len(action) != 3 or action[0] != "fire" or action[1] not in ACTIONS:
            raise CommandError("Usage: mailchimp_emulator fire unsubscribe|clean|subscribe EMAIL [--shop ID]")
        event, email = action[1], action[2]
        shops = MailchimpShopSettings.objects.active()
        shop_settings = shops.filter(shop_id=shop_id).first() if shop_id else shops.first()
        if shop_settings is None:
            raise CommandError("No enabled shop%s: run `make demo` first." % (" %s" % shop_id if shop_id else ""))
        client = client_for(shop_settings)
        try:
            report = webhook_setup.register(client, shop_settings)
        except webhook_setup.WebhookURLError as exc:
            raise CommandError(str(exc))
        except MailchimpError as exc:
            raise CommandError("Could not register the shop's webhook (%s). Is the shop's server running "
                               "(`make run`)?" % exc.describe())
        self.stdout.write("Webhook of shop %s: %s" % (shop_settings.shop_id, report.url))
        base = client.base_url.rsplit("/3.0/", 1)[0]
        before = MailchimpWebhookEvent.objects.filter(shop_id=shop_settings.shop_id).order_by("-pk").values_list(
            "pk", flat=True).first() or 0
        body = json.dumps({"list_id": shop_settings.audience_id, "email": email}).encode()
        request = urllib.request.Request("%s/_emulator/members/%s" % (base, ACTIONS[event]), data=body,
                                         method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=15) as answer:
                result = json.loads(answer.read().decode("utf-8"))
        except Exception as exc:
            raise CommandError("The emulator at %s refused or is not running (%s)." % (base, exc))
        self.stdout.write("%s: %s in Mailchimp; webhook deliveries: %s" % (
            email, result.get("member", {}).get("status"), json.dumps(result.get("deliveries"))))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            row = MailchimpWebhookEvent.objects.filter(shop_id=shop_settings.shop_id, pk__gt=before).exclude(
                status=WebhookStatus.RECEIVED).order_by("pk").first()
            if row is not None:
                self.stdout.write("The shop %s it: %s" % (row.status.value, row.note or row.error))
                return
            time.sleep(0.3)
        self.stdout.write("The shop has not applied the webhook yet (is `make run` running?).")

"""Counts per kind and status, the oldest pending item and the latest errors of a shop."""
import json

from django.db.models import Count

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.management.commands._base import ShopCommand
from shuup_mailchimp.models import MailchimpSyncItem, MailchimpWebhookEvent
from shuup_mailchimp.sync.outbox import status_counts, waiting
from shuup_mailchimp.sync.webhook_setup import webhook_url


class Command(ShopCommand):
    help = "Show the Mailchimp sync state of a shop."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, **options):
        shop_settings = self.shop_settings(options["shop"])
        shop_id = shop_settings.shop_id
        counts = status_counts(shop_id)
        items = MailchimpSyncItem.objects.filter(shop_id=shop_id)
        oldest = items.filter(status=SyncStatus.PENDING).order_by("created_on").first()
        errors = items.filter(status=SyncStatus.FAILED).order_by("-modified_on")[:10]
        waiting_count, next_attempt = waiting(shop_id)
        retrying = items.filter(status=SyncStatus.PENDING, attempts__gt=0).order_by("next_attempt_at")[:10]
        data = {
            "shop": shop_id,
            "enabled": shop_settings.enabled,
            "store_id": shop_settings.store_id,
            "initialized": shop_settings.is_initialized,
            "webhook_url": webhook_url(shop_settings) if shop_settings.pk else None,
            "webhooks_received": dict(
                (status.value, n) for status, n in MailchimpWebhookEvent.objects.filter(shop_id=shop_id)
                .values_list("status").annotate(n=Count("pk")).order_by()
            ),
            "counts": {k.value: {s.value: counts.get((k, s), 0) for s in SyncStatus} for k in SyncKind},
            "oldest_pending": oldest and {
                "kind": oldest.kind.value, "object_id": oldest.object_id, "since": oldest.created_on.isoformat(),
                "next_attempt_at": oldest.next_attempt_at and oldest.next_attempt_at.isoformat(),
            },
            "waiting": waiting_count,
            "next_attempt_at": next_attempt and next_attempt.isoformat(),
            "retrying": [
                {"kind": i.kind.value, "object_id": i.object_id, "attempts": i.attempts, "error": i.last_error,
                 "next_attempt_at": i.next_attempt_at and i.next_attempt_at.isoformat()}
                for i in retrying
            ],
            "latest_errors": [
                {"kind": i.kind.value, "object_id": i.object_id, "attempts": i.attempts, "error": i.last_error}
                for i in errors
            ],
        }
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write("Shop %s: enabled=%s store=%s initialized=%s" % (
            shop_id, data["enabled"], data["store_id"] or "-", data["initialized"]))
        # The text names kinds as the admin does ("contact group", not "interest"); --json keeps the values.
        label = {k.value: str(k.label) for k in SyncKind}
        self.stdout.write("%-18s %8s %11s %8s %8s" % ("kind", "pending", "processing", "synced", "failed"))
        for kind, row in data["counts"].items():
            self.stdout.write("%-18s %8d %11d %8d %8d" % (
                label.get(kind, kind), row["pending"], row["processing"], row["synced"], row["failed"]))
        self.stdout.write("Webhook URL: %s" % (data["webhook_url"] or "(none: no public address known)"))
        if oldest:
            self.stdout.write("Oldest pending: %s #%s since %s" % (
                oldest.kind.label, oldest.object_id, oldest.created_on))
        if waiting_count:
            self.stdout.write("Waiting for their next attempt: %d; the next attempt at %s "
                              "(`mailchimp_sync --shop %s` sends them now)." % (waiting_count, next_attempt, shop_id))
        for row in data["retrying"]:
            self.stdout.write("Retrying: %(kind)s #%(object_id)s, attempt %(attempts)s failed (%(error)s); "
                              "next attempt at %(next_attempt_at)s"
                              % dict(row, kind=label.get(row["kind"], row["kind"])))
        for error in data["latest_errors"]:
            self.stdout.write("Failed: %(kind)s #%(object_id)s after %(attempts)s attempts: %(error)s"
                              % dict(error, kind=label.get(error["kind"], error["kind"])))

"""Configure a shop's Mailchimp integration without the admin (deployments, scripts)."""
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from shuup_mailchimp.call_log import log_configuration
from shuup_mailchimp.enums import ConflictPolicy
from shuup_mailchimp.forms_validation import validate_api_key
from shuup_mailchimp.management.commands._base import ShopCommand
from shuup_mailchimp.sync.connection import TRANSIENT_CAUSES, check_connection


class Command(ShopCommand):
    help = "Set a shop's Mailchimp API key, audience, store id and switches."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--api-key", help="Mailchimp API key, <32 hex>-<dc>.")
        parser.add_argument("--audience", help="Audience (list) id.")
        parser.add_argument("--store-id", help="Reuse this eCommerce store id (normally set by mailchimp_init).")
        toggle = parser.add_mutually_exclusive_group()
        toggle.add_argument("--enable", action="store_true", help="Start syncing this shop.")
        toggle.add_argument("--disable", action="store_true", help="Stop syncing this shop.")
        two_way = parser.add_mutually_exclusive_group()
        two_way.add_argument("--two-way", action="store_true", help="Apply Mailchimp unsubscribes to Shuup.")
        two_way.add_argument("--no-two-way", action="store_true")
        transactional = parser.add_mutually_exclusive_group()
        transactional.add_argument("--send-transactional", action="store_true",
                                   help="Send contacts without marketing permission as transactional customers.")
        transactional.add_argument("--no-send-transactional", action="store_true")
        parser.add_argument("--conflict", choices=[p.value for p in ConflictPolicy], help="Who wins on a conflict.")
        parser.add_argument("--no-check", action="store_true",
                            help="Save without asking Mailchimp whether the key and audience are right (also when "
                                 "Mailchimp cannot be reached and a key or audience is already saved).")

    def handle(self, *args, **options):
        shop_settings = self.shop_settings(options["shop"])
        saved_key, saved_audience = shop_settings.api_key, shop_settings.audience_id
        if options["api_key"] is not None:
            try:
                validate_api_key(options["api_key"])
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages))
            shop_settings.api_key = options["api_key"].strip()
        if options["audience"] is not None:
            shop_settings.audience_id = options["audience"].strip()
        if options["store_id"] is not None:
            shop_settings.store_id = options["store_id"].strip()
            shop_settings.store_initialized_on = None
        for flag, field, value in (
            ("enable", "enabled", True), ("disable", "enabled", False),
            ("two_way", "two_way_sync", True), ("no_two_way", "two_way_sync", False),
            ("send_transactional", "send_transactional", True), ("no_send_transactional", "send_transactional", False),
        ):
            if options[flag]:
                setattr(shop_settings, field, value)
        if options["conflict"]:
            shop_settings.conflict_policy = ConflictPolicy(options["conflict"])
        if shop_settings.enabled and not shop_settings.is_configured:
            raise CommandError("Cannot enable shop %s without an API key and an audience id." % shop_settings.shop_id)
        connection_changed = options["api_key"] is not None or options["audience"] is not None
        if connection_changed and shop_settings.is_configured and not options["no_check"]:
            replaces = (saved_key and saved_key != shop_settings.api_key) or (
                saved_audience and saved_audience != shop_settings.audience_id)
            self._check(shop_settings, replaces)
        shop_settings.save()
        changed = [name for name in ("api_key", "audience", "store_id", "conflict") if options[name] is not None]
        changed += [flag for flag in ("enable", "disable", "two_way", "no_two_way", "send_transactional",
                                      "no_send_transactional") if options[flag]]
        log_configuration(shop_settings, "mailchimp_configure", changed)
        self.stdout.write(
            "Shop %s: enabled=%s key=%s audience=%s store=%s two-way=%s conflict=%s transactional=%s"
            % (
                shop_settings.shop_id, shop_settings.enabled, shop_settings.masked_api_key or "-",
                shop_settings.audience_id or "-", shop_settings.store_id or "-", shop_settings.two_way_sync,
                shop_settings.conflict_policy.value, shop_settings.send_transactional,
            )
        )
        if shop_settings.enabled and not shop_settings.is_initialized:
            self.stdout.write("Next: python manage.py mailchimp_init --shop %s" % shop_settings.shop_id)

    def _check(self, shop_settings, replaces):
        """A wrong key or a missing audience is refused (nothing saved). When Mailchimp cannot be reached,
        a new key or audience is saved with a warning, unless it would replace a saved one: an unchecked
        value never overwrites one that may be working (``--no-check`` does it on purpose)."""
        from shuup_mailchimp.admin_module.explain import explain_report
        from shuup_mailchimp.client import api_base_url

        report = check_connection(shop_settings)
        lines = explain_report(report, api_base_url(shop_settings.api_key))
        if report.ok:
            self.stdout.write(lines[0])
        elif report.cause in TRANSIENT_CAUSES and not replaces:
            self.stderr.write("Warning, saved but not checked: %s" % " ".join(lines))
        elif report.cause in TRANSIENT_CAUSES:
            raise CommandError(
                "Nothing saved: the new key or audience could not be checked, and the saved one stays in use. %s\n"
                "Run this again once Mailchimp answers, or add --no-check to save it unchecked."
                % " ".join(lines))
        else:
            raise CommandError("Nothing saved. " + "\n".join(report.lines()))

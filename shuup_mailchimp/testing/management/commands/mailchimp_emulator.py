"""``manage.py mailchimp_emulator``: serve the Mailchimp API emulator on loopback until interrupted.

Options and output are those of :mod:`shuup_mailchimp.testing.emulator.cli`: the URL, then
``list_id=<id> name="..."`` with ``--list``, then ``ready url=<url>`` once listening.
``--pidfile`` records the pid; ``--stop --pidfile PATH`` stops that process. For the fastest start
(no Django app loading) run ``python -m shuup_mailchimp.testing.emulator`` with the same options.
"""
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from shuup_mailchimp.testing.emulator import cli


class Command(BaseCommand):
    help = "Run the local Mailchimp Marketing API v3 emulator (see shuup_mailchimp.testing.emulator)."
    requires_system_checks = False

    def add_arguments(self, parser: Any) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["stop"]:
                cli.stop(options["pidfile"], self.stdout)
            else:
                # Plain sys.stdout: Django's OutputWrapper would not flush the "ready" line by itself.
                import sys
                cli.serve(options, sys.stdout)
        except cli.CliError as error:
            raise CommandError(str(error))

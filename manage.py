#!/usr/bin/env python
"""Management entry point of the shuup_mailchimp development / demo project."""
import os
import sys

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuup_mailchimp.testing.project.settings")
    os.environ.setdefault("SHUUP_MAILCHIMP_DEMO_DIR", os.path.join(here, "var"))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

"""``python -m shuup_mailchimp.testing.emulator``: the emulator without Django start-up (see cli.py)."""
import sys

from .cli import main

sys.exit(main())

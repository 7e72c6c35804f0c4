"""The scripted consent scenario against the emulator as a real HTTP server on loopback.

Prints each step and what Mailchimp then holds; exits non-zero if anyone ends up subscribed who
should not be, or an old address is left subscribed. (The same scenario runs in the test suite.)
"""
import sys

from _setup import enabled_shop, setup_django, start_emulator


def main():
    setup_django()
    from shuup_mailchimp.testing.consent_scenario import run

    emulator, server = start_emulator()
    try:
        _shop, shop_settings = enabled_shop(emulator)
        problems = run(emulator, shop_settings)
    finally:
        server.stop()
    print("CONSENT scenario problems = %d (target 0)" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

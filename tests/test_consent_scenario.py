"""The scripted consent scenario (shuup_mailchimp.testing.consent_scenario) finds no problem."""
import pytest


@pytest.mark.django_db
def test_consent_scenario_finds_nobody_subscribed_who_should_not_be(initialized, emulator):
    from shuup_mailchimp.testing.consent_scenario import run

    lines = []
    assert run(emulator, initialized, say=lines.append) == [], "\n".join(lines)
    assert sum(line.endswith(" ok") for line in lines) == 8  # every check ran

"""Hostile input: the generated pytest cases of ``tests/test_hostile_*.py``, run in a subprocess.

    python bench/reliability/hostile_input.py [--mode short|long] [--out DIR]

The cases come from the small tables of ``tests/test_hostile_tables.py``: invalid, unicode and
case/space-only-different emails, huge and hostile names, NUL bytes, RTL text, wrong webhook
tokens, malformed and oversized webhook payloads, invalid and revoked API keys, and Mailchimp
answering an HTML page, an empty body, truncated JSON, a 200 with garbage or a proxy's 502 (at the
client through ``responses``, and through the sync by wrapping the emulator). Each case asserts its
own outcome: the shop save succeeded; the item ended synced under the normalized email, or failed
with a reason after at most ``SHUUP_MAILCHIMP_MAX_ATTEMPTS`` attempts; the webhook view answered
404 / 400 / 413 and kept the raw row of a malformed payload; no secret in rows, logs, HTML,
exceptions or Celery messages.

Artifacts: ``junit.xml``, the run's log output at DEBUG in ``pytest-log.txt`` (the frame's log
format, so ``secrets_scan.py`` reads its levels), the console in ``pytest-console.out``, and
``sensitive.json`` with the keys, the webhook token and the emails / names the tests used.
Checks: cases tried >= 200, failed == 0. Both modes run the same cases (they take ~1 min).
"""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _scenario import LOG_FORMAT, ROOT, Scenario  # noqa: E402

MODULES = ["tests/test_hostile_input.py", "tests/test_hostile_secrets.py", "tests/test_hostile_tables.py"]
#: Test function name (prefix) -> category of the figures.
CATEGORIES = [
    ("test_an_email_differing", "emails: case / spaces"),
    ("test_two_contacts_whose_emails", "emails: case / spaces"),
    ("test_editing_an_email", "emails: case / spaces"),
    ("test_an_invalid_email", "emails: invalid"),
    ("test_an_unusual_email", "emails: unicode / control / long"),
    ("test_a_contact_without_an_address", "emails: empty"),
    ("test_a_hostile_name_or_error_is_shown_escaped", "admin: hostile values escaped"),
    ("test_a_hostile_name", "names: huge / NUL / RTL / injection"),
    ("test_a_bad_or_revoked_key", "API keys: invalid / revoked"),
    ("test_an_error_status_with_an_odd_body", "Mailchimp odd answers: client"),
    ("test_a_success_status_with_garbage", "Mailchimp odd answers: client"),
    ("test_a_problem_document_echoing", "Mailchimp odd answers: client"),
    ("test_an_odd_answer_during_a_sync", "Mailchimp odd answers: through the sync"),
    ("test_a_wrong_token", "webhooks: wrong token / shop / method"),
    ("test_the_right_token_for_another_shop", "webhooks: wrong token / shop / method"),
    ("test_other_methods", "webhooks: wrong token / shop / method"),
    ("test_a_malformed_form", "webhooks: malformed / oversized"),
    ("test_a_body_that_is_no_form", "webhooks: malformed / oversized"),
    ("test_an_oversized_body", "webhooks: malformed / oversized"),
    ("test_a_well_formed_event_with_hostile_values", "webhooks: hostile values"),
    ("test_a_refused_webhook_never_logs", "secrets: logs, rows, HTML, exceptions, Celery"),
    ("test_the_signup_box_answers", "sign-up box: hostile emails"),
    ("test_a_guest_order_with_a_hostile_email", "guest orders: hostile emails"),
    ("test_check_connection_says", "Mailchimp odd answers: admin check connection"),
    ("test_an_unreadable_results_archive", "Mailchimp odd answers: batch results archives"),
    ("test_an_odd_but_readable_archive", "Mailchimp odd answers: batch results archives"),
    ("test_a_batch_result_that_is_no_json_object", "Mailchimp odd answers: batch results archives"),
    ("test_an_unsubscribe_for_a_case_or_space_variant", "webhooks: unsubscribe reaches the variant address"),
    ("test_an_unsubscribe_reaches_every_contact", "webhooks: unsubscribe reaches the variant address"),
]


def category(classname, name):
    if classname.endswith("test_hostile_tables"):
        return None  # the tables' own sanity test: not a case
    if classname.endswith("test_hostile_secrets"):
        return "secrets: logs, rows, HTML, exceptions, Celery"
    for prefix, label in CATEGORIES:
        if name.startswith(prefix):
            return label
    return "other"


def read_junit(path):
    """[(category, outcome)] with outcome passed / failed / skipped."""
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        children = {child.tag for child in case}
        outcome = "failed" if children & {"failure", "error"} else "skipped" if "skipped" in children else "passed"
        label = category(case.get("classname", ""), case.get("name", ""))
        if label is not None:
            cases.append((label, outcome))
    return cases


def main(argv=None):
    scenario = Scenario("hostile_input", "Hostile input: generated invalid / unicode / oversized / odd cases", argv)
    from tests import test_hostile_tables as tables

    scenario.write_sensitive(tables.SECRETS, tables.PERSONAL)
    junit = scenario.artifact("junit.xml")
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
        "--junitxml", junit, "-o", "junit_family=xunit2",
        "-o", "log_file=%s" % scenario.artifact("pytest-log.txt"), "-o", "log_file_level=DEBUG",
        "-o", "log_file_format=%s" % LOG_FORMAT, "-o", "log_file_date_format=%Y-%m-%d %H:%M:%S",
    ] + MODULES
    with open(scenario.artifact("pytest-console.out"), "w", encoding="utf-8") as console:
        exit_code = subprocess.run(command, cwd=ROOT, stdout=console, stderr=subprocess.STDOUT).returncode
    cases = read_junit(junit) if os.path.exists(junit) else []
    outcomes = Counter(outcome for _, outcome in cases)
    scenario.figure("cases_tried", len(cases), "cases tried")
    scenario.figure("cases_passed", outcomes["passed"], "cases passed")
    scenario.figure("cases_failed", outcomes["failed"], "cases failed")
    if outcomes["skipped"]:
        scenario.figure("cases_skipped", outcomes["skipped"], "cases skipped")
    by_category = Counter(label for label, _ in cases)
    failed_by_category = Counter(label for label, outcome in cases if outcome == "failed")
    for label in sorted(by_category):
        key = "cases_" + "".join(c if c.isalnum() else "_" for c in label.lower()).strip("_")
        scenario.figure(key, "%d tried, %d failed" % (by_category[label], failed_by_category[label]), label)
    scenario.check("cases tried", len(cases) >= 200, len(cases), ">= 200")
    scenario.check("cases failed", outcomes["failed"] == 0 and cases, outcomes["failed"], "0")
    scenario.check("pytest exit code", exit_code == 0, exit_code, "0")
    scenario.note("Cases generated from the tables of tests/test_hostile_tables.py; each asserts its own outcome "
                  "(synced under the normalized email, failed with a reason within SHUUP_MAILCHIMP_MAX_ATTEMPTS, "
                  "404/400/413 with the raw row kept, no secret anywhere). Where the real API and the emulator may "
                  "differ (unicode addresses, long values), a case accepts a sync or a failure with a reason.")
    return scenario.finish()


if __name__ == "__main__":
    sys.exit(main())

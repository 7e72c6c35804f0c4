"""The secrets scan (``bench/reliability/secrets_scan.py``) can fail: planted secrets and personal
data are found, with file:line and without the value; a clean directory passes."""
import json
import logging
import os
import sys
from urllib.parse import quote

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "reliability"))
import secrets_scan  # noqa: E402

KEY = "9c2e4a6b8d0f1e3a5c7b9d1f3e5a7c9b-us12"
TOKEN = "pl4nted/Token+with=signs"
EMAIL = "planted.person@mailbox.org"
NAME = "Plantedina"
LINE = "2026-11-30 10:00:00,123 {level} shuup_mailchimp [MainProcess:MainThread] {message}\n"


@pytest.fixture(autouse=True)
def _root_logger_restored():
    """``main()`` builds a Scenario, which adds a DEBUG file handler to the root logger."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def artifacts(tmp_path, files, secrets=(KEY, TOKEN), personal=(EMAIL, NAME), name="scenario_a"):
    folder = tmp_path / "artifacts" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sensitive.json").write_text(json.dumps({"secrets": list(secrets), "personal": list(personal)}),
                                           encoding="utf-8")
    for filename, text in files.items():
        (folder / filename).write_text(text, encoding="utf-8")
    return tmp_path


def log(level, message):
    return LINE.format(level=level, message=message)


def hits(out):
    return [(h.file, h.line, h.kind, h.level) for h in secrets_scan.scan(str(out)).hits]


def test_a_clean_directory_passes(tmp_path):
    out = artifacts(tmp_path, {"log.txt": log("INFO", "Synced contact #3") + log("DEBUG", "PAYLOAD: " + EMAIL),
                               "rows.jsonl": '{"email": "%s"}\n' % EMAIL})
    result = secrets_scan.scan(str(out))
    assert result.hits == [] and result.files == 2 and result.bytes > 0
    assert result.secrets == 2 and result.personal == 2


@pytest.mark.parametrize("planted, form", [
    (KEY, "the whole key"),
    (KEY.split("-")[0], "the key's hex part"),
    (quote(TOKEN, safe=""), "the URL-encoded token"),
    (TOKEN, "the token"),
])
@pytest.mark.parametrize("filename", ["log.txt", "junit.xml", "sub/state.json"])
def test_a_planted_secret_is_found_in_any_file_at_any_level(tmp_path, planted, form, filename):
    text = log("DEBUG", "first line") + log("DEBUG", "GET https://x/3.0/?k=%s" % planted)
    out = artifacts(tmp_path, {})
    path = out / "artifacts" / "scenario_a" / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    found = hits(out)
    assert ("scenario_a/" + filename, 2, "secret") in [h[:3] for h in found], form


def test_a_secret_from_another_directorys_list_is_found_too(tmp_path):
    out = artifacts(tmp_path, {"log.txt": log("INFO", "ok")}, name="a")
    artifacts(tmp_path, {"log.txt": log("DEBUG", "key " + KEY)}, secrets=(), personal=(), name="b")
    assert [h[:3] for h in hits(out)] == [("b/log.txt", 1, "secret")]


def test_sensitive_json_itself_is_not_a_hit(tmp_path):
    assert hits(artifacts(tmp_path, {})) == []


@pytest.mark.parametrize("level, found", [("DEBUG", False), ("INFO", True), ("WARNING", True), ("ERROR", True),
                                          ("CRITICAL", True)])
def test_personal_data_counts_at_info_and_above(tmp_path, level, found):
    out = artifacts(tmp_path, {"log.txt": log(level, "Member %s updated" % EMAIL.upper())})
    assert bool(hits(out)) is found


def test_a_traceback_line_takes_the_level_of_its_record(tmp_path):
    text = (log("ERROR", "Sync failed") + "Traceback (most recent call last):\n  ValueError: %s\n" % EMAIL
            + log("DEBUG", "payload") + "  continued %s\n" % NAME)
    out = artifacts(tmp_path, {"worker.log": text})
    assert hits(out) == [("scenario_a/worker.log", 3, "personal", "ERROR")]


def test_lines_before_any_record_count_as_info_and_only_logs_are_read_for_personal_data(tmp_path):
    out = artifacts(tmp_path, {"emulator.txt": "started\n%s subscribed\n" % EMAIL,
                               "rows.jsonl": '{"message": "%s"}\n' % EMAIL})
    assert hits(out) == [("scenario_a/emulator.txt", 2, "personal", "INFO")]


def test_celery_and_demo_formats_are_read(tmp_path):
    text = ("[2026-11-30 10:00:00,123: DEBUG/MainProcess] body %s\n" % EMAIL
            + "[2026-11-30 10:00:00,123: INFO/ForkPoolWorker-1] Task ok %s\n" % NAME
            + "[2026-11-30 10:00:00,123] (shuup_mailchimp:DEBUG): %s\n" % EMAIL)
    out = artifacts(tmp_path, {"celery.log": text})
    assert hits(out) == [("scenario_a/celery.log", 2, "personal", "INFO")]


def test_the_report_never_prints_the_value(tmp_path, capsys):
    out = artifacts(tmp_path, {"log.txt": log("WARNING", "key %s for %s" % (KEY, EMAIL))})
    code = secrets_scan.main(["--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 1
    assert "scenario_a/log.txt:1 secret" in printed and "scenario_a/log.txt:1 personal" in printed
    report = (out / "artifacts" / "secrets_scan" / "hits.json").read_text(encoding="utf-8")
    summary = (out / "secrets_scan.json").read_text(encoding="utf-8")
    for text in (printed, report, summary):
        assert KEY not in text and KEY.split("-")[0] not in text and EMAIL not in text


def test_main_passes_on_a_clean_run(tmp_path, capsys):
    out = artifacts(tmp_path, {"log.txt": log("INFO", "Synced contact #3")})
    assert secrets_scan.main(["--out", str(out)]) == 0
    assert json.loads((out / "secrets_scan.json").read_text(encoding="utf-8"))["ok"] is True


def test_a_secret_in_a_scenarios_result_file_is_found(tmp_path):
    out = artifacts(tmp_path, {"log.txt": log("INFO", "ok")})
    (out / "scenario_a.json").write_text(json.dumps({"notes": ["ran with key %s" % KEY]}), encoding="utf-8")
    assert [h[:3] for h in hits(out)] == [("scenario_a.json", 1, "secret")]

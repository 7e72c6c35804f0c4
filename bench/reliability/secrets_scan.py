"""Secrets scan: runs LAST, over what every other scenario left in ``<out>/artifacts/*/``.

    python bench/reliability/secrets_scan.py [--out DIR]

Each scenario writes ``sensitive.json`` (``Scenario.write_sensitive`` / ``dump_database``):
``{"secrets": [...], "personal": [...]}``. The values of all of them are looked for in all the
artifact directories (and secrets also in the scenarios' result files ``<out>/<name>.json``,
whose figures and notes go in the doc):

- a **secret** (API key, webhook token) must not appear in ANY file, at any log level, except in
  ``sensitive.json`` itself. Also looked for: an API key's distinctive part (the 32 hex digits
  before ``-usN``) and the URL-encoded forms (``quote`` and ``quote_plus``) of every value;
- **personal data** (emails, names) must not appear in log lines at INFO, WARNING, ERROR or
  CRITICAL of any ``*.txt`` / ``*.log`` file (case-insensitive, URL-encoded forms too). A line's
  level is read from ``_scenario.LOG_FORMAT`` (also Celery's and the demo project's formats);
  lines without one (a traceback, a multi-line message) take the level of the record above them;
  lines before any record, or in a file with no recognizable record, count as INFO (unknown output
  is treated as visible output).

Values shorter than 6 characters (8 for secrets) are not looked for: they would match anything.
Every hit is reported as ``file:line``, its kind, and which value (by its index and a masked
preview, never the value itself); ``hits.json`` in this scenario's artifacts holds the same list.
Figures: files and bytes scanned, secret hits (target 0), personal-data hits at INFO+ (target 0).
"""
import json
import os
import re
import sys
from dataclasses import asdict, dataclass, field
from typing import List, Optional, Tuple
from urllib.parse import quote, quote_plus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _scenario import Scenario  # noqa: E402

NAME = "secrets_scan"
SENSITIVE = "sensitive.json"
LOG_SUFFIXES = (".txt", ".log")
MIN_SECRET, MIN_PERSONAL = 8, 6
API_KEY = re.compile(r"^([0-9a-f]{32})-[a-z]+[0-9]+$")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
VISIBLE = {"INFO", "WARNING", "ERROR", "CRITICAL"}
_LEVEL = r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL)"
#: A record's first line: _scenario.LOG_FORMAT ("<asctime> LEVEL name [process:thread] message",
#: the date optional), Celery's "[<asctime>: LEVEL/Process]", the demo's "[<asctime>] (name:LEVEL):".
RECORD_STARTS = [
    re.compile(r"^(?:\d{4}-\d{2}-\d{2}[ T])?\d{2}:\d{2}:\d{2}(?:[,.]\d+)? " + _LEVEL + r" "),
    re.compile(r"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:[,.]\d+)?: " + _LEVEL + r"/"),
    re.compile(r"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:[,.]\d+)?\] \([^)]*:" + _LEVEL + r"\):"),
]


@dataclass
class Needle:
    text: str
    kind: str  # "secret" / "personal"
    label: str  # which value, without the value: e.g. "secret #2 (API key hex part, URL-encoded)"
    value: int = 0  # index of the value it comes from: one hit per value and line


@dataclass
class Hit:
    file: str
    line: int
    kind: str
    what: str
    level: Optional[str] = None


@dataclass
class ScanResult:
    directories: int = 0
    files: int = 0
    bytes: int = 0
    secrets: int = 0  # values known
    personal: int = 0
    hits: List[Hit] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def secret_hits(self):
        return [h for h in self.hits if h.kind == "secret"]

    @property
    def personal_hits(self):
        return [h for h in self.hits if h.kind == "personal"]


def mask(value: str) -> str:
    """A preview that says which value it is without giving it away."""
    value = str(value)
    return "%s…(%d chars)" % (value[:2], len(value)) if len(value) > 4 else "…(%d chars)" % len(value)


def _variants(value: str, minimum: int) -> List[Tuple[str, str]]:
    found = {}
    for form, text in (("", value), ("URL-encoded", quote(value, safe="")), ("URL-encoded+", quote_plus(value)),
                       ("URL-encoded path", quote(value))):
        if len(text) >= minimum and text not in found:
            found[text] = form
    return [(text, form) for text, form in found.items()]


def needles(secrets, personal) -> List[Needle]:
    result = []
    for n, secret in enumerate(sorted(set(map(str, secrets)))):
        parts = [(secret, "")]
        match = API_KEY.match(secret)
        if match:
            parts.append((match.group(1), "API key hex part"))
        for part, what in parts:
            for text, form in _variants(part, MIN_SECRET):
                label = ", ".join(x for x in (what, form) if x)
                result.append(Needle(text, "secret", "secret #%d %s%s" % (n, mask(secret),
                                                                         " (%s)" % label if label else ""), n))
    for n, value in enumerate(sorted(set(map(str, personal)))):
        value = value.strip()
        if "\x00" in value:
            continue
        for text, form in _variants(value, MIN_PERSONAL):
            result.append(Needle(text.lower(), "personal", "personal #%d %s%s" % (n, mask(value),
                                                                                 " (%s)" % form if form else ""), n))
    return result


def load_sensitive(root: str, result: ScanResult):
    secrets, personal = set(), set()
    for directory in sorted(os.listdir(root)):
        path = os.path.join(root, directory, SENSITIVE)
        if directory == NAME or not os.path.isdir(os.path.join(root, directory)):
            continue
        result.directories += 1
        if not os.path.exists(path):
            result.notes.append("%s has no %s" % (directory, SENSITIVE))
            continue
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        secrets.update(s for s in data.get("secrets", []) if s)
        personal.update(p for p in data.get("personal", []) if p)
    return secrets, personal


def line_levels(lines) -> List[str]:
    """The level of every line: its record's, or the record's above it; INFO before any record."""
    levels, current = [], "INFO"
    for line in lines:
        for pattern in RECORD_STARTS:
            match = pattern.match(line)
            if match:
                current = match.group("level")
                break
        levels.append(current)
    return levels


def scan_file(path: str, relative: str, secret_needles, personal_needles, result: ScanResult):
    with open(path, "rb") as f:
        data = f.read()
    result.files += 1
    result.bytes += len(data)
    text = data.decode("utf-8", errors="replace")
    if not any(n.text in text for n in secret_needles) and not (
            relative.endswith(LOG_SUFFIXES) and any(n.text in text.lower() for n in personal_needles)):
        return
    lines = text.splitlines()
    is_log = relative.endswith(LOG_SUFFIXES)
    levels = line_levels(lines) if is_log else []
    for number, line in enumerate(lines, 1):
        level = levels[number - 1] if is_log else None
        seen = set()
        for needle in secret_needles:
            if needle.text in line and ("secret", needle.value) not in seen:
                seen.add(("secret", needle.value))
                result.hits.append(Hit(relative, number, "secret", needle.label, level))
        if is_log and level in VISIBLE:
            lowered = line.lower()
            for needle in personal_needles:
                if needle.text in lowered and ("personal", needle.value) not in seen:
                    seen.add(("personal", needle.value))
                    result.hits.append(Hit(relative, number, "personal", needle.label, level))


def scan(out: str) -> ScanResult:
    """Scan every ``<out>/artifacts/*/`` directory (but this scan's own)."""
    result = ScanResult()
    root = os.path.join(out, "artifacts")
    if not os.path.isdir(root):
        result.notes.append("no artifacts directory at %s" % root)
        return result
    secrets, personal = load_sensitive(root, result)
    result.secrets, result.personal = len(secrets), len(personal)
    all_needles = needles(secrets, personal)
    secret_needles = [n for n in all_needles if n.kind == "secret"]
    personal_needles = [n for n in all_needles if n.kind == "personal"]
    for directory in sorted(os.listdir(root)):
        base = os.path.join(root, directory)
        if directory == NAME or not os.path.isdir(base):
            continue
        for folder, _dirs, files in os.walk(base):
            for filename in sorted(files):
                path = os.path.join(folder, filename)
                relative = os.path.relpath(path, root)
                if filename == SENSITIVE and folder == base:
                    continue
                scan_file(path, relative, secret_needles, personal_needles, result)
    for filename in sorted(os.listdir(out)):  # the scenarios' results (figures, notes) go in the doc
        path = os.path.join(out, filename)
        if filename.endswith(".json") and filename != NAME + ".json" and os.path.isfile(path):
            scan_file(path, filename, secret_needles, personal_needles, result)
    return result


def main(argv=None):
    scenario = Scenario(NAME, "Secrets scan: no secret in any artifact, no personal data in INFO+ log lines", argv)
    result = scan(scenario.out)
    scenario.figure("artifact_dirs", result.directories, "artifact directories")
    scenario.figure("files_scanned", result.files, "files scanned")
    scenario.figure("bytes_scanned", result.bytes, "bytes scanned")
    scenario.figure("secrets_known", result.secrets, "secrets looked for")
    scenario.figure("personal_known", result.personal, "personal values looked for")
    scenario.figure("secret_hits", len(result.secret_hits), "secret hits")
    scenario.figure("personal_hits", len(result.personal_hits), "personal-data hits at INFO+")
    for hit in result.hits[:200]:
        print("  HIT %s:%d %s %s%s" % (hit.file, hit.line, hit.kind, hit.what,
                                      " at %s" % hit.level if hit.level else ""), flush=True)
    if len(result.hits) > 200:
        print("  ... %d more hits in hits.json" % (len(result.hits) - 200), flush=True)
    with open(scenario.artifact("hits.json"), "w", encoding="utf-8") as f:
        json.dump([asdict(h) for h in result.hits], f, indent=1)
    for note in result.notes:
        scenario.note(note)
    scenario.check("secret hits", not result.secret_hits, len(result.secret_hits), "0")
    scenario.check("personal-data hits at INFO+", not result.personal_hits, len(result.personal_hits), "0")
    scenario.check("something scanned", result.files > 0 and result.secrets > 0, result.files, "> 0 files, > 0 secrets")
    scenario.note("Secrets looked for in every artifact file (also the API key's hex part and URL-encoded forms); "
                  "personal data in INFO+ lines of *.txt / *.log (case-insensitive; unlevelled lines take the level "
                  "above, INFO at the top of a file). Values under %d / %d characters are not looked for."
                  % (MIN_SECRET, MIN_PERSONAL))
    return scenario.finish()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Hand-made mutation testing of the sync path: ``make mutation`` (or ``python tools/mutation.py``).

Each mutant in ``tools/mutants.py`` is one plausible one-line bug: an exact, unique snippet of
the current source (``find``) and what a careless edit would make of it (``replace``). For each
mutant the tool writes the mutated file into a private COPY of the repository and runs the
tests there; a failing run kills the mutant. The real working tree is never written to.

How it works:

1. Snapshot: every file ``git ls-files --cached --others --exclude-standard`` lists (tracked and
   new, not ignored), with its working-tree contents, is copied to a temp dir, once; then one
   copy per worker. All mutants see that one snapshot even if others edit the tree meanwhile.
2. Stale check: a mutant whose ``find`` does not occur exactly once in the snapshot (or whose
   mutated file would not compile) is STALE, listed with the closest current lines to make
   refreshing it quick, and is not counted.
3. Baseline: the test selection runs once unmutated; tests failing there (someone's edit in
   flight) are deselected for every mutant, and named in the report.
4. Mutants run in parallel (``--jobs``, default 2), each with ``pytest -x`` in two runs: the
   test files most likely to kill it (``PRIORITY`` in mutants.py), then, if it survived those,
   the rest of ``SYNC_SUITE`` (with ``--wide``: every ``tests/test_*.py`` but ``EXCLUDED_TESTS``).
   A failing run is a kill; a time-out counts as a kill and is flagged; a survivor passed it all.

Usage::

    python tools/mutation.py                 # all mutants; survivors and the kill rate at the end
    python tools/mutation.py --check         # only the stale check (no tests): for refreshing the list
    python tools/mutation.py -k consent      # mutants whose id contains "consent"
    python tools/mutation.py --list          # ids, files and whys
    python tools/mutation.py --wide          # survivors must pass every test file, not only SYNC_SUITE
    python tools/mutation.py --jobs 2 --timeout 300 --keep

Refreshing after a rewrite: run ``--check``; for each STALE mutant it prints the lines of the
file closest to the old snippet; edit ``find``/``replace`` in tools/mutants.py (or drop the
mutant when the rule moved elsewhere and add one there).
"""
import argparse
import concurrent.futures
import difflib
import importlib.util
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_PYTHON = REPO / ".venv" / "bin" / "python"
#: Environment variables that would point the copies' tests at shared services or directories.
SCRUBBED_ENV = ("DATABASE_URL", "CELERY_BROKER_URL", "SHUUP_MAILCHIMP_DEMO_DIR", "SHUUP_MAILCHIMP_API_URL",
                "DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS", "SHUUP_MAILCHIMP_SLOTS_REDIS_URL")


def load_mutants(path):
    spec = importlib.util.spec_from_file_location("shuup_mailchimp_mutants", str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- snapshot and copies -------------------------------------------------------------------


def snapshot(repo: Path, dest: Path) -> int:
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=str(repo),
                         check=True, stdout=subprocess.PIPE).stdout.decode("utf-8")
    count = 0
    for rel in filter(None, out.split("\0")):
        src = repo / rel
        if not src.is_file():  # deleted in the working tree (or a directory entry such as a submodule)
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(str(src), str(target))
        count += 1
    return count


def child_env(copy: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no stale .pyc across mutants of one copy
    env["PYTHONPATH"] = str(copy)
    return env


def check_imports_from_copy(python, copy: Path):
    """The venv has an editable install of /work/main: make sure the copy's package wins."""
    code = "import shuup_mailchimp, tests; print(shuup_mailchimp.__file__); print(tests.__file__)"
    out = subprocess.run([python, "-c", code], cwd=str(copy), env=child_env(copy), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT).stdout.decode("utf-8", "replace")
    paths = out.strip().splitlines()
    if len(paths) != 2 or not all(p.startswith(str(copy)) for p in paths):
        sys.exit("mutation: the copy does not import its own shuup_mailchimp/tests (got %r)" % out.strip())


# --- mutants -------------------------------------------------------------------------------


def stale_reason(mutant, snap: Path):
    path = snap / mutant["file"]
    if not path.is_file():
        return "file %s does not exist" % mutant["file"], []
    text = path.read_text(encoding="utf-8")
    found = text.count(mutant["find"])
    if found == 1:
        if mutant["find"] == mutant["replace"]:
            return "find and replace are the same", []
        try:  # a mutant that does not even compile would be "killed" by any test run: not a real kill
            compile(text.replace(mutant["find"], mutant["replace"], 1), str(path), "exec")
        except SyntaxError as exc:
            return "the mutated file does not compile (%s, line %s)" % (exc.msg, exc.lineno), []
        return None, []
    first = next((line.strip() for line in mutant["find"].splitlines() if line.strip()), "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    close = difflib.get_close_matches(first, lines, n=3, cutoff=0.5)
    return ("snippet found %d times (must be exactly once)" % found), close


def selection(mutant, priority, all_tests, present):
    """(first, rest): the test files most likely to kill the mutant, then the rest of the sync suite.

    Two pytest runs, because pytest-django reorders a run (database tests first, plain tests
    last), so a plain test named first would otherwise run after every database test.
    """
    first = list(mutant.get("tests", []))
    for prefix, files in priority:
        if mutant["file"].startswith(prefix):
            first += files
            break
    chosen, seen = [], set()
    for name in first:
        if name in present and name not in seen:
            chosen.append(name)
            seen.add(name)
    return chosen, [name for name in all_tests if name not in seen]


def test_files(snap: Path, module, wide: bool):
    """(the suite, every test file of the snapshot, the ones neither in the suite nor excluded)."""
    present = sorted(str(p.relative_to(snap)) for p in (snap / "tests").glob("test_*.py"))
    excluded = set(module.EXCLUDED_TESTS)
    if wide:
        suite = [name for name in present if name not in excluded]
    else:
        suite = [name for name in module.SYNC_SUITE if name in present]
    named = set(module.SYNC_SUITE) | excluded
    return suite, present, [name for name in present if name not in named]


# --- running pytest ------------------------------------------------------------------------

_SUMMARY = re.compile(r"^(FAILED|ERROR) (\S+)", re.M)


def run_pytest(python, copy: Path, tests, extra, timeout, stop_first=True):
    cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "-rfE"]
    if stop_first:
        cmd.append("-x")
    cmd += list(extra) + list(tests)
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=str(copy), env=child_env(copy), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode("utf-8", "replace")
        return None, output, time.monotonic() - started
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), time.monotonic() - started


def baseline(python, copy: Path, tests, timeout):
    """Run the selection unmutated: (deselect args, failing node ids, seconds)."""
    rc, output, seconds = run_pytest(python, copy, tests, [], timeout, stop_first=False)
    if rc is None:
        sys.exit("mutation: the baseline run timed out after %ds" % timeout)
    if rc not in (0, 1):
        sys.exit("mutation: the baseline run cannot run (exit %s):\n%s" % (rc, output[-3000:]))
    if not re.search(r"\b\d+ passed\b", output):
        sys.exit("mutation: the unmutated suite does not run (an edit in flight?); its output ends with:\n%s"
                 % "\n".join(output.strip().splitlines()[-15:]))
    failing = sorted(set(m.group(2) for m in _SUMMARY.finditer(output)))
    extra = []
    for nodeid in failing:
        extra += ["--deselect", nodeid] if "::" in nodeid else ["--ignore", nodeid]
    return extra, failing, seconds, output


def run_mutant(python, copy: Path, mutant, phases, extra, timeout, original: str):
    target = copy / mutant["file"]
    target.write_text(original.replace(mutant["find"], mutant["replace"], 1), encoding="utf-8")
    total = 0.0
    try:
        for tests in phases:
            if not tests:
                continue
            rc, output, seconds = run_pytest(python, copy, tests, extra, max(30, timeout - total))
            total += seconds
            if rc is None:
                return "KILLED", "time-out after %ds" % timeout, total
            if rc in (1, 2):  # failed tests, or the mutant broke collection (an import error)
                killers = [m.group(2) for m in _SUMMARY.finditer(output)]
                if killers:
                    return "KILLED", killers[0], total
                last = output.strip().splitlines()[-1:] or [""]
                return "KILLED", "no test failed; exit %d: %s" % (rc, last[0][:150]), total
            if rc != 0:
                last = output.strip().splitlines()[-1:] or [""]
                return "ERROR", "pytest exit %d: %s" % (rc, last[0]), total
    finally:
        target.write_text(original, encoding="utf-8")
    return "SURVIVED", "", total


# --- main ----------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", default=str(HERE / "mutants.py"), help="the mutant list (a Python file)")
    parser.add_argument("--python", default=str(DEFAULT_PYTHON if DEFAULT_PYTHON.exists() else sys.executable))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=0, help="seconds per mutant (default: 3x baseline + 60)")
    parser.add_argument("-k", dest="pattern", default="", help="only mutants whose id contains this")
    parser.add_argument("--check", action="store_true", help="only report stale mutants; run no tests")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--keep", action="store_true", help="keep the temp copies")
    parser.add_argument("--wide", action="store_true",
                        help="a survivor must pass every tests/test_*.py (but EXCLUDED_TESTS), not only SYNC_SUITE")
    parser.add_argument("--fail-under", type=float, default=None, help="exit 1 when the kill rate (%%) is lower")
    args = parser.parse_args(argv)

    module = load_mutants(args.mutants)
    mutants = [m for m in module.MUTANTS if args.pattern in m["id"]]
    ids = [m["id"] for m in module.MUTANTS]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        sys.exit("mutation: duplicate mutant ids: %s" % ", ".join(duplicates))
    if args.list:
        for m in mutants:
            print("%-34s %-36s %s" % (m["id"], m["file"], m["why"]))
        return 0

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="shuup-mailchimp-mutation-"))
    try:
        snap = tmp / "snapshot"
        files = snapshot(REPO, snap)
        print("mutation: snapshot of %s (%d files) in %s" % (REPO, files, snap), flush=True)

        live, stale = [], []
        for m in mutants:
            reason, close = stale_reason(m, snap)
            (stale if reason else live).append((m, reason, close))
        for m, reason, close in stale:
            print("STALE    %-34s %s: %s" % (m["id"], m["file"], reason))
            for line in close:
                print("           closest now: %s" % line)
        if args.check:
            print("mutation: %d mutants, %d stale, %d current" % (len(mutants), len(stale), len(live)))
            return 1 if stale else 0
        live = [m for m, _reason, _close in live]
        if not live:
            print("mutation: no current mutants to run")
            return 1

        all_tests, present, unlisted = test_files(snap, module, args.wide)
        if unlisted and not args.wide:
            print("mutation: test files in neither SYNC_SUITE nor EXCLUDED_TESTS (not run; --wide runs them): %s"
                  % " ".join(name.split("/")[-1] for name in unlisted))
        copies = []
        for n in range(max(1, args.jobs)):
            copy = tmp / ("worker%d" % n)
            shutil.copytree(str(snap), str(copy))
            copies.append(copy)
        check_imports_from_copy(args.python, copies[0])

        first_files = [name for _prefix, files in module.PRIORITY for name in files]
        first_files += [name for m in live for name in m.get("tests", [])]
        union = all_tests + sorted({n for n in first_files if n in present and n not in all_tests})
        extra, failing, base_seconds, _output = baseline(args.python, copies[0], union, timeout=1800)
        timeout = args.timeout or int(3 * base_seconds + 60)
        print("mutation: baseline %.0fs over %d test files; per-mutant time-out %ds; %d job(s)" % (
            base_seconds, len(union), timeout, len(copies)), flush=True)
        if failing:
            print("mutation: %d test(s) fail WITHOUT any mutant; deselected for every mutant:" % len(failing))
            for nodeid in failing:
                print("           %s" % nodeid)

        free = queue.Queue()
        for copy in copies:
            free.put(copy)
        originals = {m["file"]: (snap / m["file"]).read_text(encoding="utf-8") for m in live}
        lock = threading.Lock()
        results = []

        def work(index_mutant):
            index, mutant = index_mutant
            copy = free.get()
            try:
                phases = selection(mutant, module.PRIORITY, all_tests, present)
                verdict, detail, seconds = run_mutant(args.python, copy, mutant, phases, extra, timeout,
                                                      originals[mutant["file"]])
            finally:
                free.put(copy)
            with lock:
                results.append((mutant, verdict, detail, seconds))
                print("[%2d/%d] %-8s %-34s %5.1fs %s" % (len(results), len(live), verdict, mutant["id"], seconds,
                                                       ("by " + detail) if verdict == "KILLED" else detail),
                      flush=True)

        with concurrent.futures.ThreadPoolExecutor(max_workers=len(copies)) as pool:
            list(pool.map(work, enumerate(live)))

        survivors = [(m, d) for m, v, d, _s in results if v == "SURVIVED"]
        errors = [(m, d) for m, v, d, _s in results if v == "ERROR"]
        timeouts = [m for m, v, d, _s in results if v == "KILLED" and d.startswith(("time-out", "no test failed"))]
        killed = sum(1 for _m, v, _d, _s in results if v == "KILLED")
        counted = killed + len(survivors)
        if survivors:
            print("\nSURVIVORS (each is a missing test):")
            for m, _detail in sorted(survivors, key=lambda s: s[0]["id"]):
                print("  %s  (%s)\n      why: %s\n      find: %s\n      replace: %s" % (
                    m["id"], m["file"], m["why"], _one_line(m["find"]), _one_line(m["replace"])))
        if errors:
            print("\nERRORS (tool or environment trouble, not counted):")
            for m, detail in errors:
                print("  %s: %s" % (m["id"], detail))
        if timeouts:
            print("\nkilled by a time-out or a failure outside any test (check these are real kills): %s"
                  % ", ".join(m["id"] for m in timeouts))
        rate = 100.0 * killed / counted if counted else 0.0
        print("\nmutation: %d mutants: %d killed, %d survived, %d stale (not counted), %d errors; %.0fs in all" % (
            len(mutants), killed, len(survivors), len(stale), len(errors), time.monotonic() - started))
        print("MUTATION kill rate = %d/%d = %.1f%% (target >= 90%%)" % (killed, counted, rate))
        if args.fail_under is not None and rate < args.fail_under:
            return 1
        return 0
    finally:
        if args.keep:
            print("mutation: copies kept in %s" % tmp)
        else:
            shutil.rmtree(str(tmp), ignore_errors=True)


def _one_line(text, limit=110):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())

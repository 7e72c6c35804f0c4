"""The command line: ``python -m`` start-up (ready line, seeded list, options) and the management command."""
import os
import subprocess
import sys
import threading
import time

import pytest
import requests
from django.core.management import call_command, get_commands

from shuup_mailchimp.testing.management.commands.mailchimp_emulator import Command

from .conftest import KEY, make_client

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _read_until_ready(proc, timeout=15):
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.startswith("ready"):
            return lines
    raise AssertionError(f"no ready line: {lines}")


def test_management_command_is_registered_and_parses_every_option():
    assert get_commands()["mailchimp_emulator"] == "shuup_mailchimp.testing"
    parser = Command().create_parser("manage.py", "mailchimp_emulator")
    options = parser.parse_args([
        "--port", "8765", "--host", "127.0.0.1", "--fault-rate", "0.2", "--seed", "1", "--latency", "0.05",
        "--max-concurrent", "10", "--key", KEY, "--key", "f" * 32 + "-us1", "--datacenter", "us1",
        "--list", "Demo audience", "--list-id", "abc", "--resolve", "shop.test=127.0.0.1:8000",
        "--pidfile", "/tmp/x.pid"])
    assert options.key == [KEY, "f" * 32 + "-us1"] and options.resolve == ["shop.test=127.0.0.1:8000"]
    assert (options.fault_rate, options.seed, options.list_name) == (0.2, 1, "Demo audience")


@pytest.mark.emulator_server
def test_start_seed_serve_and_stop_with_pidfile(tmp_path):
    pidfile = str(tmp_path / "emulator.pid")
    proc = subprocess.Popen(
        [sys.executable, "-m", "shuup_mailchimp.testing.emulator", "--port", "0", "--list", "Demo audience",
         "--key", KEY, "--datacenter", "us1", "--pidfile", pidfile, "--resolve", "shop.test=127.0.0.1:9"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = _read_until_ready(proc)
        url = lines[-1].split("url=", 1)[1]
        list_id = [line for line in lines if line.startswith("list_id=")][0].split()[0].split("=", 1)[1]
        assert url.startswith("http://127.0.0.1:")
        with open(pidfile) as handle:
            assert int(handle.read()) == proc.pid
        client = make_client(url)
        assert client.ping.get()["health_status"] == "Everything's Chimpy!"
        assert client.lists.get(list_id)["name"] == "Demo audience"
        other_key = requests.get(url + "/3.0/ping", auth=("x", "f" * 32 + "-us1"))
        assert other_key.status_code == 401
        # Reap the child as soon as it exits, or --stop would wait on a zombie until its timeout.
        reaper = threading.Thread(target=proc.wait, daemon=True)
        reaper.start()
        started = time.monotonic()
        call_command("mailchimp_emulator", "--stop", "--pidfile", pidfile)
        reaper.join(10)
        assert proc.returncode == 0 and time.monotonic() - started < 5
        assert not os.path.exists(pidfile)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()

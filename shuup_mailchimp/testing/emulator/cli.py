"""Command line of the emulator, shared by ``manage.py mailchimp_emulator`` and ``python -m`` (no Django).

``python -m shuup_mailchimp.testing.emulator`` takes the same options and starts in about a
second, where the management command first pays for Django and Shuup's app loading.
Output, one line each, flushed: ``Mailchimp emulator on <url>/3.0/ ...``, then
``list_id=<id> name="..."`` if ``--list``/``--list-id`` was given, then ``ready url=<url>`` once
the socket is listening (scripts wait for the ``ready`` line).

``--state-file PATH`` keeps the state in a file (see ``persistence``): a restarted emulator
has the same audiences, members and stores. With it, ``--list NAME`` / ``--list-id ID`` reuse
the saved audience of that id (or, without an id, of that name) instead of making a new one.
"""
import argparse
import os
import signal
import threading
import time
from typing import Any, Dict, List, Optional, TextIO

from .persistence import StateFile
from .server import EmulatorServer
from .state import MailchimpEmulator


class CliError(Exception):
    """A usage or start-up error (the management command turns it into CommandError)."""


def add_arguments(parser: Any) -> None:
    """Register the options on an argparse parser (Django's command parser is one too)."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed on the ready line)")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="probability of 429/500/503/drop")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault RNG")
    parser.add_argument("--fault-kinds", default=None, metavar="KINDS",
                        help="comma list of 429,500,503,drop,applied_drop (default: all but applied_drop, "
                             "the write applied then the connection dropped)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API request")
    parser.add_argument("--max-concurrent", type=int, default=10, help="simultaneous requests per key")
    parser.add_argument("--key", action="append", default=[], help="accept only these API keys (repeatable)")
    parser.add_argument("--datacenter", default=None, help="reject keys of another data centre")
    parser.add_argument("--list", dest="list_name", default=None, help="seed an audience with this name")
    parser.add_argument("--list-id", default=None, help="id of the seeded audience")
    parser.add_argument("--resolve", action="append", default=[], metavar="HOST=ADDR:PORT",
                        help="send webhooks for HOST to ADDR:PORT with the original Host header (repeatable)")
    parser.add_argument("--sync-webhooks", action="store_true",
                        help="deliver API-triggered webhooks before answering (default: in the background, "
                             "as Mailchimp does)")
    parser.add_argument("--verbose-http", action="store_true", help="log every request to stderr")
    parser.add_argument("--state-file", default=None, metavar="PATH",
                        help="load the state from PATH at start and keep it written there (a restart keeps "
                             "the audiences and data)")
    parser.add_argument("--pidfile", default=None, help="write the pid here (removed on exit)")
    parser.add_argument("--stop", action="store_true", help="stop the emulator recorded in --pidfile")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def build(options: Dict[str, Any]) -> MailchimpEmulator:
    """An emulator configured from parsed options."""
    emu = MailchimpEmulator(fault_rate=options["fault_rate"], seed=options["seed"], latency=options["latency"],
                            max_concurrent=options["max_concurrent"], valid_keys=options["key"] or None,
                            datacenter=options["datacenter"])
    if options.get("fault_kinds"):
        try:
            emu.fault_kinds = [k.strip() for k in options["fault_kinds"].split(",") if k.strip()]
        except ValueError as exc:
            raise CliError(str(exc))
    emu.async_webhooks = not options["sync_webhooks"]
    for mapping in options["resolve"]:
        host, sep, address = mapping.partition("=")
        if not sep or not host or not address:
            raise CliError(f"--resolve expects HOST=ADDR:PORT, got {mapping!r}")
        emu.resolve_hosts[host] = address
    return emu


def seed_list(emu: MailchimpEmulator, name: Optional[str], list_id: Optional[str]) -> Dict[str, Any]:
    """The audience asked for on the command line: the saved one with that id (or, without an id,
    that name) when there is one, else a new one."""
    with emu._lock:
        saved = dict(emu.lists)
    if list_id and list_id in saved:
        return saved[list_id]
    if not list_id and name:
        for lst in saved.values():
            if lst.get("name") == name:
                return lst
    return emu.create_list(name or "Demo audience", list_id=list_id)


def serve(options: Dict[str, Any], out: TextIO) -> None:
    """Start, print the URL (and seeded list), print ``ready``, serve until SIGINT/SIGTERM."""
    emu = build(options)
    state_file = None
    if options.get("state_file"):
        state_file = StateFile(emu, options["state_file"])
        try:
            loaded = state_file.load()
        except ValueError as error:
            raise CliError(str(error))
        if loaded:
            with emu._lock:
                counts = (len(emu.lists), sum(len(lst["members"]) for lst in emu.lists.values()), len(emu.stores))
            out.write("state loaded from %s: %d audience(s), %d member(s), %d store(s)\n"
                      % ((options["state_file"],) + counts))
        else:
            out.write(f"state file {options['state_file']} does not exist yet; starting empty\n")
    server = EmulatorServer(emu, host=options["host"], port=options["port"], verbose=options["verbose_http"])
    try:
        server.start()
    except OSError as error:
        raise CliError(f"cannot listen on {options['host']}:{options['port']}: {error}")
    pidfile: Optional[str] = options["pidfile"]
    if pidfile:
        with open(pidfile, "w") as handle:
            handle.write(str(os.getpid()))
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # --stop sends SIGTERM; end like Ctrl-C
    out.write(f"Mailchimp emulator on {server.url}/3.0/ (state: {server.url}/_emulator/state)\n")
    if options["list_name"] or options["list_id"]:
        created = seed_list(emu, options["list_name"], options["list_id"])
        out.write(f'list_id={created["id"]} name="{created["name"]}"\n')
    if state_file is not None:
        state_file.flush()
        state_file.start()
    out.write(f"ready url={server.url}\n")
    out.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if state_file is not None:
            state_file.stop()
        if pidfile and os.path.exists(pidfile):
            os.unlink(pidfile)


def stop(pidfile: Optional[str], out: TextIO, timeout: float = 10.0) -> None:
    """Stop the emulator whose pid is in ``pidfile`` (SIGTERM, then wait for it to exit)."""
    if not pidfile:
        raise CliError("--stop needs --pidfile")
    try:
        with open(pidfile) as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        out.write(f"no running emulator recorded in {pidfile}\n")
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        out.write(f"emulator {pid} was not running\n")
    else:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        out.write(f"stopped emulator {pid}\n")
    if os.path.exists(pidfile):
        os.unlink(pidfile)


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``python -m shuup_mailchimp.testing.emulator``."""
    import sys
    parser = argparse.ArgumentParser(prog="python -m shuup_mailchimp.testing.emulator",
                                     description="Local Mailchimp Marketing API v3 emulator")
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    try:
        if options["stop"]:
            stop(options["pidfile"], sys.stdout)
        else:
            serve(options, sys.stdout)
    except CliError as error:
        parser.error(str(error))
    return 0

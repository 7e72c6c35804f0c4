"""The background worker of ``SHUUP_MAILCHIMP_DISPATCH = "background"`` (the default without a broker).

One daemon thread per process sends the outbox's due items after the response, so no request
waits on Mailchimp even without Celery:

- :func:`wake` is all a request does (after its commit, through ``tasks.schedule``): it sets an
  Event. The first call in a process (or in a forked child, e.g. gunicorn ``--preload``) starts
  the thread; nothing starts at import.
- After a wake-up the thread waits ``SHUUP_MAILCHIMP_TASK_COUNTDOWN`` seconds (the quiet period),
  then calls ``process_due(settle=True)`` until nothing is due: an item changed within the quiet
  period waits for a next round (so a burst of saves is one write). It closes its database
  connection and sleeps until the next wake-up, or ``SHUUP_MAILCHIMP_PROCESS_INTERVAL`` seconds
  at most (retries whose backoff has passed, work left by a process that died). An exception is
  logged and the thread carries on.
- :func:`shutdown` runs at a normal interpreter exit (``atexit``): the thread stops between two
  items, so the item in flight finishes and nothing it claimed stays "processing"; what it has
  not claimed stays pending in the outbox, for the next process, Celery or ``mailchimp_sync``.

The outbox is the source of truth: this thread is only a faster way to drain it.
"""
import atexit
import inspect
import logging
import os
import threading

from shuup_mailchimp.app_settings import app_settings

logger = logging.getLogger("shuup_mailchimp")

#: Seconds :func:`shutdown` (at exit) waits for the item in flight to finish. An item still
#: in flight after that is taken again by another worker once its claim runs out.
STOP_TIMEOUT = 30.0
#: ``process_due()`` calls per wake-up at most (each call ends when what it found is done;
#: items changed meanwhile are due again). The next wake-up or interval takes the rest.
MAX_ROUNDS = 10
#: Fallbacks when the settings cannot be read (the thread must never die of it).
DEFAULT_INTERVAL, DEFAULT_COUNTDOWN = 60.0, 0.5
#: Waited on top of the quiet period, so the item saved just before the wake-up is settled.
SETTLE_MARGIN = 0.05


class _Stopping(Exception):
    """Raised from process_due's ``progress`` callback to stop between two items."""


class BackgroundRunner:
    """One worker thread for this process. Use the module functions; tests may make their own."""

    def __init__(self, name="shuup-mailchimp-runner"):
        self.name = name
        self._reset()

    def _reset(self):
        """Fresh state: at creation, and in a forked child (the parent's thread does not exist there)."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        self._pid = os.getpid()
        self._closed = False
        self.runs = 0  # completed drains, for tests and introspection
        self.last_summary = None  # the last run's RunSummary

    # --- the request side -------------------------------------------------------------------

    def wake(self) -> bool:
        """Ask for a run soon. Cheap: no database, no thread creation after the first call.

        True when a run will come; False when the process is exiting (the outbox keeps the work).
        """
        thread = self._thread
        if thread is not None and self._pid == os.getpid() and thread.is_alive():
            if not self._wake.is_set():  # a burst of saves: the first sets it (set() takes a lock)
                self._wake.set()
            return not self._closed
        return self._start()

    def _start(self) -> bool:
        if self._pid != os.getpid():  # a forked child whose at-fork hook did not run
            self._reset()
        with self._lock:
            if self._closed:
                return False  # stopping (interpreter exit): the outbox keeps the work
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
                _register_atexit()
            self._wake.set()
            return True

    # --- stopping ---------------------------------------------------------------------------

    def shutdown(self, timeout=STOP_TIMEOUT):
        """Stop the thread between two items and wait up to ``timeout`` seconds. True once it stopped.

        Later :func:`wake` calls start nothing: the process is exiting, and the outbox keeps the work.
        """
        with self._lock:
            self._closed = True
            self._stop.set()
            self._wake.set()
            thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        if thread.is_alive():
            logger.warning(
                "Mailchimp background worker still busy after %.0f s at exit; an item it holds is taken "
                "again once its claim expires.", timeout or 0
            )
            return False
        self._thread = None
        return True

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()

    # --- the worker thread -------------------------------------------------------------------

    def _loop(self):
        stop, wake = self._stop, self._wake
        while not stop.is_set():
            try:
                woken = wake.wait(_setting("PROCESS_INTERVAL", DEFAULT_INTERVAL))
                if stop.is_set():
                    break
                # A burst of saves is one run; stopping cuts the wait short (the items stay pending).
                if woken and stop.wait(_setting("TASK_COUNTDOWN", DEFAULT_COUNTDOWN) + SETTLE_MARGIN):
                    break
                wake.clear()  # a commit from now on wakes us again, for another round
                self.drain()
            except Exception:  # never let the thread die; the outbox keeps the work
                logger.exception("Mailchimp background worker: unexpected error; carrying on")
                stop.wait(1.0)

    def drain(self):
        """Process what is due until nothing is (or stop is asked). Never raises; closes the connection."""
        from django.db import connection

        summary = None
        try:
            for _ in range(MAX_ROUNDS):
                if self._stop.is_set():
                    break
                summary = self._process_due()
                if not getattr(summary, "total", 0):
                    break
            self.last_summary = summary  # for introspection (tests, a debugger)
            if getattr(summary, "settling", False):
                self._wake.set()  # an item still in its quiet period: another round after it
        except _Stopping:
            pass
        except Exception:
            logger.exception("Mailchimp background run failed; the items stay in the outbox for the next run")
        finally:
            self.runs += 1
            try:
                connection.close()  # this thread's own connection: no lock or idle session kept (SQLite)
            except Exception:
                logger.warning("Could not close the background worker's database connection", exc_info=True)

    def _process_due(self):
        from shuup_mailchimp.sync import processing

        process_due = processing.process_due
        if _accepts(process_due, "should_stop"):
            # Stops between items and gives back whatever it claimed but did not start.
            return process_due(should_stop=self._stop.is_set, settle=True)

        def progress(item):  # called after each item: stop before claiming the next one
            if self._stop.is_set():
                raise _Stopping()

        return process_due(progress=progress)


def _accepts(func, name):
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _setting(name, default):
    try:
        value = getattr(app_settings, name)
        return max(0.0, float(value)) if value is not None else default
    except Exception:
        return default


_runner = BackgroundRunner()
_atexit_registered = []


def _register_atexit():
    if not _atexit_registered:
        atexit.register(shutdown)
        _atexit_registered.append(True)


def _after_fork_in_child():
    # The parent's thread does not exist in the child, and its locks may be held: start afresh.
    # (atexit registrations are inherited, and shutdown() acts on this fresh state.)
    _runner._reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def wake() -> bool:
    """Ask the process's background worker to send what is due (starting it if needed).

    True when a run will come; False when the process is exiting (the outbox keeps the work).
    """
    return _runner.wake()


def shutdown(timeout=STOP_TIMEOUT):
    """The ``atexit`` handler: stop the worker between items, waiting up to ``timeout`` seconds."""
    return _runner.shutdown(timeout)


def get_runner():
    return _runner

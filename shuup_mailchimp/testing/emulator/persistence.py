"""Keep the emulator's state in a JSON file, so a restarted emulator still has its audiences and data.

``--state-file var/emulator-state.json`` (the demo and ``make emulator`` use it): the state is
loaded at start when the file exists, written a moment after every change (writes are
coalesced: a full sync of the demo is a few thousand calls, the file is rewritten about twice a
second at most), and once more at exit. The file is replaced atomically (write, then rename),
so a crash mid-write leaves the previous version.

Saved: audiences with their members, interests, merge fields, segments and webhooks; eCommerce
stores with customers, products, orders and carts; batches (and their result archives),
campaigns and the id sequence. Not saved: statistics and configuration (fault rate, latency),
which belong to one run.
"""
import base64
import json
import os
import tempfile
import threading
from typing import Any, Dict, Optional

#: Bumped when the layout changes; a file of another version is ignored (with a message).
FORMAT = 1
#: Seconds between a change and the write that records it (later changes ride along).
DEBOUNCE = 0.5
_DICTS = ("lists", "stores", "batches", "batch_webhooks", "campaigns")


def dump(emu: Any) -> Dict[str, Any]:
    """The emulator's resources as a JSON-serialisable dict; the caller holds ``emu._lock``."""
    data: Dict[str, Any] = {"format": FORMAT, "sequence": emu.sequence}
    for name in _DICTS:
        data[name] = getattr(emu, name)
    data["batch_archives"] = {key: base64.b64encode(value).decode("ascii")
                              for key, value in emu.batch_archives.items()}
    return data


def load(emu: Any, path: str) -> bool:
    """Replace the emulator's resources with those saved in ``path``; False if there is no usable file."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read the emulator state file {path}: {error}")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path} is not an emulator state file of format {FORMAT}; move it away to start afresh")
    with emu._lock:
        for name in _DICTS:
            setattr(emu, name, dict(data.get(name) or {}))
        emu.batch_archives = {key: base64.b64decode(value) for key, value in (data.get("batch_archives") or {}).items()}
        emu.sequence = int(data.get("sequence") or 0)
    return True


def write(emu: Any, path: str) -> None:
    """Write the state to ``path`` atomically."""
    with emu._lock:
        text = json.dumps(dump(emu), separators=(",", ":"), sort_keys=True)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=".emulator-state-", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class StateFile:
    """Loads ``path`` into ``emu`` and keeps it written after changes (see the module docstring)."""

    def __init__(self, emu: Any, path: str, debounce: float = DEBOUNCE) -> None:
        self.emu = emu
        self.path = path
        self.debounce = debounce
        self._changed = threading.Event()
        self._stopped = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.writes = 0

    def load(self) -> bool:
        return load(self.emu, self.path)

    def start(self) -> "StateFile":
        """Write after every change from now on (``emu.on_change`` calls :meth:`changed`)."""
        self.emu.on_change = self.changed
        self._thread = threading.Thread(target=self._run, name="emulator-state-file", daemon=True)
        self._thread.start()
        return self

    def changed(self) -> None:
        self._changed.set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            if not self._changed.wait(0.5):
                continue
            self._stopped.wait(self.debounce)
            self._changed.clear()
            self.flush()

    def flush(self) -> None:
        write(self.emu, self.path)
        self.writes += 1

    def stop(self) -> None:
        """Stop the writer and write the final state."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(5)
        self.emu.on_change = None
        self.flush()

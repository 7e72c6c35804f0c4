"""Run every bench script, each in its own process (each builds its own throwaway database).

``make bench``; ``RELIABILITY=1 make bench`` also runs the fault soak (``reliability/fault_soak.py``: full
sync + random changes both ways at 20% faults; ~1 min, ``RELIABILITY_MODE=long`` a few minutes);
``FULL_SYNC=1 make bench`` the full sync of 100,000 contacts, 1,000 products and 20,000 orders (~10 min;
``FULL_SYNC_ARGS="--contacts 20000 --orders 4000"`` for a smaller one).
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = ["save_overhead.py", "burst_writes.py", "consent_scenario.py", "sqlite_writers.py"]
if os.environ.get("RELIABILITY"):
    SCRIPTS.append(os.path.join("reliability", "fault_soak.py"))
if os.environ.get("FULL_SYNC"):
    SCRIPTS.append("full_sync.py")

failed = 0
for script in SCRIPTS:
    print("== %s" % script, flush=True)
    extra = os.environ.get("FULL_SYNC_ARGS", "").split() if script == "full_sync.py" else []
    failed += subprocess.call([sys.executable, os.path.join(HERE, script)] + extra, cwd=HERE) != 0
sys.exit(1 if failed else 0)

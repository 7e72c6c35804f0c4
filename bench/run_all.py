"""Run every bench script, each in its own process (each builds its own throwaway database).

``make bench``; ``RELIABILITY=1 make bench`` also runs the fault-rate reliability run (~5 min).
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = ["save_overhead.py", "burst_writes.py", "consent_scenario.py"]
if os.environ.get("RELIABILITY"):
    SCRIPTS.append(os.path.join("reliability", "faults_run.py"))

failed = 0
for script in SCRIPTS:
    print("== %s" % script, flush=True)
    failed += subprocess.call([sys.executable, os.path.join(HERE, script)], cwd=HERE) != 0
sys.exit(1 if failed else 0)

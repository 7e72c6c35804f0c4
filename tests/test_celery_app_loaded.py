"""The demo project loads its Celery app with Django: a web process publishes with the project's
broker settings, so a save with the broker down fails its publish at once (no kombu retry loop)."""
import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = textwrap.dedent("""
    import time
    import django
    django.setup()
    from shuup_mailchimp.tasks import process_due
    options = process_due.app.conf.broker_transport_options
    started = time.perf_counter()
    try:
        process_due.apply_async(countdown=1, retry=False)
    except Exception:
        pass
    print(process_due.app.main, options.get("max_retries"), round(time.perf_counter() - started, 3))
""")


def test_a_web_process_publishes_with_the_projects_celery_settings(tmp_path):
    # A fresh interpreter, as a web process starts: nothing has imported the Celery app module yet.
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="shuup_mailchimp.testing.project.settings",
               CELERY_BROKER_URL="redis://127.0.0.1:1/0",  # nothing listens there
               SHUUP_MAILCHIMP_DEMO_DIR=str(tmp_path), DATABASE_URL="sqlite:///%s" % (tmp_path / "db.sqlite3"))
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    app, max_retries, seconds = out.stdout.split()[-3:]
    assert app == "shuup_mailchimp_demo" and max_retries == "0"
    assert float(seconds) < 1.0  # was 6 s: Celery's default app, kombu's default retries

#!/usr/bin/env bash
# The README's "Installing in your own Shuup project", done for real (`make install-check`, ~3 min):
#
#  1. build the wheel of this checkout (translations compiled first);
#  2. a fresh venv holding a working Shuup exactly as the README says: pip==24.0, the lock with
#     --no-deps, then the wheel with --no-deps (and a check that django-enumfields stayed 2.1.1);
#  3. a minimal Shuup project of its own (not the demo): settings with the README's settings,
#     the Celery app module, urls with the README's include; `manage.py check` and `migrate`;
#  4. the local emulator (python -m shuup_mailchimp.testing.emulator), then mailchimp_configure,
#     mailchimp_check and mailchimp_init, and one contact synced WITHOUT a broker (the web
#     process's background thread) ...
#  5. ... and one WITH a broker (a Celery worker on Redis), when Redis answers on 127.0.0.1:6379;
#     the worker's log at -l info must not carry the contact's email (mailchimp3 payload lines).
#
# Everything lives in a temporary directory, removed at the end (KEEP=1 keeps it). Processes it
# starts are stopped by their pid. Exit code 0 only if every step passed.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SOURCE="${INSTALL_CHECK_SOURCE:-$ROOT}"  # the checkout whose wheel is built (default: this one)
PYTHON_BIN="${PYTHON_BIN:-$( p="$(pyenv root 2>/dev/null)/versions/3.9.18/bin/python"; [ -x "$p" ] && echo "$p" || command -v python3.9 )}"
REDIS_URL="${INSTALL_CHECK_REDIS_URL:-redis://127.0.0.1:6379/13}"
WORK="$(mktemp -d /tmp/shuup-mailchimp-install-check.XXXXXX)"
PIDS=()
KEY="0123456789abcdef0123456789abcdef-us1"
AUDIENCE="inst4ll0k1"
started=$(date +%s)

step() { printf '\n== %s (%ss)\n' "$1" "$(( $(date +%s) - started ))"; }
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

step "1. wheel"
make -C "$SOURCE" --no-print-directory messages >/dev/null
rm -rf "$SOURCE/build"
"$ROOT/.venv/bin/python" -m pip wheel -q --no-deps --no-build-isolation -w "$WORK/dist" "$SOURCE" >/dev/null
rm -rf "$SOURCE/build"
WHEEL="$(ls "$WORK"/dist/shuup_mailchimp-*.whl)"
unzip -l "$WHEEL" | grep -q "locale/fi/LC_MESSAGES/django.mo" || { echo "the wheel has no compiled translations"; exit 1; }
unzip -l "$WHEEL" | grep -q "templates/shuup_mailchimp/admin/shop_dashboard.jinja" || { echo "the wheel has no templates"; exit 1; }
echo "$(basename "$WHEEL")"

step "2. fresh venv: pip==24.0, the lock with --no-deps, the wheel with --no-deps"
"$PYTHON_BIN" -m venv "$WORK/venv"
PY="$WORK/venv/bin/python"
"$PY" -m pip install -qq "pip==24.0"
"$PY" -m pip install -qq --no-deps -r "$ROOT/requirements-lock.txt"
"$PY" -m pip install -qq --no-deps "$WHEEL"
enumfields="$("$PY" -c 'import importlib.metadata as m; print(m.version("django-enumfields"))')"
[ "$enumfields" = "2.1.1" ] || { echo "django-enumfields is $enumfields, not 2.1.1"; exit 1; }
(cd "$WORK" && "$PY" -c 'import shuup_mailchimp, shuup; print("shuup", shuup.__version__, "+ shuup_mailchimp from", shuup_mailchimp.__file__)')

step "3. a minimal project of its own"
mkdir -p "$WORK/shop/myshop" "$WORK/shop/base"
cd "$WORK/shop"
cat > manage.py <<'EOF'
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myshop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
EOF
cat > myshop/__init__.py <<'EOF'
# The Celery app is loaded with Django, so @shared_task (shuup_mailchimp.tasks) binds to it.
from .celery import app as celery_app  # noqa: F401
EOF
cat > myshop/celery.py <<'EOF'
"""The README's Celery app module."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myshop.settings")
app = Celery("myshop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _mailchimp_beat(sender, source, **kwargs):
    from shuup_mailchimp.tasks import beat_schedule

    source["CELERY_BEAT_SCHEDULE"] = dict(beat_schedule(), **(source.beat_schedule or {}))
EOF
cat > myshop/urls.py <<'EOF'
from django.conf.urls import include, url

urlpatterns = [
    # Shuup's front URLs carry the addon's webhook URL (README step 2): nothing to add here.
    url(r"^sa/", include("shuup.admin.urls", namespace="shuup_admin")),
    url(r"^", include("shuup.front.urls", namespace="shuup")),
]
EOF
cat > myshop/settings.py <<'EOF'
"""A Shuup project (Shuup's base settings) with shuup_mailchimp added as the README says."""
import os

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("SHUUP_WORKBENCH_BASE_DIR", os.path.join(HERE, "base"))
from shuup_workbench.settings.base_settings import *  # noqa: E402,F401,F403
from shuup_workbench.settings.base_settings import INSTALLED_APPS as SHUUP_APPS  # noqa: E402

INSTALLED_APPS = list(SHUUP_APPS) + ["shuup_mailchimp"]
ROOT_URLCONF = "myshop.urls"
DATABASES = {"default": {"ENGINE": "shuup_mailchimp.sqlite", "NAME": os.path.join(HERE, "db.sqlite3"),
                         "OPTIONS": {"timeout": 60}}}  # the README: SQLite beside the background thread
DEBUG = False
SECRET_KEY = "install-check-not-secret"
MIRAGE_SECRET_KEY = "install-check-mirage-key-of-32-chars-or-more"  # encrypts the API keys at rest
SILENCED_SYSTEM_CHECKS = ["2_0.W001"]
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "INFO"}}

SHUUP_MAILCHIMP_API_URL = os.environ["SHUUP_MAILCHIMP_API_URL"]  # the emulator here; unset = the real Mailchimp
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or None
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
CELERY_TASK_IGNORE_RESULT = True
SHUUP_MAILCHIMP_SLOTS_REDIS_URL = CELERY_BROKER_URL
EOF

step "4. the emulator"
"$PY" -m shuup_mailchimp.testing.emulator --port 0 --list "Install check" --list-id "$AUDIENCE" \
  --state-file "$WORK/emulator-state.json" > "$WORK/emulator.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q '^ready url=' "$WORK/emulator.log" && break; sleep 0.1; done
EMU="$(sed -n 's/^ready url=//p' "$WORK/emulator.log")"
[ -n "$EMU" ] || { cat "$WORK/emulator.log"; exit 1; }
export SHUUP_MAILCHIMP_API_URL="$EMU/3.0/"
echo "emulator at $EMU"

step "5. manage.py check and migrate (Shuup's migrations: the slow part)"
"$PY" manage.py check
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py shell -c "
from shuup.testing import factories
shop = factories.get_default_shop(); shop.domain = 'install-check.example-shop.com'; shop.save()
print('shop', shop.pk)"

step "6. configure, check, initialize (management commands)"
"$PY" manage.py mailchimp_configure --shop 1 --api-key "$KEY" --audience "$AUDIENCE" --enable
"$PY" manage.py mailchimp_check --shop 1
"$PY" manage.py mailchimp_init --shop 1

sync_one() {  # $1: email; the contact is saved as a shop would, then we wait for the worker to send it
  "$PY" manage.py shell -c "
import time
from shuup.core.models import PersonContact, Shop
from shuup_mailchimp.enums import SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.app_settings import app_settings
contact = PersonContact.objects.create(first_name='Install', last_name='Check', email='$1', marketing_permission=True)
contact.add_to_shop(Shop.objects.get(pk=1))
print('dispatch:', app_settings.DISPATCH)
for _ in range(150):
    item = MailchimpSyncItem.objects.filter(object_id=contact.pk, kind='contact').first()
    if item and item.status == SyncStatus.SYNCED:
        print('synced', item.kind, item.object_id)
        break
    time.sleep(0.2)
else:
    raise SystemExit('not synced: %s' % (item and (item.status, item.last_error_title, item.last_error_detail)))
"
  curl -fsS "$EMU/_emulator/state" | "$PY" -c "
import json, sys
members = json.load(sys.stdin)['lists']['$AUDIENCE']['members'].values()
assert any(m['email_address'] == '$1' and m['status'] == 'subscribed' for m in members), 'not in the emulator'
print('in Mailchimp (the emulator): $1 subscribed')"
}

step "7. one contact, no broker: the background thread sends it"
unset CELERY_BROKER_URL
sync_one "no-broker@mailbox.org"

step "8. one contact through Celery on Redis"
if "$PY" -c "import redis, sys; redis.Redis.from_url('$REDIS_URL').ping()" 2>/dev/null; then
  export CELERY_BROKER_URL="$REDIS_URL"
  "$WORK/venv/bin/celery" -A myshop worker -B -s "$WORK/celerybeat-schedule" -l info --pool solo > "$WORK/worker.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 150); do grep -q "ready\." "$WORK/worker.log" && break; sleep 0.2; done
  sync_one "with-broker@mailbox.org"
  grep -q "shuup_mailchimp.process_due" "$WORK/worker.log" || { echo "the worker ran no task"; tail -30 "$WORK/worker.log"; exit 1; }
  if grep -q "with-broker@mailbox.org" "$WORK/worker.log"; then
    echo "the worker log carries the customer's email (mailchimp3 payload logging)"; exit 1
  fi
  echo "worker log: the task ran, no customer email in it"
else
  echo "SKIPPED: no Redis at $REDIS_URL (set INSTALL_CHECK_REDIS_URL)"
fi

step "install check passed"

"""A shop's Mailchimp health, in words: the first thing its dashboard, the grid and the Shuup
dashboard block say.

Read from three places, never from Mailchimp itself (a page view makes no API call):

- the settings row (configured? enabled? store initialized?);
- the call log (the last successful call, and the failed calls since: "unreachable since 10:42");
- the outbox (failed items, items waiting for their next attempt, items due now).
"""
from dataclasses import dataclass, field
from datetime import timedelta
from typing import List, Optional

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import ugettext as _

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpLogEntry, MailchimpShopSettings, MailchimpSyncItem
from shuup_mailchimp.sync.outbox import status_counts, waiting

from .explain import explain

#: Log rows of API calls (process rows have no method).
CALLS = ~Q(method="")
#: Failed calls that say something about the connection itself: Mailchimp unreachable or failing
#: (no status, 429, 5xx) or refusing the key (401/403). A 400 or 404 is about one object: it shows on
#: that object's item, not as the shop's health.
CONNECTION_FAILURES = Q(status_code__isnull=True) | Q(status_code__in=[401, 403, 408, 429]) | Q(status_code__gte=500)
WRITES = Q(method__in=["POST", "PUT", "PATCH", "DELETE"])

OK, INFO, WARNING, DANGER = "success", "info", "warning", "danger"


@dataclass
class Line:
    level: str  #: success / info / warning / danger (Bootstrap's alert classes)
    text: str
    link: str = ""  #: "failed", "waiting", "settings", "initialize": which link the template adds


@dataclass
class ShopHealth:
    shop: object
    settings: Optional[MailchimpShopSettings]
    counts: dict
    failed: int
    pending: int
    processing: int
    synced: int
    waiting: int
    next_attempt_at: Optional[object]
    last_success_at: Optional[object]
    last_call_error: Optional[MailchimpLogEntry]
    failing_since: Optional[object]
    last_synced_at: Optional[object]
    #: The latest failed call of any kind (a 400 about one object too), for the grid's "last error".
    last_error: Optional[MailchimpLogEntry] = None
    #: The latest drift check (weekly beat or mailchimp_reconcile) when it found differences or failed.
    drift_check: Optional[MailchimpLogEntry] = None
    lines: List[Line] = field(default_factory=list)

    @property
    def last_error_text(self):
        error = self.last_error
        if error is None:
            return ""
        return explain(error.status_code, error.error_title, error.error_detail).one_line()

    @property
    def configured(self):
        return bool(self.settings and self.settings.is_configured)

    @property
    def enabled(self):
        return bool(self.settings and self.settings.enabled)

    @property
    def initialized(self):
        return bool(self.settings and self.settings.is_initialized)

    @property
    def level(self):
        order = [DANGER, WARNING, INFO, OK]
        return min((line.level for line in self.lines), key=order.index) if self.lines else OK

    @property
    def headline(self):
        return self.lines[0].text if self.lines else ""

    @property
    def connected(self):
        """The last call we made to Mailchimp succeeded."""
        return bool(self.last_success_at and not self.failing_since)


def _fmt(when):
    """"10:42" today, else the date and time in the user's locale."""
    from babel.dates import format_datetime
    from shuup.utils.i18n import get_current_babel_locale

    local = timezone.localtime(when)
    if local.date() == timezone.localtime(timezone.now()).date():
        return local.strftime("%H:%M")
    return format_datetime(local, format="short", locale=get_current_babel_locale())


def shop_health(shop) -> ShopHealth:
    shop_settings = MailchimpShopSettings.objects.filter(shop=shop).first()
    counts = status_counts(shop.pk)
    by_status = {status: sum(n for (_k, s), n in counts.items() if s == status) for status in SyncStatus}
    waiting_count, next_attempt_at = waiting(shop.pk)
    calls = MailchimpLogEntry.objects.filter(CALLS, shop=shop)
    last_success_at = calls.filter(success=True).aggregate(at=Max("created_on"))["at"]
    errors_since = calls.filter(CONNECTION_FAILURES, success=False)
    if last_success_at:
        errors_since = errors_since.filter(created_on__gt=last_success_at)
    last_call_error = errors_since.order_by("-created_on", "-pk").first()
    failing_since = errors_since.order_by("created_on", "pk").values_list("created_on", flat=True).first()
    last_synced_at = MailchimpSyncItem.objects.filter(shop=shop).aggregate(at=Max("synced_on"))["at"]
    health = ShopHealth(
        shop=shop, settings=shop_settings, counts=counts, failed=by_status[SyncStatus.FAILED],
        pending=by_status[SyncStatus.PENDING], processing=by_status[SyncStatus.PROCESSING],
        synced=by_status[SyncStatus.SYNCED], waiting=waiting_count, next_attempt_at=next_attempt_at,
        last_success_at=last_success_at, last_call_error=last_call_error, failing_since=failing_since,
        last_synced_at=last_synced_at,
        last_error=calls.filter(success=False).order_by("-created_on", "-pk").first(),
    )
    last_check = MailchimpLogEntry.objects.filter(shop=shop, operation="reconcile", method="").order_by(
        "-created_on", "-pk").first()
    if last_check is not None and not last_check.success:  # a repair run, or a clean check, clears it
        health.drift_check = last_check
    health.lines = _lines(health)
    return health


def _lines(h: ShopHealth) -> List[Line]:
    lines = []
    if not h.configured:
        return [Line(INFO, _("Not connected yet: enter the Mailchimp API key and audience of this shop."), "settings")]
    if not h.enabled:
        lines.append(Line(WARNING, _("Syncing is switched off for this shop: nothing is sent to Mailchimp."),
                          "settings"))
    elif not h.initialized:
        lines.append(Line(WARNING, _("The store is not initialized in Mailchimp yet: press Initialize store."),
                          "initialize"))
    error = h.last_call_error
    if error is not None:
        explained = explain(error.status_code, error.error_title, error.error_detail)
        since = _fmt(h.failing_since)
        if explained.retried and not error.status_code:
            text = _("Mailchimp unreachable since %(since)s: %(reason)s") % {
                "since": since, "reason": explained.headline}
        elif explained.retried:
            text = _("Mailchimp calls failing since %(since)s: %(reason)s") % {
                "since": since, "reason": explained.one_line()}
        else:
            text = _("Mailchimp has refused calls since %(since)s: %(reason)s") % {
                "since": since, "reason": explained.one_line()}
        if h.waiting:
            text += " " + _("%(n)d item(s) waiting, next attempt at %(at)s.") % {
                "n": h.waiting, "at": _fmt(h.next_attempt_at)}
        lines.append(Line(DANGER, text, "waiting" if h.waiting else ""))
    elif h.waiting:
        lines.append(Line(WARNING, _("%(n)d item(s) wait for their next attempt after a Mailchimp error; the next "
                                     "attempt is at %(at)s.") % {"n": h.waiting, "at": _fmt(h.next_attempt_at)},
                          "waiting"))
    if h.failed:
        lines.append(Line(DANGER, _("%(n)d item(s) failed: see why.") % {"n": h.failed}, "failed"))
    if h.drift_check is not None:
        if h.drift_check.error_title:
            text = _("The drift check of %(at)s could not be made: %(reason)s") % {
                "at": _fmt(h.drift_check.created_on), "reason": h.drift_check.error_title}
        else:
            text = _("The drift check of %(at)s found differences between Mailchimp and Shuup: see the log, and "
                     "repair them with python manage.py mailchimp_reconcile --shop %(shop)d --repair.") % {
                "at": _fmt(h.drift_check.created_on), "shop": h.shop.pk}
        lines.append(Line(WARNING, text))
    due = h.pending + h.processing - h.waiting
    if due > 0 and h.enabled:
        lines.append(Line(INFO, _("%(n)d item(s) are being sent.") % {"n": due}))
    if not lines:
        if h.last_success_at:
            text = _("Connected: the last call to Mailchimp succeeded at %(at)s; everything is synced.") % {
                "at": _fmt(h.last_success_at)}
        else:
            text = _("Connected settings saved; no call to Mailchimp yet. Check the connection.")
        lines.append(Line(OK, text))
    elif h.connected and lines[0].level != DANGER:
        lines.insert(0, Line(OK, _("Connected: the last call to Mailchimp succeeded at %(at)s.") % {
            "at": _fmt(h.last_success_at)}))
    lines.sort(key=lambda line: [DANGER, WARNING, INFO, OK].index(line.level))
    return lines


def count_rows(counts):
    """[(kind, [(status, count)], total)] for every kind, zeros included."""
    rows = []
    for kind in SyncKind:
        cells = [(status, counts.get((kind, status), 0)) for status in SyncStatus]
        rows.append((kind, cells, sum(n for _s, n in cells)))
    return rows


def activity(shop, days=14):
    """(labels, sent per day, failed per day, webhooks received per day) over the last ``days`` days:
    API writes from the call log, webhooks from their raw rows."""
    today = timezone.localtime(timezone.now()).date()
    start = today - timedelta(days=days - 1)
    since = timezone.now() - timedelta(days=days)
    rows = (
        MailchimpLogEntry.objects.filter(WRITES, shop=shop, created_on__gte=since)
        .annotate(day=TruncDate("created_on"))
        .values_list("day", "success").annotate(n=Count("pk")).order_by()
    )
    sent, failed = {}, {}
    for day, success, n in rows:
        (sent if success else failed)[day] = (sent if success else failed).get(day, 0) + n
    received = {}
    try:
        from shuup_mailchimp.models import MailchimpWebhookEvent
    except ImportError:  # an installation without webhooks
        MailchimpWebhookEvent = None
    if MailchimpWebhookEvent is not None:
        hooks = (MailchimpWebhookEvent.objects.filter(shop=shop, received_on__gte=since)
                 .annotate(day=TruncDate("received_on")).values_list("day").annotate(n=Count("pk")).order_by())
        received = dict(hooks)
    days_list = [start + timedelta(days=i) for i in range(days)]
    labels = [d.strftime("%d.%m.") for d in days_list]
    return (labels, [sent.get(d, 0) for d in days_list], [failed.get(d, 0) for d in days_list],
            [received.get(d, 0) for d in days_list])


def latest_errors(shop, limit=10):
    """The failed items first, then items waiting after an error; newest first."""
    items = MailchimpSyncItem.objects.filter(shop=shop).exclude(last_error_title="", last_error_detail="")
    failed = list(items.filter(status=SyncStatus.FAILED).order_by("-modified_on", "-pk")[:limit])
    if len(failed) < limit:
        failed += list(items.filter(status=SyncStatus.PENDING).order_by("-modified_on", "-pk")[:limit - len(failed)])
    return failed


def last_sent_at(item):
    """When a change of this item's object was last written to Mailchimp (from the call log)."""
    return (
        MailchimpLogEntry.objects.filter(WRITES, shop_id=item.shop_id, object_kind=item.kind.value,
                                         object_id=item.object_id, success=True)
        .order_by("-created_on").values_list("created_on", flat=True).first()
    )

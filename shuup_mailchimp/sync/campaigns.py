"""Campaigns: the audience's campaigns and reports imported into Shuup, and the campaign an order
came from sent with the order.

Import (:func:`import_campaigns`; ``mailchimp_import_campaigns`` and the daily Celery task):

- ``GET /campaigns?list_id=…`` page by page (``count``/``offset``, ``fields=`` only what we keep),
  every status (drafts and scheduled ones have no report yet), optionally ``since_send_time``;
- then ``GET /reports/{id}`` (``fields=`` again) for the sent and sending campaigns whose report is
  not final. A report keeps changing while the campaign sends and for days after (late opens,
  clicks, orders), so it is read at every import until the campaign was sent more than
  ``SHUUP_MAILCHIMP_CAMPAIGN_REPORT_DAYS`` days ago; that read is its last (``report_final``);
- one :class:`~shuup_mailchimp.models.MailchimpCampaign` row per (shop, campaign), updated in place.
  Shops sharing an audience each keep their own rows.

Orders (:func:`without_refused_campaign`, :func:`send_order`): an order whose visit came from a
campaign email is sent with ``campaign_id`` and ``landing_site`` (``attribution.py``), so
Mailchimp's own reports credit the campaign. A campaign Mailchimp does not know (deleted, from
another account, a forged link) must not cost the order: refused with it, the order is sent once
more without it, the refusal is logged, and its item remembers not to send that id again.
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Dict, List, Optional, Tuple

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.call_log import log_process
from shuup_mailchimp.client import campaigns as api
from shuup_mailchimp.exceptions import MailchimpError
from shuup_mailchimp.models import MailchimpCampaign, MailchimpOrderAttribution

logger = logging.getLogger("shuup_mailchimp")

#: Statuses whose campaigns have a report.
REPORTED = ("sent", "sending")


@dataclass
class ImportSummary:
    campaigns: int = 0
    created: int = 0
    updated: int = 0
    reports: int = 0
    final: int = 0
    errors: List[str] = field(default_factory=list)

    def __str__(self):
        text = "%d campaign(s) read (%d new, %d updated), %d report(s) read (%d now final)" % (
            self.campaigns, self.created, self.updated, self.reports, self.final)
        if self.errors:
            text += "; %d error(s): %s" % (len(self.errors), "; ".join(self.errors[:5]))
        return text


def _when(value) -> Optional[datetime]:
    if not value:
        return None
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.utc)
    return moment


def _decimal(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def campaign_values(data: dict) -> dict:
    """Model fields from a campaign as ``GET /campaigns`` gives it."""
    settings = data.get("settings") or {}
    return dict(
        web_id=data.get("web_id") or None,
        list_id=(data.get("recipients") or {}).get("list_id") or "",
        title=(settings.get("title") or "")[:255],
        subject=(settings.get("subject_line") or "")[:255],
        type=(data.get("type") or "")[:32],
        status=(data.get("status") or "")[:32],
        send_time=_when(data.get("send_time")),
        emails_sent=int(data.get("emails_sent") or 0),
    )


def report_values(report: dict) -> dict:
    """Model fields from ``GET /reports/{id}``."""
    opens, clicks = report.get("opens") or {}, report.get("clicks") or {}
    bounces, ecommerce = report.get("bounces") or {}, report.get("ecommerce") or {}
    return dict(
        emails_sent=int(report.get("emails_sent") or 0),
        opens=int(opens.get("opens_total") or 0),
        unique_opens=int(opens.get("unique_opens") or 0),
        open_rate=float(opens.get("open_rate") or 0),
        clicks=int(clicks.get("clicks_total") or 0),
        unique_clicks=int(clicks.get("unique_clicks") or clicks.get("unique_subscriber_clicks") or 0),
        click_rate=float(clicks.get("click_rate") or 0),
        unsubscribes=int(report.get("unsubscribed") or 0),
        hard_bounces=int(bounces.get("hard_bounces") or 0),
        soft_bounces=int(bounces.get("soft_bounces") or 0),
        abuse_reports=int(report.get("abuse_reports") or 0),
        orders=int(ecommerce.get("total_orders") or 0),
        revenue=_decimal(ecommerce.get("total_revenue")),
        total_spent=_decimal(ecommerce.get("total_spent")),
        currency=(ecommerce.get("currency_code") or "")[:3],
    )


def import_campaigns(shop_settings, client=None, since: Optional[datetime] = None, refresh_all: bool = False,
                     now: Optional[datetime] = None) -> ImportSummary:
    """Read the audience's campaigns (and the reports still changing) into the shop's rows.

    ``since``: only campaigns sent since then (``since_send_time``). ``refresh_all``: read final
    reports again too. Raises when the campaigns cannot be listed; a report that cannot be read is
    an error in the summary (the next import reads it again).
    """
    from shuup_mailchimp.client import client_for

    if not shop_settings.is_configured:
        from shuup_mailchimp.exceptions import MailchimpConfigurationError

        raise MailchimpConfigurationError("Shop %s has no Mailchimp API key or audience." % shop_settings.shop_id)
    client = client or client_for(shop_settings)
    now = now or timezone.now()
    summary = ImportSummary()
    shop_id = shop_settings.shop_id
    seen = []
    with client.about(object_kind="campaign"):
        for data in api.iter_campaigns(client, shop_settings.audience_id,
                                       since=since.isoformat() if since else None):
            summary.campaigns += 1
            values = campaign_values(data)
            _row, created = MailchimpCampaign.objects.update_or_create(
                shop_id=shop_id, campaign_id=str(data["id"])[:50], defaults=values)
            summary.created += created
            summary.updated += not created
            seen.append(str(data["id"]))
        due = MailchimpCampaign.objects.filter(shop_id=shop_id, status__in=REPORTED)
        if not refresh_all:
            due = due.filter(report_final=False)
        if since is not None:
            due = due.filter(Q(campaign_id__in=seen) | Q(report_final=False))
        stable_before = now - timedelta(days=app_settings.CAMPAIGN_REPORT_DAYS)
        for row in due.order_by("send_time", "pk"):
            try:
                report = api.get_report(client, row.campaign_id)
            except MailchimpError as exc:
                summary.errors.append("%s: %s" % (row.campaign_id, exc.describe()))
                continue
            summary.reports += 1
            values = report_values(report) if report else {}
            final = row.status == "sent" and row.send_time is not None and row.send_time < stable_before
            values.update(report_fetched_on=now, report_final=final)
            summary.final += final and not row.report_final
            MailchimpCampaign.objects.filter(pk=row.pk).update(**values)
    log_process(shop_id, "import_campaigns", "Campaign import: %s." % summary, success=not summary.errors)
    return summary


def import_for_active_shops() -> Dict[int, str]:
    """The daily task: every enabled shop, each on its own (one failing does not stop the others)."""
    from shuup_mailchimp.models import MailchimpShopSettings

    results = {}
    for shop_settings in MailchimpShopSettings.objects.active():
        try:
            results[shop_settings.shop_id] = str(import_campaigns(shop_settings))
        except Exception as exc:  # logged and reported; the next day's run tries again
            logger.exception("Campaign import of shop %s failed", shop_settings.shop_id)
            describe = getattr(exc, "describe", None)
            message = describe() if describe else "%s: %s" % (type(exc).__name__, exc)
            log_process(shop_settings.shop_id, "import_campaigns", "Campaign import failed: %s" % message,
                        success=False, error=exc if isinstance(exc, MailchimpError) else None)
            results[shop_settings.shop_id] = "failed: %s" % message
    return results


# Shop-side numbers -----------------------------------------------------------------------------------

def shop_revenue(shop_id: int, campaign_ids=None) -> Dict[str, Tuple[int, Decimal]]:
    """{campaign id: (orders, revenue)} from the shop's attributed orders, not cancelled.

    Revenue as Mailchimp counts it: the order total without shipping and tax (taxless total minus
    the taxless shipping lines), so the two figures compare.
    """
    from shuup.core.models import OrderLineType, OrderStatusRole

    qs = MailchimpOrderAttribution.objects.filter(shop_id=shop_id).exclude(
        order__status__role=OrderStatusRole.CANCELED).select_related("order")
    if campaign_ids is not None:
        qs = qs.filter(campaign_id__in=list(campaign_ids))
    out: Dict[str, Tuple[int, Decimal]] = {}
    for attribution in qs.prefetch_related("order__lines"):
        order = attribution.order
        shipping = sum((line.taxless_price.value for line in order.lines.all()
                        if line.type == OrderLineType.SHIPPING), Decimal(0))
        count, total = out.get(attribution.campaign_id, (0, Decimal(0)))
        out[attribution.campaign_id] = (count + 1, total + order.taxless_total_price.value - shipping)
    return {cid: (n, total.quantize(Decimal("0.01"))) for cid, (n, total) in out.items()}


# Orders --------------------------------------------------------------------------------------------

def without_refused_campaign(body: dict, state: Optional[dict]) -> dict:
    """The order body without a ``campaign_id`` Mailchimp refused before for this order."""
    refused = (state or {}).get("campaign_refused")
    if refused and body.get("campaign_id") == refused:
        return {k: v for k, v in body.items() if k != "campaign_id"}
    return body


def send_order(send: Callable[[dict], None], body: dict, shop_id: int, order_id: int) -> Optional[str]:
    """``send(body)``; when Mailchimp refuses an order that names a campaign (400), send it once more
    without the campaign. Returns the campaign id dropped (to remember), or None.

    Mailchimp's exact answer to an unknown ``campaign_id`` is not documented, so any 400 on an order
    with a campaign gets the second try; if that fails too, the campaign was not the (only) reason
    and the second error is the item's.
    """
    try:
        send(body)
        return None
    except MailchimpError as exc:
        campaign_id = body.get("campaign_id")
        if not campaign_id or exc.status != 400:
            raise
        first = exc
    send({k: v for k, v in body.items() if k != "campaign_id"})
    message = ("Order %s was refused with campaign_id %s (%s); sent without it, so Mailchimp's reports "
               "do not credit that campaign." % (order_id, campaign_id, first.describe()))
    logger.warning("Mailchimp: %s", message)
    log_process(shop_id, "order_campaign_refused", message, success=False, error=first, object_kind="order",
                object_id=order_id)
    return campaign_id

"""A shop's Mailchimp campaigns: a sortable table, charts over time, and *Import campaigns*."""
import json
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseRedirect
from django.utils.translation import ugettext as _
from django.utils.translation import ugettext_lazy
from django.views.generic import TemplateView, View
from shuup.admin.dashboard.charts import BarChart, ChartDataType, ChartType, MixedChart

from shuup_mailchimp.admin_module.campaign_views.base import (
    CurrentShopRedirect,
    ShopPageMixin,
    dashboard_url,
    settings_url,
    shop_url,
)
from shuup_mailchimp.exceptions import MailchimpError
from shuup_mailchimp.models import MailchimpCampaign
from shuup_mailchimp.sync.campaigns import REPORTED, import_campaigns, shop_revenue

MIDDLEWARE = "shuup_mailchimp.attribution.MailchimpAttributionMiddleware"
#: The table's sortable columns: (key, heading, numeric). Orders sort too (``?sort=orders``), shown
#: under the revenue; the status is shown under the title.
COLUMNS = [
    ("title", ugettext_lazy("Campaign"), False),
    ("send_time", ugettext_lazy("Sent"), False),
    ("emails_sent", ugettext_lazy("Emails sent"), True),
    ("open_rate", ugettext_lazy("Open rate"), True),
    ("click_rate", ugettext_lazy("Click rate"), True),
    ("unsubscribes", ugettext_lazy("Unsubscribes"), True),
    ("bounces", ugettext_lazy("Bounces"), True),
    ("abuse_reports", ugettext_lazy("Abuse reports"), True),
    ("revenue", ugettext_lazy("Revenue (Mailchimp)"), True),
    ("shop_revenue", ugettext_lazy("Revenue (shop)"), True),
]
SORT_KEYS = {k for k, _h, _n in COLUMNS} | {"status", "orders", "shop_orders"}
#: Campaigns on the charts: the most recent sent ones.
CHART_CAMPAIGNS = 30


class CampaignsHomeView(CurrentShopRedirect):
    page = "shuup_mailchimp.campaigns"


def campaign_rows(shop):
    """The shop's campaigns as dicts, with the shop's own orders and revenue per campaign beside Mailchimp's."""
    campaigns = list(MailchimpCampaign.objects.filter(shop=shop))
    ours = shop_revenue(shop.pk, [c.campaign_id for c in campaigns])
    rows = []
    for c in campaigns:
        shop_orders, revenue = ours.get(c.campaign_id, (0, Decimal(0)))
        rows.append({
            "campaign": c, "title": c.title or c.subject or c.campaign_id, "send_time": c.send_time,
            "status": c.status, "emails_sent": c.emails_sent, "open_rate": c.open_rate, "click_rate": c.click_rate,
            "unsubscribes": c.unsubscribes, "bounces": c.bounces, "abuse_reports": c.abuse_reports,
            "orders": c.orders, "revenue": c.revenue, "shop_orders": shop_orders, "shop_revenue": revenue,
            "reported": c.status in REPORTED,
        })
    return rows


def sort_rows(rows, key, descending):
    """Sorted by a column; empty values (a draft's send time) always last."""
    if key not in SORT_KEYS:
        key, descending = "send_time", True
    present = [r for r in rows if r[key] not in (None, "")]
    absent = [r for r in rows if r[key] in (None, "")]
    present.sort(key=lambda r: (r[key].lower() if isinstance(r[key], str) else r[key]), reverse=descending)
    return present + absent, key, descending


def charts(shop, rows):
    """Chart.js configs (Shuup's dashboard charts): rates and revenue of the latest sent campaigns."""
    sent = sorted((r for r in rows if r["reported"] and r["send_time"]), key=lambda r: r["send_time"])
    sent = sent[-CHART_CAMPAIGNS:]
    if not sent:
        return {}
    labels = ["%s %s" % (r["send_time"].strftime("%Y-%m-%d"), r["title"][:28]) for r in sent]
    # From zero: Chart.js otherwise starts the axis near the smallest value, and 1,255 beside 1,355
    # is drawn as a sliver beside a tower (seen on the demo's two campaigns).
    from_zero = {"scales": {"yAxes": [{"ticks": {"beginAtZero": True}}]}}
    rates = MixedChart(_("Open and click rate per campaign (%)"), labels, options=from_zero)
    rates.add_data(_("Open rate (%)"), [round(r["open_rate"] * 100, 1) for r in sent], ChartType.LINE)
    rates.add_data(_("Click rate (%)"), [round(r["click_rate"] * 100, 1) for r in sent], ChartType.LINE)
    revenue = BarChart(_("Revenue per campaign"), labels, data_type=ChartDataType.CURRENCY, currency=shop.currency,
                       options=from_zero)
    revenue.add_data(_("Revenue in Mailchimp's report"), [float(r["revenue"]) for r in sent], ChartType.BAR)
    revenue.add_data(_("Revenue of the shop's attributed orders"), [float(r["shop_revenue"]) for r in sent],
                     ChartType.BAR)
    return {"mailchimp-campaign-rates": json.dumps(rates.get_config(), default=str),
            "mailchimp-campaign-revenue": json.dumps(revenue.get_config(), default=str)}


class CampaignsView(ShopPageMixin, TemplateView):
    template_name = "shuup_mailchimp/admin/campaigns/campaigns.jinja"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shop = self.shop
        key = self.request.GET.get("sort", "send_time")
        descending = self.request.GET.get("dir", "desc") != "asc"
        rows, key, descending = sort_rows(campaign_rows(shop), key, descending)
        page_url = shop_url("shuup_mailchimp.campaigns", shop)
        columns = [{"key": k, "heading": heading, "numeric": numeric, "active": k == key,
                    "url": "%s?sort=%s&dir=%s" % (page_url, k, "asc" if (k == key and descending) else "desc"),
                    "arrow": ("fa-sort-desc" if descending else "fa-sort-asc") if k == key else "fa-sort"}
                   for k, heading, numeric in COLUMNS]
        configured = bool(self.shop_settings and self.shop_settings.is_configured)
        chart_configs = charts(shop, rows)
        last_import = max((r["campaign"].modified_on for r in rows), default=None)
        context.update(
            title=_("Mailchimp campaigns: %(shop)s") % {"shop": shop.name},
            shop=shop, shop_settings=self.shop_settings, configured=configured, rows=rows, columns=columns,
            chart_configs=chart_configs, sent_count=sum(1 for r in rows if r["reported"]),
            attribution_installed=MIDDLEWARE in getattr(settings, "MIDDLEWARE", []),
            attributed_orders=sum(r["shop_orders"] for r in rows), last_import=last_import,
            import_url=shop_url("shuup_mailchimp.campaigns.import", shop),
            segments_url=shop_url("shuup_mailchimp.segments", shop),
            settings_url=settings_url(shop), dashboard_url=dashboard_url(shop), middleware=MIDDLEWARE,
        )
        return context


class ImportCampaignsView(ShopPageMixin, View):
    """POST: import now (the daily task does the same). Back to the campaigns page with what happened."""

    def post(self, request, *args, **kwargs):
        back = HttpResponseRedirect(shop_url("shuup_mailchimp.campaigns", self.shop))
        if not (self.shop_settings and self.shop_settings.is_configured):
            messages.error(request, _("Enter the shop's Mailchimp API key and audience first."))
            return back
        try:
            summary = import_campaigns(self.shop_settings)
        except (MailchimpError, ImproperlyConfigured) as exc:
            describe = getattr(exc, "describe", None)
            messages.error(request, _("The import failed: %(error)s") % {"error": describe() if describe else exc})
            return back
        if summary.errors:
            messages.warning(request, _("Imported, but some reports could not be read: %(summary)s") % {
                "summary": summary})
        else:
            messages.success(request, _("Imported: %(summary)s.") % {"summary": summary})
        return back

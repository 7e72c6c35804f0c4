"""Shuup's reports framework (``provides["reports"]``): the shop's Mailchimp campaigns with their
numbers, to view or export (HTML, CSV, Excel, JSON, PDF) like any other shop report.

One row per campaign sent in the chosen date range: Mailchimp's report as last imported
(``mailchimp_import_campaigns`` / the daily task), and the shop's own orders and revenue from the
orders attributed to the campaign (a visit from its email, ``attribution.py``).
"""
from decimal import Decimal

from django.utils.translation import ugettext_lazy as _
from shuup.reports.report import ShuupReportBase

from shuup_mailchimp.models import MailchimpCampaign


def _percent(rate) -> str:
    return "%.1f %%" % (float(rate or 0) * 100)


class _Totals(dict):
    """The totals row. Shuup 3.1's HTML, PDF and JSON writers take ``get_totals()`` as one row (a dict);
    its CSV and Excel writers loop over it as a list of rows, and wrote one junk row per column key.
    A dict that iterates as the one row it is suits both."""

    def __iter__(self):
        yield dict(self.items())


class MailchimpCampaignReport(ShuupReportBase):
    identifier = "mailchimp_campaigns"
    title = _("Mailchimp campaigns")
    description = _("Campaigns sent to the shop's Mailchimp audience: emails sent, opens, clicks, unsubscribes, "
                    "bounces, abuse reports, and revenue as Mailchimp reports it beside the shop's attributed "
                    "orders. Import them first: Addons > Mailchimp campaigns > Import campaigns.")
    icon = "fa-envelope"
    filename_template = "mailchimp-campaigns-%(time)s"
    schema = [
        {"key": "send_time", "title": _("Sent")},
        {"key": "title", "title": _("Campaign")},
        {"key": "subject", "title": _("Subject line")},
        {"key": "type", "title": _("Type")},
        {"key": "status", "title": _("Status")},
        {"key": "emails_sent", "title": _("Emails sent")},
        {"key": "opens", "title": _("Opens")},
        {"key": "unique_opens", "title": _("Unique opens")},
        {"key": "open_rate", "title": _("Open rate")},
        {"key": "clicks", "title": _("Clicks")},
        {"key": "unique_clicks", "title": _("Unique clicks")},
        {"key": "click_rate", "title": _("Click rate")},
        {"key": "unsubscribes", "title": _("Unsubscribes")},
        {"key": "bounces", "title": _("Bounces")},
        {"key": "abuse_reports", "title": _("Abuse reports")},
        {"key": "orders", "title": _("Orders (Mailchimp)")},
        {"key": "revenue", "title": _("Revenue (Mailchimp)")},
        {"key": "shop_orders", "title": _("Orders (shop)")},
        {"key": "shop_revenue", "title": _("Revenue (shop)")},
    ]

    def get_objects(self):
        qs = MailchimpCampaign.objects.filter(send_time__isnull=False)
        if self.shop is not None:
            qs = qs.filter(shop=self.shop)
        if self.start_date is not None:
            qs = qs.filter(send_time__gte=self.start_date)
        if self.end_date is not None:
            qs = qs.filter(send_time__lte=self.end_date)
        return qs.order_by("send_time", "pk")[: self.queryset_row_limit]

    def get_data(self):
        from shuup_mailchimp.sync.campaigns import shop_revenue

        campaigns = list(self.get_objects())
        ours = {}
        for shop_id in {c.shop_id for c in campaigns}:
            ours.update({(shop_id, cid): value for cid, value in shop_revenue(
                shop_id, [c.campaign_id for c in campaigns if c.shop_id == shop_id]).items()})
        data = []
        for c in campaigns:
            shop_orders, revenue = ours.get((c.shop_id, c.campaign_id), (0, Decimal("0.00")))
            data.append({
                "send_time": c.send_time, "title": c.title or c.campaign_id, "subject": c.subject, "type": c.type,
                "status": c.status, "emails_sent": c.emails_sent, "opens": c.opens, "unique_opens": c.unique_opens,
                "open_rate": _percent(c.open_rate), "clicks": c.clicks, "unique_clicks": c.unique_clicks,
                "click_rate": _percent(c.click_rate), "unsubscribes": c.unsubscribes, "bounces": c.bounces,
                "abuse_reports": c.abuse_reports, "orders": c.orders, "revenue": c.revenue,
                "shop_orders": shop_orders, "shop_revenue": revenue,
            })
        return self.get_return_data(data, has_totals=True)

    def get_totals(self, data):
        return _Totals(super().get_totals(data))

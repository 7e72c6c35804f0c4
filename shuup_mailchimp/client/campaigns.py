"""Campaigns of an audience and their reports (read only)."""
from typing import Iterator, Optional

from shuup_mailchimp.client.base import MailchimpClient
from shuup_mailchimp.exceptions import MailchimpNotFoundError

#: What the import reads of a campaign and of a report (``fields=`` keeps the answers small).
CAMPAIGN_FIELDS = ("id", "web_id", "type", "status", "send_time", "emails_sent", "recipients.list_id",
                   "settings.subject_line", "settings.title")
REPORT_FIELDS = ("id", "emails_sent", "unsubscribed", "abuse_reports", "send_time", "bounces.hard_bounces",
                 "bounces.soft_bounces", "opens.opens_total", "opens.unique_opens", "opens.open_rate",
                 "clicks.clicks_total", "clicks.unique_clicks", "clicks.unique_subscriber_clicks",
                 "clicks.click_rate", "ecommerce.total_orders", "ecommerce.total_spent", "ecommerce.total_revenue",
                 "ecommerce.currency_code")


#: Campaigns per page (Mailchimp allows up to 1,000; with ``fields=`` a page stays small).
PAGE_SIZE = 1000


def iter_campaigns(client: MailchimpClient, audience_id: str, since: Optional[str] = None,
                   page_size: Optional[int] = None) -> Iterator[dict]:
    """The audience's campaigns, page by page (``count``/``offset``, oldest first so a campaign
    created meanwhile lands on a later page instead of shifting this one)."""
    offset, page_size = 0, page_size or PAGE_SIZE
    fields = ",".join(["campaigns.%s" % f for f in CAMPAIGN_FIELDS] + ["total_items"])
    while True:
        params = dict(list_id=audience_id, count=page_size, offset=offset, fields=fields, sort_field="create_time",
                      sort_dir="ASC")
        if since:
            params["since_send_time"] = since
        data = client.get("campaigns.all", "campaigns", **params)
        page = data.get("campaigns", [])
        yield from page
        offset += len(page)
        if not page or offset >= int(data.get("total_items") or 0):
            return


def get_report(client: MailchimpClient, campaign_id: str) -> Optional[dict]:
    """The campaign's report, or ``None`` when Mailchimp has none (not sent, or deleted)."""
    try:
        return client.get("reports.get", "reports/%s" % campaign_id, fields=",".join(REPORT_FIELDS))
    except MailchimpNotFoundError:
        return None


def campaign_exists(client: MailchimpClient, campaign_id: str) -> bool:
    try:
        client.get("campaigns.get", "campaigns/%s" % campaign_id, fields="id")
    except MailchimpNotFoundError:
        return False
    return True

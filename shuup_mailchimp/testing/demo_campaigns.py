"""The demo's campaigns, attributed orders and a tag, so the campaigns and tags pages are filled.

:func:`seed_demo_campaigns` (called by ``mailchimp_demo`` once the shop is synced):

1. seeds two sent campaigns with reports into the demo's emulator (``POST /_emulator/campaigns``;
   skipped when they are there already, or when the API is not the emulator);
2. attributes a few of the demo's orders to each, as if their buyers had come from the email
   (``MailchimpOrderAttribution``, what the front middleware stores), and sends those orders again
   so Mailchimp's report credits the campaign;
3. keeps the first demo contact group with members as a Mailchimp tag;
4. sends what that queued, and imports the campaigns with their reports.
"""
import json
import urllib.error
import urllib.request
from datetime import timedelta

from django.utils import timezone

#: (id, title, subject, days ago, unique open rate, unique click rate, bounces, orders attributed)
DEMO_CAMPAIGNS = [
    ("d3m0c4mp01", "Spring sale", "Spring sale: 20 % off everything", 12, 0.41, 0.14, 4, 4),
    ("d3m0c4mp02", "New arrivals", "New in the shop this week", 3, 0.33, 0.08, 2, 3),
]


def _call(method, url, body=None):
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read().decode("utf-8") or "null")
    except (urllib.error.URLError, ValueError, OSError):
        return None


def emulator_root(api_url: str) -> str:
    """``http://127.0.0.1:8765`` from ``http://127.0.0.1:8765/3.0/``."""
    return api_url.rstrip("/").rsplit("/3.0", 1)[0]


def seed_demo_campaigns(shop, api_url: str, stdout=None) -> dict:
    """Seed, attribute, tag, send and import (see the module docstring). Returns what it did."""
    from shuup.core.models import ContactGroup, Order, OrderStatusRole

    from shuup_mailchimp.enums import SyncKind
    from shuup_mailchimp.models import MailchimpOrderAttribution, MailchimpShopSettings, MailchimpTaggedGroup
    from shuup_mailchimp.sync import outbox
    from shuup_mailchimp.sync.campaigns import import_campaigns
    from shuup_mailchimp.sync.processing import process_due
    from shuup_mailchimp.sync.segments import choose_groups

    write = (lambda line: stdout.write(line)) if stdout is not None else (lambda line: None)
    shop_settings = MailchimpShopSettings.for_shop(shop)
    root = emulator_root(api_url)
    state = _call("GET", root + "/_emulator/state")
    result = {"seeded": 0, "attributed": 0, "tag": "", "import": ""}
    if state is None:
        write("Campaigns: %s is not the emulator; no demo campaigns seeded." % api_url)
        return result
    now = timezone.now()
    sent = max(len((state.get("lists", {}).get(shop_settings.audience_id) or {}).get("members", {})), 50)
    for campaign_id, title, subject, days, open_rate, click_rate, bounces, _n in DEMO_CAMPAIGNS:
        if campaign_id in state.get("campaigns", {}):
            continue
        unique_opens, unique_clicks = round(sent * open_rate), round(sent * click_rate)
        _call("POST", root + "/_emulator/campaigns", {
            "list_id": shop_settings.audience_id, "id": campaign_id, "title": title, "subject_line": subject,
            "send_time": (now - timedelta(days=days)).replace(microsecond=0).isoformat(), "emails_sent": sent,
            "opens": round(unique_opens * 1.6), "unique_opens": unique_opens, "clicks": round(unique_clicks * 1.4),
            "subscriber_clicks": unique_clicks, "hard_bounces": bounces // 2, "soft_bounces": bounces - bounces // 2})
        result["seeded"] += 1

    keys = []
    taken = set(MailchimpOrderAttribution.objects.filter(shop=shop).values_list("order_id", flat=True))
    candidates = list(Order.objects.filter(shop=shop).exclude(status__role=OrderStatusRole.CANCELED)
                      .exclude(pk__in=taken).order_by("-pk").values_list("pk", flat=True)[:20])
    for campaign_id, _t, _s, days, *_rest, count in DEMO_CAMPAIGNS:
        if MailchimpOrderAttribution.objects.filter(shop=shop, campaign_id=campaign_id).exists():
            continue
        for order_id in candidates[:count]:
            MailchimpOrderAttribution.objects.create(
                order_id=order_id, shop=shop, campaign_id=campaign_id, email_id="demo%06d" % order_id,
                landing_site="https://%s/?mc_cid=%s" % (shop.domain or "shop.example.com", campaign_id),
                visited_on=now - timedelta(days=days))
            keys += outbox.record([shop.pk], SyncKind.ORDER, order_id)
            result["attributed"] += 1
        candidates = candidates[count:]

    if not MailchimpTaggedGroup.objects.filter(shop=shop).exists():
        group = next((g for g in ContactGroup.objects.filter(shop=shop).order_by("pk") if g.members.exists()), None)
        if group is not None:
            chosen = set(MailchimpTaggedGroup.objects.filter(shop=shop).values_list("group_id", flat=True))
            choose_groups(shop, chosen | {group.pk})
            result["tag"] = group.safe_translation_getter("name", any_language=True) or str(group.pk)
    process_due(shop_id=shop.pk, kinds=[SyncKind.ORDER, SyncKind.SEGMENT], log=False)
    summary = import_campaigns(shop_settings)
    result["import"] = str(summary)
    write("Campaigns: %d seeded in the emulator, %d orders attributed to them%s; import: %s.\n"
          "  In the admin: Addons > Mailchimp campaigns (/sa/mailchimp/shop/%d/campaigns/), Addons > Mailchimp tags, "
          "Reports > Mailchimp campaigns." % (
              result["seeded"], result["attributed"], ", tag %r kept" % result["tag"] if result["tag"] else "",
              summary, shop.pk))
    return result

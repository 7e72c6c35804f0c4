"""Account root, ping, campaigns and reports (read-only; campaigns are seeded by ``seed_campaign``).

A campaign's e-commerce numbers are rolled up live from the orders of every store whose
``campaign_id`` or ``outreach.id`` names it; revenue is the order total minus shipping and tax.
"""
import copy
from typing import Any, Dict, Tuple

from .http import collection, new_id, not_found, now_iso, public, subscriber_hash

SETTING_KEYS = ("subject_line", "title", "from_name", "reply_to", "preview_text")
REPORT_KEYS = ("opens", "unique_opens", "clicks", "subscriber_clicks", "abuse_reports", "hard_bounces",
               "soft_bounces")


def campaign_ecommerce(emu: Any, campaign_id: str) -> Dict[str, Any]:
    """Orders attributed to the campaign through ``campaign_id`` or ``outreach.id``."""
    orders, spent, revenue, currency = 0, 0.0, 0.0, ""
    for store in emu.stores.values():
        for order in store["orders"].values():
            if campaign_id in (order.get("campaign_id"), (order.get("outreach") or {}).get("id")):
                total = float(order.get("order_total") or 0)
                orders += 1
                spent += total
                revenue += total - float(order.get("shipping_total") or 0) - float(order.get("tax_total") or 0)
                currency = order.get("currency_code") or store.get("currency_code", "")
    return {"total_orders": orders, "total_spent": round(spent, 2), "total_revenue": round(revenue, 2),
            "currency_code": currency}


def seed(emu: Any, list_id: str, fields: Dict[str, Any]) -> Dict[str, Any]:
    """Store a sent campaign; ``fields`` may set settings keys, report counters and ``unsubscribed`` emails."""
    lst = emu.lists.get(list_id)
    if lst is None:
        raise not_found()
    fields = dict(fields)
    campaign_id = fields.pop("id", None) or new_id()
    settings = {"subject_line": "Our news", "title": "Newsletter", "from_name": lst["name"],
                "reply_to": "shop@shop.test", "preview_text": ""}
    settings.update({key: fields.pop(key) for key in SETTING_KEYS if key in fields})
    report = {key: int(fields.pop(key, 0)) for key in REPORT_KEYS}
    now = now_iso()
    unsubscribes = []
    for email in fields.pop("unsubscribed", []):
        unsubscribes.append({"email_address": email, "reason": "N/A (Unsubscribed from Mailchimp)", "timestamp": now})
        member = lst["members"].get(subscriber_hash(email))
        if member is not None:
            # Unsubscribed from the campaign's footer link: by the person (a compliance state).
            member.update({"status": "unsubscribed", "last_changed": now, "unsubscribed_by": "person"})
    recipients = sum(1 for m in lst["members"].values() if m["status"] == "subscribed") + len(unsubscribes)
    campaign = {"id": campaign_id, "web_id": emu.next_int(), "type": "regular", "create_time": now,
                "archive_url": f"http://eepurl.test/{campaign_id}", "status": "sent",
                "emails_sent": recipients, "send_time": now, "content_type": "template",
                "recipients": {"list_id": list_id, "list_is_active": True, "list_name": lst["name"],
                               "segment_text": "", "recipient_count": recipients},
                "settings": settings, "tracking": {"opens": True, "html_clicks": True, "ecomm360": True}}
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(campaign.get(key), dict):
            campaign[key].update(value)
        else:
            campaign[key] = value
    report["unsubscribes"] = unsubscribes
    campaign["report"] = report
    emu.campaigns[campaign_id] = campaign
    return render_campaign(emu, campaign)


def update(emu: Any, campaign_id: str, fields: Dict[str, Any]) -> Dict[str, Any]:
    """Change a seeded campaign as time would: its ``status``, ``send_time``, ``emails_sent``, settings
    keys, or report counters (e.g. more opens while it is still ``sending``)."""
    campaign = _campaign(emu, campaign_id)
    fields = dict(fields)
    for key in SETTING_KEYS:
        if key in fields:
            campaign["settings"][key] = fields.pop(key)
    for key in REPORT_KEYS:
        if key in fields:
            campaign["report"][key] = int(fields.pop(key))
    for key in ("status", "send_time", "emails_sent", "type"):
        if key in fields:
            campaign[key] = fields.pop(key)
    if fields:
        from .http import invalid_resource
        raise invalid_resource(errors=[{"field": k, "message": "Not a campaign field the emulator changes."}
                                       for k in sorted(fields)])
    return render_campaign(emu, campaign)


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0


def render_campaign(emu: Any, campaign: Dict[str, Any]) -> Dict[str, Any]:
    """The campaign with a live ``report_summary``."""
    result = public(campaign, ("report",))
    report, sent = campaign["report"], campaign["emails_sent"]
    ecommerce = campaign_ecommerce(emu, campaign["id"])
    ecommerce.pop("currency_code")
    result["report_summary"] = {
        "opens": report["opens"], "unique_opens": report["unique_opens"],
        "open_rate": _rate(report["unique_opens"], sent), "clicks": report["clicks"],
        "subscriber_clicks": report["subscriber_clicks"], "click_rate": _rate(report["subscriber_clicks"], sent),
        "ecommerce": ecommerce}
    return result


def render_report(emu: Any, campaign: Dict[str, Any]) -> Dict[str, Any]:
    """The campaign report (``GET /reports/{id}``)."""
    report, sent = campaign["report"], campaign["emails_sent"]
    return {
        "id": campaign["id"], "campaign_title": campaign["settings"]["title"], "type": campaign["type"],
        "list_id": campaign["recipients"]["list_id"], "list_is_active": True,
        "list_name": campaign["recipients"]["list_name"], "subject_line": campaign["settings"]["subject_line"],
        "preview_text": campaign["settings"].get("preview_text", ""), "emails_sent": sent,
        "abuse_reports": report["abuse_reports"], "unsubscribed": len(report["unsubscribes"]),
        "send_time": campaign["send_time"],
        "bounces": {"hard_bounces": report["hard_bounces"], "soft_bounces": report["soft_bounces"],
                    "syntax_errors": 0},
        "forwards": {"forwards_count": 0, "forwards_opens": 0},
        "opens": {"opens_total": report["opens"], "unique_opens": report["unique_opens"],
                  "open_rate": _rate(report["unique_opens"], sent), "last_open": campaign["send_time"]},
        "clicks": {"clicks_total": report["clicks"], "unique_clicks": report["subscriber_clicks"],
                   "unique_subscriber_clicks": report["subscriber_clicks"],
                   "click_rate": _rate(report["subscriber_clicks"], sent), "last_click": campaign["send_time"]},
        "list_stats": {"sub_rate": 0, "unsub_rate": 0, "open_rate": 0, "click_rate": 0},
        "ecommerce": campaign_ecommerce(emu, campaign["id"]), "timeseries": [], "_links": [],
    }


def _campaign(emu: Any, campaign_id: str) -> Dict[str, Any]:
    campaign = emu.campaigns.get(campaign_id)
    if campaign is None:
        raise not_found()
    return campaign


def ping(emu: Any, ctx: Any) -> Tuple[int, Any]:
    return 200, {"health_status": "Everything's Chimpy!"}


def account(emu: Any, ctx: Any) -> Tuple[int, Any]:
    subscribed = sum(1 for lst in emu.lists.values() for m in lst["members"].values() if m["status"] == "subscribed")
    return 200, {"account_id": "emulator0000000000000000", "login_id": "1", "account_name": "Emulated Account",
                 "email": "owner@shop.test", "first_name": "Emu", "last_name": "Lator", "username": "emulator",
                 "avatar_url": "", "role": "owner", "member_since": "2020-01-01T00:00:00+00:00",
                 "pricing_plan_type": "monthly", "account_timezone": "UTC", "account_industry": "eCommerce",
                 "contact": {"company": "Emulated Account", "addr1": "", "city": "", "state": "", "zip": "",
                             "country": "FI"}, "pro_enabled": False, "last_login": now_iso(),
                 "total_subscribers": subscribed, "industry_stats": {"open_rate": 0, "bounce_rate": 0,
                                                                     "click_rate": 0}, "_links": []}


def all_campaigns(emu: Any, ctx: Any) -> Tuple[int, Any]:
    items = [render_campaign(emu, c) for c in emu.campaigns.values()]
    for name, getter in (("status", lambda c: c["status"]), ("type", lambda c: c["type"]),
                         ("list_id", lambda c: c["recipients"]["list_id"])):
        if ctx.query.get(name):
            items = [c for c in items if getter(c) == ctx.query[name]]
    if ctx.query.get("since_send_time"):
        items = [c for c in items if c["send_time"] >= ctx.query["since_send_time"]]
    if ctx.query.get("before_send_time"):
        items = [c for c in items if c["send_time"] < ctx.query["before_send_time"]]
    if ctx.query.get("sort_field") in ("create_time", "send_time"):
        key = ctx.query["sort_field"]
        items.sort(key=lambda c: c.get(key) or "", reverse=ctx.query.get("sort_dir", "").upper() == "DESC")
    return 200, collection("campaigns", items, ctx.query)


def get_campaign(emu: Any, ctx: Any, campaign_id: str) -> Tuple[int, Any]:
    return 200, render_campaign(emu, _campaign(emu, campaign_id))


def all_reports(emu: Any, ctx: Any) -> Tuple[int, Any]:
    return 200, collection("reports", [render_report(emu, c) for c in emu.campaigns.values()], ctx.query)


def get_report(emu: Any, ctx: Any, campaign_id: str) -> Tuple[int, Any]:
    return 200, render_report(emu, _campaign(emu, campaign_id))


def report_unsubscribed(emu: Any, ctx: Any, campaign_id: str) -> Tuple[int, Any]:
    campaign = _campaign(emu, campaign_id)
    list_id = campaign["recipients"]["list_id"]
    items = [dict(copy.deepcopy(u), email_id=subscriber_hash(u["email_address"]), campaign_id=campaign_id,
                  list_id=list_id, list_is_active=True, merge_fields={}, vip=False)
             for u in campaign["report"]["unsubscribes"]]
    return 200, collection("unsubscribes", items, ctx.query, campaign_id=campaign_id)


def _empty_subreport(key: str) -> Any:
    def handler(emu: Any, ctx: Any, campaign_id: str) -> Tuple[int, Any]:
        _campaign(emu, campaign_id)
        return 200, collection(key, [], ctx.query, campaign_id=campaign_id)
    return handler


ROUTES = [
    ("GET", "", account), ("GET", "ping", ping),
    ("GET", "campaigns", all_campaigns), ("GET", "campaigns/{campaign_id}", get_campaign),
    ("GET", "reports", all_reports), ("GET", "reports/{campaign_id}", get_report),
    ("GET", "reports/{campaign_id}/unsubscribed", report_unsubscribed),
    ("GET", "reports/{campaign_id}/email-activity", _empty_subreport("emails")),
    ("GET", "reports/{campaign_id}/open-details", _empty_subreport("members")),
    ("GET", "reports/{campaign_id}/click-details", _empty_subreport("urls_clicked")),
    ("GET", "reports/{campaign_id}/sent-to", _empty_subreport("sent_to")),
]

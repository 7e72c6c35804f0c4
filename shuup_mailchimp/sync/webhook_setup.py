"""Where Mailchimp should send a shop's webhooks, and registering that URL on the audience.

The URL is ``SHUUP_MAILCHIMP_PUBLIC_URL`` (or ``https://<shop domain>``) + the shop's webhook
path, which carries the shop's secret token. Mailchimp must reach it from the internet:
a loopback, private or dot-less host is refused with an explanation instead of a failed call.
"""
import ipaddress
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.client import webhooks as api


class WebhookURLError(ValueError):
    """The shop has no URL Mailchimp could reach."""


def webhook_path(shop_settings) -> str:
    from django.urls import NoReverseMatch, reverse

    kwargs = {"shop_id": shop_settings.shop_id, "token": shop_settings.webhook_secret}
    for name in ("shuup:mailchimp_webhook", "shuup_mailchimp:mailchimp_webhook"):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return "/mailchimp/webhook/%(shop_id)s/%(token)s/" % kwargs


def public_base_url(shop_settings) -> Optional[str]:
    base = app_settings.PUBLIC_URL
    if base:
        return str(base).rstrip("/")
    domain = (shop_settings.shop.domain or "").strip()
    return "https://%s" % domain if domain else None


def webhook_url(shop_settings) -> Optional[str]:
    """The full URL of the shop's webhook, or None when no public base URL is known."""
    base = public_base_url(shop_settings)
    return base + webhook_path(shop_settings) if base else None


def why_unregistrable(url: Optional[str]) -> str:
    """"" when Mailchimp could call ``url``; otherwise what is wrong and what to do."""
    advice = ("Set SHUUP_MAILCHIMP_PUBLIC_URL to the shop's public address (e.g. https://shop.example.com), "
              "or give the shop a public domain.")
    if not url:
        return "No public address is known for this shop. " + advice
    host = urlsplit(url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost") or "." not in host:
            return "Mailchimp cannot reach %s (a local host name). %s" % (host, advice)
        return ""
    if address.is_loopback or address.is_private or address.is_link_local:
        return "Mailchimp cannot reach %s (a loopback or private address). %s" % (host, advice)
    return ""


@dataclass
class WebhookStatusReport:
    url: Optional[str]
    registered: bool
    problem: str = ""
    webhook_id: str = ""


def check(client, shop_settings) -> WebhookStatusReport:
    url = webhook_url(shop_settings)
    found = next((h for h in api.list_webhooks(client, shop_settings.audience_id) if h.get("url") == url), None)
    return WebhookStatusReport(url, found is not None, why_unregistrable(url), (found or {}).get("id", ""))


def register(client, shop_settings) -> WebhookStatusReport:
    """Create the audience webhook unless it exists. Raises ``WebhookURLError`` when it cannot be."""
    url = webhook_url(shop_settings)
    problem = why_unregistrable(url)
    if problem:
        raise WebhookURLError(problem)
    report = check(client, shop_settings)
    if not report.registered:
        report.webhook_id = api.create_webhook(client, shop_settings.audience_id, url).get("id", "")
        report.registered = True
    return report


def remove(client, shop_settings) -> int:
    """Delete this shop's webhook(s) from the audience (any token: also ones of an old secret)."""
    path_start = webhook_path(shop_settings).rsplit("/", 2)[0] + "/"
    removed = 0
    for hook in api.list_webhooks(client, shop_settings.audience_id):
        if path_start in str(hook.get("url", "")):
            api.delete_webhook(client, shop_settings.audience_id, hook["id"])
            removed += 1
    return removed

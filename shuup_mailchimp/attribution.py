"""Revenue attribution: the Mailchimp email a visitor came from, kept until they order.

Mailchimp adds ``mc_cid`` (the campaign) and ``mc_eid`` (the member's unique id) to the links of
campaign emails when e-commerce link tracking is on. :class:`MailchimpAttributionMiddleware` keeps
them, with the landing URL and the time, in the visitor's session (``SESSION_KEY``); when an order
is created (``order_creator_finished``) from a request whose session has a visit younger than
``SHUUP_MAILCHIMP_ATTRIBUTION_DAYS`` days, :func:`remember_order_campaign` stores it on the order
(:class:`~shuup_mailchimp.models.MailchimpOrderAttribution`). The order is then sent with
``campaign_id`` and ``landing_site`` (:func:`order_campaign_fields`, used by ``sync.payloads``), so
Mailchimp's own reports credit the campaign; the campaigns page shows the shop's figure beside it.

Install: add ``"shuup_mailchimp.attribution.MailchimpAttributionMiddleware"`` to ``MIDDLEWARE``
after ``SessionMiddleware``. Without it nothing is attributed; nothing else changes.
"""
import contextvars
import re
from datetime import timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shuup_mailchimp.app_settings import app_settings

SESSION_KEY = "shuup_mailchimp_visit"
#: Mailchimp's ids are short alphanumerics (a campaign id is 10 hex digits); anything else is not theirs.
_ID = re.compile(r"^[0-9A-Za-z_-]{1,50}$")

_current_request = contextvars.ContextVar("shuup_mailchimp_request", default=None)


def visit_from(request):
    """``{campaign_id, email_id, landing_site, at}`` when this request comes from a Mailchimp email, else None."""
    campaign_id = (request.GET.get("mc_cid") or "").strip()
    if not _ID.match(campaign_id):
        return None
    email_id = (request.GET.get("mc_eid") or "").strip()
    try:
        landing = request.build_absolute_uri()
    except Exception:  # a host Django refuses: keep the path
        landing = request.get_full_path()
    return {"campaign_id": campaign_id, "email_id": email_id if _ID.match(email_id) else "",
            "landing_site": landing[:1000], "at": timezone.now().isoformat()}


class MailchimpAttributionMiddleware:
    """Keep the Mailchimp campaign of the visit in the session; the latest email clicked wins."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and request.method == "GET" and "mc_cid" in request.GET:
            visit = visit_from(request)
            if visit is not None:
                session[SESSION_KEY] = visit
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def current_visit(request, now=None):
    """The session's visit from a Mailchimp email, if recent enough to credit an order."""
    session = getattr(request, "session", None)
    visit = session.get(SESSION_KEY) if session is not None else None
    if not isinstance(visit, dict) or not _ID.match(str(visit.get("campaign_id") or "")):
        return None
    at = parse_datetime(str(visit.get("at") or ""))
    if at is None:
        return None
    if (now or timezone.now()) - at > timedelta(days=app_settings.ATTRIBUTION_DAYS):
        return None
    return dict(visit, at=at)


def remember_order_campaign(sender, order, source=None, **kwargs):
    """``order_creator_finished``: store the visit's campaign on the new order (no Mailchimp call).

    Connected before the receiver that records the order's sync item, so the order's first send
    already carries the campaign.
    """
    from shuup_mailchimp.models import MailchimpOrderAttribution

    request = getattr(source, "request", None) or _current_request.get()
    visit = current_visit(request) if request is not None else None
    if visit is None:
        return
    MailchimpOrderAttribution.objects.update_or_create(order=order, defaults=dict(
        shop_id=order.shop_id, campaign_id=visit["campaign_id"], email_id=visit.get("email_id") or "",
        landing_site=visit.get("landing_site") or "", visited_on=visit["at"]))


def order_campaign_fields(order) -> dict:
    """``campaign_id`` and ``landing_site`` for the order's Mailchimp body ({} when not attributed).

    Reads the row loaded by ``select_related("mailchimp_attribution")`` when there is one, else
    asks the database (one query).
    """
    from shuup_mailchimp.models import MailchimpOrderAttribution

    cache = getattr(order._state, "fields_cache", {})
    if "mailchimp_attribution" in cache:
        row = cache["mailchimp_attribution"]
        found = (row.campaign_id, row.landing_site) if row is not None else None
    else:
        found = MailchimpOrderAttribution.objects.filter(order_id=order.pk).values_list(
            "campaign_id", "landing_site").first()
    if not found or not found[0]:
        return {}
    fields = {"campaign_id": found[0]}
    if found[1]:
        fields["landing_site"] = found[1]
    return fields

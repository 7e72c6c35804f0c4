"""The webhook endpoint: it only verifies and records (thin, like django-anymail's views).

``GET`` answers 200 (Mailchimp validates the URL when the webhook is created). ``POST`` checks
the per-shop secret token in the URL (Mailchimp does not sign webhooks; compared in constant
time), stores the raw form body *first*, parses it, schedules processing after commit and
answers 200 fast. A wrong shop or token is 404; a malformed payload is 400 with nothing applied
(the raw row is kept); a body over ``MAX_BODY_BYTES`` is 413.
"""
import hmac
import logging

from django.db import transaction
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from shuup_mailchimp.models import MailchimpShopSettings
from shuup_mailchimp.sync.inbound import MAX_BODY_BYTES, store


logger = logging.getLogger("shuup_mailchimp")


def _shop_settings(shop_id, token):
    """The shop's settings when ``token`` is its webhook secret, else None."""
    shop_settings = MailchimpShopSettings.objects.filter(shop_id=shop_id).first()
    if shop_settings is None or not shop_settings.webhook_secret:
        return None
    if not hmac.compare_digest(str(token).encode("utf-8"), shop_settings.webhook_secret.encode("utf-8")):
        return None
    return shop_settings


def _refuse(status, text, shop_id, why):
    """A refusal that Django must not log itself: it logs "Bad Request: <path>", and the path holds
    the shop's secret token. Logged here without the path (and without the payload)."""
    response = HttpResponse(text, status=status, content_type="text/plain")
    response._has_been_logged = True
    logger.warning("Mailchimp webhook for shop %s refused with %s: %s", shop_id, status, why)
    return response


def _not_found(shop_id):
    return _refuse(404, "No such webhook.", shop_id, "unknown shop or wrong token")


@method_decorator(csrf_exempt, name="dispatch")
class MailchimpWebhookView(View):
    http_method_names = ["get", "post", "head"]

    def http_method_not_allowed(self, request, *args, **kwargs):
        # Django's own logs "Method Not Allowed: <path>", with the token in the path.
        response = _refuse(405, "Method not allowed.", kwargs.get("shop_id"), "%s" % request.method[:10])
        response["Allow"] = ", ".join(m.upper() for m in self._allowed_methods())
        return response

    def get(self, request, shop_id, token):
        if _shop_settings(shop_id, token) is None:
            return _not_found(shop_id)
        return HttpResponse("OK", content_type="text/plain")

    def post(self, request, shop_id, token):
        shop_settings = _shop_settings(shop_id, token)
        if shop_settings is None:
            return _not_found(shop_id)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY_BYTES:
            return _refuse(413, "Payload too large.", shop_id, "%d bytes" % length)
        body = request.body[:MAX_BODY_BYTES + 1]
        if len(body) > MAX_BODY_BYTES:
            return _refuse(413, "Payload too large.", shop_id, "over %d bytes" % MAX_BODY_BYTES)
        # PostgreSQL refuses NUL in text columns; the raw row must be stored whatever came.
        text = body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
        try:
            pairs = [(key, values[-1].replace("\x00", "\ufffd")) for key, values in request.POST.lists()]
        except (MultiPartParserError, AttributeError, ValueError):
            # A broken multipart body (Django 2.2 even raises AttributeError for a missing
            # boundary): stored as received, refused below as malformed.
            pairs = []
        with transaction.atomic():
            row, valid = store(shop_settings.shop_id, text, request.META.get("CONTENT_TYPE", ""), pairs,
                               shop_settings.audience_id)
            if valid:
                transaction.on_commit(lambda: _schedule(row.pk))
        if not valid:
            return _refuse(400, row.error, shop_id, "malformed payload (kept as webhook event #%s)" % row.pk)
        return HttpResponse("OK", content_type="text/plain")


def _schedule(event_id):
    from shuup_mailchimp import tasks

    tasks.schedule_webhook(event_id)

"""The webhook endpoint: it only verifies and records (thin, like django-anymail's views).

``GET`` answers 200 (Mailchimp validates the URL when the webhook is created). ``POST`` checks
the per-shop secret token in the URL (Mailchimp does not sign webhooks; compared in constant
time), stores the raw form body *first*, parses it, schedules processing after commit and
answers 200 fast. A wrong shop or token is 404; a malformed payload is 400 with nothing applied
(the raw row is kept); a body over ``MAX_BODY_BYTES`` is 413.
"""
import hmac

from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from shuup_mailchimp.models import MailchimpShopSettings
from shuup_mailchimp.sync.inbound import MAX_BODY_BYTES, store


def _shop_settings(shop_id, token) -> MailchimpShopSettings:
    shop_settings = MailchimpShopSettings.objects.filter(shop_id=shop_id).first()
    if shop_settings is None or not shop_settings.webhook_secret:
        raise Http404("No such webhook.")
    if not hmac.compare_digest(str(token).encode("utf-8"), shop_settings.webhook_secret.encode("utf-8")):
        raise Http404("No such webhook.")
    return shop_settings


@method_decorator(csrf_exempt, name="dispatch")
class MailchimpWebhookView(View):
    http_method_names = ["get", "post", "head"]

    def get(self, request, shop_id, token):
        _shop_settings(shop_id, token)
        return HttpResponse("OK", content_type="text/plain")

    def post(self, request, shop_id, token):
        shop_settings = _shop_settings(shop_id, token)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY_BYTES:
            return HttpResponse("Payload too large.", status=413, content_type="text/plain")
        body = request.body[:MAX_BODY_BYTES + 1]
        if len(body) > MAX_BODY_BYTES:
            return HttpResponse("Payload too large.", status=413, content_type="text/plain")
        text = body.decode("utf-8", errors="replace")
        pairs = list(request.POST.lists())
        pairs = [(key, values[-1]) for key, values in pairs]
        with transaction.atomic():
            row, valid = store(shop_settings.shop_id, text, request.META.get("CONTENT_TYPE", ""), pairs,
                               shop_settings.audience_id)
            if valid:
                transaction.on_commit(lambda: _schedule(row.pk))
        if not valid:
            return HttpResponseBadRequest(row.error, content_type="text/plain")
        return HttpResponse("OK", content_type="text/plain")


def _schedule(event_id):
    from shuup_mailchimp import tasks

    tasks.schedule_webhook(event_id)

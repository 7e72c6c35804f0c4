"""Public URLs of shuup_mailchimp: the per-shop webhook endpoint.

Registered in Shuup's front through ``provides["front_urls"]``; a project without Shuup's front
can include this module instead: ``url(r"^", include("shuup_mailchimp.urls"))``.
"""
from django.conf.urls import url

from shuup_mailchimp.front_views import CartRestoreView, SignupView
from shuup_mailchimp.webhooks import MailchimpWebhookView

app_name = "shuup_mailchimp"
urlpatterns = [
    # Any token reaches the view, which refuses a wrong one with 404 without logging the path:
    # Django's own "Not Found: <path>" would log a near-copy of the secret token.
    url(r"^mailchimp/webhook/(?P<shop_id>\d+)/(?P<token>[^/]+)/$", MailchimpWebhookView.as_view(),
        name="mailchimp_webhook"),
]
# The newsletter sign-up box posts here; a cart's checkout_url restores its basket (front_views.py).
urlpatterns += [
    url(r"^mailchimp/signup/$", SignupView.as_view(), name="mailchimp_signup"),
    url(r"^mailchimp/cart/(?P<token>[A-Za-z0-9_\-:.]{10,512})/$", CartRestoreView.as_view(),
        name="mailchimp_cart_restore"),
]

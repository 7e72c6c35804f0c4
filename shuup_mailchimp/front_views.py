"""Shop-front views: the newsletter sign-up (the box's form posts here) and the cart restore link.

Neither calls Mailchimp. The sign-up is CSRF protected (Django's middleware: no exemption),
rate limited per client IP in Django's cache (``SHUUP_MAILCHIMP_SIGNUP_RATE_LIMIT``), ignores bots
that fill the hidden honeypot field (they get the same thank-you, and nothing is recorded), and
records the sign-up for the outbox (``sync/signup.py``). The restore link is a cart's
``checkout_url``: signed and expiring (``sync/carts.py``), it puts that stored basket back in the
visitor's session; a registered customer's basket first asks them to log in as themselves.
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import is_safe_url
from django.utils.translation import ugettext_lazy as _
from django.views.generic import View
from shuup.utils.http import get_client_ip

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSignup
from shuup_mailchimp.sync import carts
from shuup_mailchimp.sync.signup import read_consent, sign_up

HONEYPOT = "website"
#: Shuup's database basket storage keeps the visitor's basket as {"pk", "key"} under this session key
#: (``shuup.front.basket.storage.DatabaseBasketStorage``, basket name "basket").
BASKET_SESSION_KEY = "basket_basket_key"


class SignupForm(forms.Form):
    email = forms.EmailField(max_length=254, label=_("Email address"))
    consent = forms.BooleanField(required=True, error_messages={"required": _("Please tick the box to agree.")})
    consent_ref = forms.CharField(widget=forms.HiddenInput)
    website = forms.CharField(required=False)  # the honeypot: hidden from people, filled in by bots
    next = forms.CharField(required=False)

    def clean_consent_ref(self):
        try:
            return read_consent(self.cleaned_data["consent_ref"])
        except signing.BadSignature:
            raise forms.ValidationError(_("The form is out of date: please reload the page and try again."))


def rate_limited(request) -> bool:
    """True when this client IP has used up its sign-ups for the window (every attempt counts)."""
    limit, window = app_settings.SIGNUP_RATE_LIMIT
    key = "shuup_mailchimp:signup:%s" % (get_client_ip(request) or "unknown")
    cache.add(key, 0, timeout=int(window))
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=int(window))
        count = 1
    return count > int(limit)


class SignupView(View):
    http_method_names = ["post"]

    def post(self, request):
        shop = getattr(request, "shop", None)
        shop_settings = MailchimpShopSettings.for_shop(shop) if shop is not None else None
        if shop_settings is None or not shop_settings.is_active:
            raise Http404("The newsletter sign-up is not available in this shop.")
        if rate_limited(request):
            message = _("Too many sign-ups from your address: please try again later.")
            return self._answer(request, 429, message, ok=False)
        form = SignupForm(request.POST)
        if not form.is_valid():
            errors = " ".join(str(error) for errors in form.errors.values() for error in errors)
            return self._answer(request, 400, errors, ok=False, form=form)
        data = form.cleaned_data
        double_opt_in = shop_settings.double_opt_in
        if not data.get(HONEYPOT):
            customer = getattr(request, "customer", None)
            own = customer if (customer is not None and customer.pk and (customer.email or "").strip().lower()
                               == data["email"].strip().lower()) else None
            double_opt_in = sign_up(shop, data["email"], data["consent_ref"], MailchimpSignup.SOURCE_BOX,
                                    contact=own).double_opt_in
        if double_opt_in:
            message = _("Thank you! We have sent a confirmation email to %(email)s: click its link to start "
                        "your subscription.") % {"email": data["email"]}
        else:
            message = _("Thank you! %(email)s is now subscribed to our newsletter.") % {"email": data["email"]}
        return self._answer(request, 200, message, ok=True, next_url=data.get("next"))

    def _answer(self, request, status, message, ok, form=None, next_url=None):
        if request.headers.get("x-requested-with") == "XMLHttpRequest" or "application/json" in request.headers.get(
                "accept", ""):
            return JsonResponse({"ok": ok, "message": str(message)}, status=status)
        next_url = next_url or request.POST.get("next") or ""
        if not is_safe_url(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            next_url = "/"
        context = {"ok": ok, "message": message, "next_url": next_url, "form": form}
        return render(request, "shuup_mailchimp/front/signup_result.jinja", context, status=status)


class CartRestoreView(View):
    """A cart's ``checkout_url``: the abandoned basket back in the visitor's session, then the basket page."""

    def get(self, request, token):
        try:
            data = carts.read_restore_token(token)
        except signing.SignatureExpired:
            messages.warning(request, _("This basket link has expired. Your basket may still be here when you log in."))
            return HttpResponseRedirect(reverse("shuup:basket"))
        except signing.BadSignature:
            raise Http404("Unknown basket link.")
        basket = carts.stored_basket_model().objects.filter(pk=data.get("b"), shop=request.shop).first()
        if basket is None or basket.deleted or basket.finished:
            messages.info(request, _("This basket is no longer available: it was ordered or emptied."))
            return HttpResponseRedirect(reverse("shuup:basket"))
        if basket.customer_id:  # a registered customer's basket: theirs only
            if basket.customer_id != data.get("c"):
                raise Http404("Unknown basket link.")  # the link was made for someone else
            customer = getattr(request, "customer", None)
            if getattr(customer, "pk", None) != basket.customer_id:
                if request.user.is_authenticated:
                    messages.warning(request, _("This basket belongs to another account."))
                    return HttpResponseRedirect(reverse("shuup:basket"))
                return redirect_to_login(request.get_full_path(), login_url=reverse("shuup:login"))
        request.session[BASKET_SESSION_KEY] = {"pk": basket.pk, "key": basket.key}
        messages.success(request, _("Welcome back! Your basket is just as you left it."))
        return HttpResponseRedirect(reverse("shuup:basket"))

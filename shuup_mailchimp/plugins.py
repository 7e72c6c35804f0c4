"""The shop front's newsletter sign-up: an xtheme plugin (a sign-up box) and a registration checkbox.

Both only post to / record a sign-up (``sync/signup.py``): nothing here talks to Mailchimp. The
consent text the person agrees to is the merchant's (the box's own, else the shop's Mailchimp
setting); it travels signed with the form, so the sign-up records exactly the text that was shown.
"""
from django import forms
from django.utils.translation import ugettext_lazy as _
from shuup.front.providers.form_fields import FormFieldDefinition, FormFieldProvider
from shuup.xtheme import TemplatedPlugin
from shuup.xtheme.plugins.forms import TranslatableField

from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSignup
from shuup_mailchimp.sync.signup import consent_text, sign_consent, sign_up

REGISTRATION_FIELD = "mailchimp_signup"


def signup_url() -> str:
    from django.urls import NoReverseMatch, reverse

    for name in ("shuup:mailchimp_signup", "shuup_mailchimp:mailchimp_signup"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/mailchimp/signup/"


class NewsletterSignupPlugin(TemplatedPlugin):
    """A sign-up box: an address, the merchant's consent text to tick, a button (CSRF, honeypot)."""

    identifier = "shuup_mailchimp.newsletter_signup"
    name = _("Newsletter sign-up (Mailchimp)")
    template_name = "shuup_mailchimp/plugins/signup.jinja"
    fields = [
        ("title", TranslatableField(label=_("Title"), required=False, initial="")),
        ("text", TranslatableField(label=_("Text above the form"), required=False, initial="",
                                   widget=forms.Textarea)),
        ("consent_text", TranslatableField(
            label=_("Consent text"), required=False, initial="", widget=forms.Textarea,
            help_text=_("What the person agrees to by ticking the box. Empty: the shop's sign-up consent text "
                        "(Mailchimp settings)."))),
        ("button_text", TranslatableField(label=_("Button text"), required=False, initial="")),
    ]

    def get_context_data(self, context):
        data = super().get_context_data(context)
        request = data["request"]
        shop = getattr(request, "shop", None)
        shop_settings = MailchimpShopSettings.for_shop(shop) if shop is not None else None
        text = consent_text(shop_settings, self.get_translated_value("consent_text", "")) if shop_settings else ""
        customer = getattr(request, "customer", None)
        data.update(
            enabled=bool(shop_settings and shop_settings.is_active),
            title=self.get_translated_value("title", ""),
            text=self.get_translated_value("text", ""),
            consent_text=text,
            consent_ref=sign_consent(text),
            button_text=self.get_translated_value("button_text", "") or _("Sign up"),
            action=signup_url(),
            next=request.get_full_path() if request is not None else "/",
            email=(getattr(customer, "email", "") or "") if customer is not None and customer.pk else "",
        )
        return data


class RegistrationSignupFields(FormFieldProvider):
    """An unticked newsletter checkbox on Shuup's registration form, when the shop offers it."""

    def get_fields(self, **kwargs):
        request = kwargs.get("request")
        shop = getattr(request, "shop", None)
        if shop is None:
            return []
        shop_settings = MailchimpShopSettings.for_shop(shop)
        if not (shop_settings.is_active and shop_settings.signup_on_registration):
            return []
        field = forms.BooleanField(required=False, initial=False, label=consent_text(shop_settings))
        return [FormFieldDefinition(name=REGISTRATION_FIELD, field=field)]


def sign_up_on_registration(request, contact):
    """The registration form's checkbox was ticked: the new contact signs up (no API call)."""
    shop_settings = MailchimpShopSettings.for_shop(request.shop)
    if not (shop_settings.is_active and shop_settings.signup_on_registration):
        return None
    return sign_up(request.shop, contact.email, consent_text(shop_settings), MailchimpSignup.SOURCE_REGISTRATION,
                   contact=contact)

"""Per-shop configuration: one row per Shuup shop, read through :meth:`MailchimpShopSettings.for_shop`."""
import re
import secrets

from django.db import models
from django.utils.translation import ugettext_lazy as _
from enumfields import EnumField
from shuup_mirage_field.fields import EncryptedCharField

from shuup_mailchimp.enums import ConflictPolicy

API_KEY_RE = re.compile(r"^[0-9a-f]{32}-[a-z]+[0-9]+$")


def new_webhook_secret():
    return secrets.token_urlsafe(24)


class MailchimpShopSettingsQuerySet(models.QuerySet):
    def active(self):
        return self.filter(enabled=True).exclude(api_key="").exclude(audience_id="")


class MailchimpShopSettings(models.Model):
    shop = models.OneToOneField(
        "shuup.Shop", on_delete=models.CASCADE, related_name="mailchimp_settings", verbose_name=_("shop")
    )
    enabled = models.BooleanField(
        default=False,
        verbose_name=_("enabled"),
        help_text=_("Send this shop's customers, contact groups and orders to Mailchimp."),
    )
    # Encrypted at rest with MIRAGE_SECRET_KEY; never rendered back into a form, never logged.
    api_key = EncryptedCharField(max_length=255, blank=True, verbose_name=_("API key"))
    audience_id = models.CharField(
        max_length=32, blank=True, verbose_name=_("audience id"), help_text=_("The Mailchimp audience (list) id.")
    )
    store_id = models.CharField(
        max_length=50,
        blank=True,
        verbose_name=_("eCommerce store id"),
        help_text=_("Set by Initialize store; only change it to reuse an existing store."),
    )
    two_way_sync = models.BooleanField(
        default=False,
        verbose_name=_("two-way sync"),
        help_text=_("Apply unsubscribes and profile changes made in Mailchimp to Shuup contacts."),
    )
    conflict_policy = EnumField(
        ConflictPolicy, max_length=16, default=ConflictPolicy.REMOTE_WINS, verbose_name=_("conflict policy")
    )
    send_transactional = models.BooleanField(
        default=True,
        verbose_name=_("send contacts without marketing permission"),
        help_text=_(
            "Send contacts who have not given marketing permission as transactional customers "
            "(order data only, no marketing email)."
        ),
    )
    webhook_secret = models.CharField(max_length=64, default=new_webhook_secret, verbose_name=_("webhook secret"))
    # Commerce automations (sync/carts.py, sync/signup.py): abandoned carts, sign-ups, GDPR fields.
    send_carts = models.BooleanField(
        default=True,
        verbose_name=_("send abandoned carts"),
        help_text=_(
            "Baskets of customers who may receive marketing go to Mailchimp as carts once left idle, for its "
            "abandoned-cart automation; placing the order or emptying the basket removes them."
        ),
    )
    abandoned_cart_tag = models.CharField(
        max_length=100,
        blank=True,
        verbose_name=_("abandoned-cart tag"),
        help_text=_('Optional: a tag (e.g. "Abandoned cart") the member carries while their cart waits in '
                    "Mailchimp; it is removed when they order or empty the basket."),
    )
    double_opt_in = models.BooleanField(
        default=True,
        verbose_name=_("double opt-in for sign-ups"),
        help_text=_(
            "Newsletter sign-ups (the sign-up box, the registration checkbox) are added as pending: Mailchimp "
            "emails a confirmation and subscribes them only after their click."
        ),
    )
    signup_on_registration = models.BooleanField(
        default=False,
        verbose_name=_("newsletter checkbox on registration"),
        help_text=_("Offer an (unticked) newsletter checkbox with the consent text below on the registration form."),
    )
    signup_consent_text = models.TextField(
        blank=True,
        verbose_name=_("sign-up consent text"),
        help_text=_(
            "What a person agrees to by signing up, e.g. \"Yes, email me news and offers. I can unsubscribe at any "
            "time.\" Shown by the registration checkbox and, unless it has its own, by the sign-up box."
        ),
    )
    marketing_permission_id = models.CharField(
        max_length=64,
        blank=True,
        verbose_name=_("GDPR marketing permission"),
        help_text=_(
            "For audiences with GDPR fields: the Mailchimp marketing permission that means email marketing. It "
            "follows each contact's marketing permission (withdrawal clears it). Empty: not sent."
        ),
    )
    interest_category_id = models.CharField(max_length=32, blank=True, editable=False)
    store_initialized_on = models.DateTimeField(null=True, blank=True, editable=False)
    created_on = models.DateTimeField(auto_now_add=True, editable=False)
    modified_on = models.DateTimeField(auto_now=True, editable=False)

    objects = MailchimpShopSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = _("Mailchimp shop settings")
        verbose_name_plural = _("Mailchimp shop settings")

    def __str__(self):
        return "Mailchimp settings of %s" % (self.shop_id,)

    @classmethod
    def for_shop(cls, shop):
        """The shop's settings; an unsaved, disabled instance when it has none (reading creates no row)."""
        shop_id = getattr(shop, "pk", shop)
        return cls.objects.filter(shop_id=shop_id).first() or cls(shop_id=shop_id)

    @property
    def is_configured(self):
        return bool(self.api_key and self.audience_id)

    @property
    def is_active(self):
        """Enabled and configured: sync work is recorded for this shop."""
        return bool(self.enabled and self.is_configured)

    @property
    def is_initialized(self):
        return bool(self.store_id and self.store_initialized_on and self.interest_category_id)

    @property
    def datacenter(self):
        return self.api_key.rsplit("-", 1)[-1] if self.api_key and "-" in self.api_key else ""

    @property
    def masked_api_key(self):
        """What the admin may show of the key: its data centre and last four hex digits."""
        if not self.api_key:
            return ""
        return "…%s-%s" % (self.api_key.split("-")[0][-4:], self.datacenter)

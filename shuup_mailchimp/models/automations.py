"""Commerce automations: the record of each newsletter sign-up.

:class:`MailchimpSignup` is the proof of consent of one sign-up (the sign-up box, the
registration checkbox): who, in which shop, when, through what, and the exact consent text they
agreed to. It also tells the contact's next sync that its permission was given by a sign-up
(``sync/signup.py``): such a fresh subscription is ``pending`` when the shop asks for double
opt-in. Written by ``sync/signup.sign_up`` only; no IP address or other data is kept.
"""
from django.db import models
from django.utils.translation import ugettext_lazy as _

__all__ = ["MailchimpSignup"]


class MailchimpSignup(models.Model):
    SOURCE_BOX = "signup_box"
    SOURCE_REGISTRATION = "registration"
    SOURCES = [(SOURCE_BOX, _("sign-up box")), (SOURCE_REGISTRATION, _("registration form"))]

    shop = models.ForeignKey("shuup.Shop", on_delete=models.CASCADE, related_name="+", verbose_name=_("shop"))
    contact = models.ForeignKey("shuup.Contact", on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("contact"))
    source = models.CharField(max_length=32, choices=SOURCES, verbose_name=_("source"))
    consent_text = models.TextField(blank=True, verbose_name=_("consent text"))
    double_opt_in = models.BooleanField(default=True, verbose_name=_("double opt-in"))
    created_on = models.DateTimeField(auto_now_add=True, db_index=True, editable=False, verbose_name=_("signed up on"))

    class Meta:
        verbose_name = _("newsletter sign-up")
        verbose_name_plural = _("newsletter sign-ups")
        index_together = [("shop", "contact")]

    def __str__(self):
        return "sign-up of contact %s in shop %s (%s)" % (self.contact_id, self.shop_id, self.source)

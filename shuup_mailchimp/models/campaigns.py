"""Campaigns and segments: contact groups kept as Mailchimp tags, imported campaigns with their
reports, and which Mailchimp email brought the visitor who placed an order.

- :class:`MailchimpTaggedGroup`: the shop chose to keep this contact group as a tag (a static
  segment) on its audience, besides its interest. A row per (shop, group); deleting the row (or
  the group) un-chooses it. Written by the admin's segments page and ``choose_groups``.
- :class:`MailchimpSegmentMember`: which contacts this shop has put in a group's tag, as Mailchimp
  confirmed. The local mirror lets a membership change send only the difference (500 per call),
  and the admin count what is in Mailchimp without asking it. Written by ``sync/segments.py`` only,
  under the group's SEGMENT outbox item's claim. The tag's Mailchimp id is that item's
  ``remote_id`` (as an interest's is), so a deleted group still knows which tag to remove.
- :class:`MailchimpCampaign`: one campaign of the shop's audience with its report, imported by
  ``sync/campaigns.py`` (``mailchimp_import_campaigns`` and the daily task); re-imports update
  the row in place.
- :class:`MailchimpOrderAttribution`: the Mailchimp campaign (``mc_cid``), member (``mc_eid``) and
  landing page of the visit that ended in this order (``attribution.py``).
"""
from django.db import models
from django.utils.translation import ugettext_lazy as _

__all__ = ["MailchimpCampaign", "MailchimpOrderAttribution", "MailchimpSegmentMember", "MailchimpTaggedGroup"]


class MailchimpTaggedGroup(models.Model):
    shop = models.ForeignKey("shuup.Shop", on_delete=models.CASCADE, related_name="+", verbose_name=_("shop"))
    group = models.ForeignKey("shuup.ContactGroup", on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("contact group"))
    chosen_on = models.DateTimeField(auto_now_add=True, editable=False, verbose_name=_("chosen on"))

    class Meta:
        verbose_name = _("contact group kept as a Mailchimp tag")
        verbose_name_plural = _("contact groups kept as Mailchimp tags")
        unique_together = [("shop", "group")]

    def __str__(self):
        return "group %s as a tag of shop %s" % (self.group_id, self.shop_id)


class MailchimpSegmentMember(models.Model):
    shop = models.ForeignKey("shuup.Shop", on_delete=models.CASCADE, related_name="+", verbose_name=_("shop"))
    # Plain ids, not foreign keys: the row must outlive a deleted group or contact until the
    # tag is updated (the group's SEGMENT item removes it from Mailchimp, then the row).
    group_id = models.PositiveIntegerField(verbose_name=_("contact group id"))
    contact_id = models.PositiveIntegerField(verbose_name=_("contact id"))
    #: md5 of the address that was tagged (Mailchimp's member id), not the address: a contact whose
    #: member changed address is tagged again under the new one.
    subscriber_hash = models.CharField(max_length=32, verbose_name=_("member id"))
    added_on = models.DateTimeField(auto_now_add=True, editable=False)

    class Meta:
        verbose_name = _("contact in a Mailchimp tag")
        verbose_name_plural = _("contacts in Mailchimp tags")
        unique_together = [("shop", "group_id", "contact_id")]


class MailchimpCampaign(models.Model):
    shop = models.ForeignKey("shuup.Shop", on_delete=models.CASCADE, related_name="+", verbose_name=_("shop"))
    campaign_id = models.CharField(max_length=50, verbose_name=_("Mailchimp campaign id"))
    web_id = models.BigIntegerField(null=True, blank=True, editable=False)
    list_id = models.CharField(max_length=32, blank=True, verbose_name=_("audience id"))
    title = models.CharField(max_length=255, blank=True, verbose_name=_("title"))
    subject = models.CharField(max_length=255, blank=True, verbose_name=_("subject line"))
    type = models.CharField(max_length=32, blank=True, verbose_name=_("type"))
    status = models.CharField(max_length=32, blank=True, db_index=True, verbose_name=_("status"))
    send_time = models.DateTimeField(null=True, blank=True, db_index=True, verbose_name=_("sent"))
    # The report (GET /reports/{id}); zero until the campaign has been sent.
    emails_sent = models.PositiveIntegerField(default=0, verbose_name=_("emails sent"))
    opens = models.PositiveIntegerField(default=0, verbose_name=_("opens"))
    unique_opens = models.PositiveIntegerField(default=0, verbose_name=_("unique opens"))
    open_rate = models.FloatField(default=0, verbose_name=_("open rate"))
    clicks = models.PositiveIntegerField(default=0, verbose_name=_("clicks"))
    unique_clicks = models.PositiveIntegerField(default=0, verbose_name=_("unique clicks"))
    click_rate = models.FloatField(default=0, verbose_name=_("click rate"))
    unsubscribes = models.PositiveIntegerField(default=0, verbose_name=_("unsubscribes"))
    hard_bounces = models.PositiveIntegerField(default=0, verbose_name=_("hard bounces"))
    soft_bounces = models.PositiveIntegerField(default=0, verbose_name=_("soft bounces"))
    abuse_reports = models.PositiveIntegerField(default=0, verbose_name=_("abuse reports"))
    orders = models.PositiveIntegerField(default=0, verbose_name=_("orders (Mailchimp)"))
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0, verbose_name=_("revenue (Mailchimp)"))
    total_spent = models.DecimalField(max_digits=14, decimal_places=2, default=0,
                                      verbose_name=_("order totals (Mailchimp)"))
    currency = models.CharField(max_length=3, blank=True, verbose_name=_("currency"))
    #: When the report was last read, and whether it is final (sent long enough ago: not read again).
    report_fetched_on = models.DateTimeField(null=True, blank=True, verbose_name=_("report read"))
    report_final = models.BooleanField(default=False, verbose_name=_("report final"))
    imported_on = models.DateTimeField(auto_now_add=True, editable=False)
    modified_on = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        verbose_name = _("Mailchimp campaign")
        verbose_name_plural = _("Mailchimp campaigns")
        unique_together = [("shop", "campaign_id")]
        ordering = ("-send_time", "-pk")

    def __str__(self):
        return self.title or self.subject or self.campaign_id

    @property
    def bounces(self):
        return self.hard_bounces + self.soft_bounces


class MailchimpOrderAttribution(models.Model):
    order = models.OneToOneField("shuup.Order", on_delete=models.CASCADE, primary_key=True,
                                 related_name="mailchimp_attribution", verbose_name=_("order"))
    shop = models.ForeignKey("shuup.Shop", on_delete=models.CASCADE, related_name="+", verbose_name=_("shop"))
    campaign_id = models.CharField(max_length=50, db_index=True, verbose_name=_("Mailchimp campaign id (mc_cid)"))
    #: ``mc_eid``: Mailchimp's unique id of the member the email went to (not an address).
    email_id = models.CharField(max_length=50, blank=True, verbose_name=_("Mailchimp member (mc_eid)"))
    landing_site = models.CharField(max_length=1000, blank=True, verbose_name=_("landing page"))
    visited_on = models.DateTimeField(null=True, blank=True, verbose_name=_("visit"))
    created_on = models.DateTimeField(auto_now_add=True, editable=False)

    class Meta:
        verbose_name = _("Mailchimp campaign of an order")
        verbose_name_plural = _("Mailchimp campaigns of orders")

    def __str__(self):
        return "order %s from campaign %s" % (self.order_id, self.campaign_id)

"""shuup-mailchimp: keeps Shuup shops in step with Mailchimp.

Data flows out: ``receivers -> sync.outbox -> tasks / runner -> sync.processing -> client -> Mailchimp``.
And back: ``webhooks (view, raw row) -> sync.inbound -> Shuup models``.
"""
import logging

from shuup.apps import AppConfig

#: mailchimp3 logs every request body at INFO ("PAYLOAD: {...}"): customers' emails and names.
MAILCHIMP3_LOGGER = "mailchimp3.client"


class ShuupMailchimpAppConfig(AppConfig):
    name = "shuup_mailchimp"
    label = "shuup_mailchimp"
    verbose_name = "Shuup Mailchimp"
    provides = {
        "admin_module": ["shuup_mailchimp.admin_module:MailchimpAdminModule",
                         "shuup_mailchimp.admin_module.campaigns:MailchimpCampaignsAdminModule"],
        "admin_shop_form_part": ["shuup_mailchimp.admin_module.form_parts:MailchimpShopFormPart"],
        "admin_contact_section": ["shuup_mailchimp.admin_module.sections:MailchimpContactSection"],
        "front_urls": ["shuup_mailchimp.urls:urlpatterns"],
        "xtheme_plugin": ["shuup_mailchimp.plugins:NewsletterSignupPlugin"],
        "front_registration_field_provider": ["shuup_mailchimp.plugins:RegistrationSignupFields"],
        "reports": ["shuup_mailchimp.reports:MailchimpCampaignReport"],
    }

    def ready(self):
        # Receivers only record work in the outbox; they never call Mailchimp.
        import shuup_mailchimp.checks  # noqa: F401
        import shuup_mailchimp.receivers  # noqa: F401

        quiet_payload_logging()


def quiet_payload_logging():
    """Keep personal data out of worker logs: mailchimp3's request lines only at WARNING, unless
    ``DEBUG`` is on or the project set that logger's level itself (its ``LOGGING`` wins)."""
    from django.conf import settings

    sdk_logger = logging.getLogger(MAILCHIMP3_LOGGER)
    if not settings.DEBUG and sdk_logger.level == logging.NOTSET:
        sdk_logger.setLevel(logging.WARNING)


default_app_config = "shuup_mailchimp.ShuupMailchimpAppConfig"

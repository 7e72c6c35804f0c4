"""shuup-mailchimp: keeps Shuup shops in step with Mailchimp.

Data flows out: ``receivers -> sync.outbox -> tasks / runner -> sync.processing -> client -> Mailchimp``.
(Mailchimp -> Shuup, webhooks, is not built yet: ``urls.py`` has no view.)
"""
from shuup.apps import AppConfig


class ShuupMailchimpAppConfig(AppConfig):
    name = "shuup_mailchimp"
    label = "shuup_mailchimp"
    verbose_name = "Shuup Mailchimp"
    provides = {
        "admin_module": ["shuup_mailchimp.admin_module:MailchimpAdminModule"],
        "admin_shop_form_part": ["shuup_mailchimp.admin_module.form_parts:MailchimpShopFormPart"],
    }

    def ready(self):
        # Receivers only record work in the outbox; they never call Mailchimp.
        import shuup_mailchimp.checks  # noqa: F401
        import shuup_mailchimp.receivers  # noqa: F401


default_app_config = "shuup_mailchimp.ShuupMailchimpAppConfig"

from django.apps import AppConfig


class ShuupMailchimpTestingAppConfig(AppConfig):
    """Development helpers: the Mailchimp emulator command and the demo. Not needed in production."""

    name = "shuup_mailchimp.testing"
    label = "shuup_mailchimp_testing"
    verbose_name = "Shuup Mailchimp testing tools"

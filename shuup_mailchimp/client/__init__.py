"""The only package that imports mailchimp3. Everything else calls the functions here."""
from shuup_mailchimp.client.base import MailchimpClient, api_base_url  # noqa: F401


def client_for(shop_settings, log=True, **context) -> MailchimpClient:
    """A client for one shop's settings, logging every call as a ``MailchimpLogEntry`` row."""
    from shuup_mailchimp.call_log import record_call

    secrets = [shop_settings.api_key, shop_settings.webhook_secret]
    recorder = (lambda record: record_call(record, secrets)) if log else None
    return MailchimpClient(shop_settings.api_key, recorder=recorder, secrets=[shop_settings.webhook_secret],
                           shop_id=shop_settings.shop_id, **context)

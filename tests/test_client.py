"""The client layer: base URL override, time-out, and one classification of every failure.

Faked at the transport with ``responses``, with bodies shaped like Mailchimp's real ones.
"""
import json

import pytest
import requests
import responses

from shuup_mailchimp.client import MailchimpClient, account, api_base_url, members
from shuup_mailchimp.client.redaction import redact
from shuup_mailchimp.exceptions import (
    MailchimpAuthError,
    MailchimpComplianceError,
    MailchimpConnectionError,
    MailchimpNotFoundError,
    MailchimpPermanentError,
    MailchimpRateLimitError,
    MailchimpTransientError,
)

KEY = "0123456789abcdef0123456789abcdef-us6"
BASE = "https://us1.api.mailchimp.test/3.0/"


def problem(status, title, detail, **extra):
    body = dict(type="https://mailchimp.com/developer/marketing/docs/errors/", title=title, status=status,
                detail=detail, instance="4f1a")
    body.update(extra)
    return dict(status=status, body=json.dumps(body), content_type="application/problem+json")


@pytest.fixture
def records():
    return []


@pytest.fixture
def client(records):
    return MailchimpClient(KEY, recorder=records.append, shop_id=1)


def test_base_url_comes_from_setting_with_dc_placeholder(settings):
    settings.SHUUP_MAILCHIMP_API_URL = "http://127.0.0.1:8765/{dc}/3.0"
    assert api_base_url(KEY) == "http://127.0.0.1:8765/us6/3.0/"
    settings.SHUUP_MAILCHIMP_API_URL = None
    assert api_base_url(KEY) == "https://us6.api.mailchimp.com/3.0/"


@responses.activate
def test_call_goes_to_configured_url_with_timeout_and_user_agent(client, records):
    responses.add(responses.GET, BASE + "ping", json={"health_status": "Everything's Chimpy!"})
    assert account.ping(client)["health_status"] == "Everything's Chimpy!"
    sent = responses.calls[0].request
    assert sent.headers["User-Agent"].startswith("shuup-mailchimp/")
    assert sent.req_kwargs["timeout"] == (5.0, 30.0)
    assert records[0].status_code == 200 and records[0].error is None and records[0].operation == "ping"


def test_malformed_key_is_an_auth_error_naming_the_format():
    with pytest.raises(MailchimpAuthError) as info:
        MailchimpClient("not-a-key")
    assert "32 hex" in info.value.detail


@pytest.mark.parametrize(
    "reply, expected, transient",
    [
        (problem(429, "Too Many Requests", "You have exceeded the limit of 10 simultaneous connections."),
         MailchimpRateLimitError, True),
        (dict(status=403, body=""), MailchimpRateLimitError, True),  # bodiless 403 = rate limiting
        (dict(status=500, body="<html>oops</html>", content_type="text/html"), MailchimpTransientError, True),
        (problem(503, "Service Unavailable", "try later"), MailchimpTransientError, True),
        (problem(401, "API Key Invalid", "Your API key may be invalid."), MailchimpAuthError, False),
        (problem(404, "Resource Not Found", "The requested resource could not be found."),
         MailchimpNotFoundError, False),
        (problem(400, "Member In Compliance State", "x@y.co is in a compliance state"),
         MailchimpComplianceError, False),
        (problem(400, "Invalid Resource", "x looks fake or invalid, please enter a real email address."),
         MailchimpPermanentError, False),
        (problem(418, "Teapot", "unknown statuses fail, never retry forever"), MailchimpPermanentError, False),
    ],
)
@responses.activate
def test_every_failure_is_classified_once(client, records, reply, expected, transient):
    responses.add(responses.PUT, BASE + "lists/l1/members/" + members.subscriber_hash("x@y.co"), **reply)
    with pytest.raises(expected) as info:
        members.upsert_member(client, "l1", "x@y.co", {"email_address": "x@y.co", "status_if_new": "subscribed"})
    assert info.value.is_transient is transient
    assert info.value.status == reply["status"]
    assert isinstance(info.value.__cause__, Exception)  # raise ... from the original
    assert records[-1].error is info.value and records[-1].status_code == reply["status"]


@pytest.mark.parametrize("exc", [requests.exceptions.ConnectTimeout("t"), requests.exceptions.ConnectionError("reset")])
@responses.activate
def test_network_failures_are_transient(client, records, exc):
    responses.add(responses.GET, BASE + "ping", body=exc)
    with pytest.raises(MailchimpConnectionError) as info:
        account.ping(client)
    assert info.value.is_transient
    assert records[-1].status_code is None and records[-1].error is info.value


@responses.activate
def test_field_errors_are_kept(client):
    responses.add(responses.PUT, BASE + "lists/l1/members/" + members.subscriber_hash("a@b.co"),
                  **problem(400, "Invalid Resource", "Your merge fields were invalid.",
                            errors=[{"field": "FNAME", "message": "Please enter a value"}]))
    with pytest.raises(MailchimpPermanentError) as info:
        members.upsert_member(client, "l1", "a@b.co", {})
    assert "FNAME: Please enter a value" in info.value.describe()


def test_subscriber_hash_is_md5_of_trimmed_lowercase_email():
    assert members.subscriber_hash(" Urist.McVankab@Freddiesjokes.com ") == "62eeb292278cc15f5817cb78f7790b08"


def test_redaction_removes_keys_and_secrets():
    text = "key %s and secret s3cr3t-token-value in %s" % (KEY, "https://x/?k=" + KEY)
    cleaned = redact(text, ["s3cr3t-token-value"])
    assert KEY not in cleaned and "s3cr3t-token-value" not in cleaned
    assert "***-us6" in cleaned

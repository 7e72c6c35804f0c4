"""Error classification (what is retried) and API-key redaction (what is stored and shown)."""
import json

import pytest
from shuup.core.models import PersonContact

from shuup_mailchimp.client import client_for, members
from shuup_mailchimp.client.errors import error_from_problem, is_already_exists
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.exceptions import (
    MailchimpAuthError,
    MailchimpComplianceError,
    MailchimpError,
    MailchimpNotFoundError,
    MailchimpRateLimitError,
)
from shuup_mailchimp.models import MailchimpLogEntry, MailchimpSyncItem

from .conftest import API_KEY

TRANSIENT = [408, 425, 500, 502, 503, 504, 520, 521, 522, 524]


def problem(status, title="Some Title", detail="Some detail."):
    return {"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": title, "status": status,
            "detail": detail, "instance": "0b1d"}


# --- classification ------------------------------------------------------------------------


@pytest.mark.parametrize("status", TRANSIENT)
def test_transient_statuses_are_retried(status):
    error = error_from_problem(status, problem(status))
    assert error.is_transient, status
    assert error.status == status


@pytest.mark.parametrize("status", TRANSIENT)
def test_transient_statuses_are_retried_without_a_body_too(status):
    assert error_from_problem(status, {}, has_body=False).is_transient


def test_429_is_a_transient_rate_limit():
    error = error_from_problem(429, problem(429, "Too Many Requests"))
    assert isinstance(error, MailchimpRateLimitError) and error.is_transient


def test_bodiless_403_is_a_transient_rate_limit_but_a_403_with_a_body_is_not():
    bodiless = error_from_problem(403, {}, has_body=False)
    assert isinstance(bodiless, MailchimpRateLimitError) and bodiless.is_transient
    refused = error_from_problem(403, problem(403, "Forbidden", "You don't have permission."))
    assert isinstance(refused, MailchimpAuthError) and not refused.is_transient


@pytest.mark.parametrize("status, kind", [(400, None), (401, MailchimpAuthError), (404, MailchimpNotFoundError)])
def test_client_errors_are_not_retried(status, kind):
    error = error_from_problem(status, problem(status))
    assert not error.is_transient
    if kind is not None:
        assert isinstance(error, kind)


@pytest.mark.parametrize("title", ["Member In Compliance State", "Forgotten Email Not Subscribed"])
def test_compliance_titles_are_final(title):
    error = error_from_problem(400, problem(400, title))
    assert isinstance(error, MailchimpComplianceError) and not error.is_transient


def test_unknown_status_is_permanent_not_silent():
    error = error_from_problem(418, problem(418, "Teapot"))
    assert isinstance(error, MailchimpError) and not error.is_transient and error.kind == "permanent"


def test_already_exists_is_recognised_only_on_400():
    assert is_already_exists(error_from_problem(400, problem(400, "Bad Request",
                                                             "An order with the provided ID already exists.")))
    assert not is_already_exists(error_from_problem(400, problem(400, "Bad Request", "Something else.")))


# --- redaction -----------------------------------------------------------------------------


@pytest.fixture
def key_echoing_emulator(emulator, monkeypatch):
    """Member writes answer a 400 whose detail echoes the API key (as a misbehaving proxy might)."""
    real = emulator.handle

    def handle(method, path, query_string, headers, body):
        if method.upper() == "PUT" and "/members/" in path:
            payload = problem(400, "Invalid Resource", "Request with key %s was rejected." % API_KEY)
            return 400, {"Content-Type": "application/problem+json"}, json.dumps(payload).encode("utf-8")
        return real(method, path, query_string, headers, body)

    monkeypatch.setattr(emulator, "handle", handle)
    return emulator


def _secret_parts():
    return [API_KEY, API_KEY.split("-")[0]]


@pytest.mark.django_db
def test_api_key_in_an_error_detail_is_redacted_on_the_exception(initialized, key_echoing_emulator):
    client = client_for(initialized)
    with pytest.raises(MailchimpError) as info:
        members.upsert_member(client, initialized.audience_id, "echo@mailbox.org",
                              {"email_address": "echo@mailbox.org", "status_if_new": "subscribed"})
    error = info.value
    for secret in _secret_parts():
        assert secret not in error.detail and secret not in error.describe()
    assert "***" in error.detail  # redacted, not dropped


@pytest.mark.django_db
def test_api_key_in_an_error_detail_is_redacted_on_the_sync_item_and_the_log(initialized, key_echoing_emulator):
    contact = PersonContact.objects.create(first_name="Eko", last_name="Key", email="echo@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(initialized.shop)
    item = MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=contact.pk)
    assert item.status == SyncStatus.FAILED and item.last_error_title == "Invalid Resource"
    assert "rejected" in item.last_error_detail
    rows = list(MailchimpLogEntry.objects.filter(success=False).values_list("error_title", "error_detail", "path"))
    assert rows
    for secret in _secret_parts():
        assert secret not in item.last_error_detail and secret not in item.note
        assert all(secret not in " ".join(str(v) for v in row) for row in rows)


@pytest.mark.django_db
def test_api_key_in_an_error_detail_is_not_in_the_exception_message(initialized, key_echoing_emulator):
    # str(exc) is what tracebacks, Celery and error trackers show.
    from shuup_mailchimp.client import MailchimpClient

    for client in (client_for(initialized), MailchimpClient(API_KEY)):  # with and without a log recorder
        with pytest.raises(MailchimpError) as info:
            members.upsert_member(client, initialized.audience_id, "echo@mailbox.org",
                                  {"email_address": "echo@mailbox.org", "status_if_new": "subscribed"})
        for secret in _secret_parts():
            assert secret not in str(info.value) and secret not in info.value.detail

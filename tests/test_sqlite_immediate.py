"""SQLite and the background thread: a shop request must not fail because the thread was writing.

A transaction that reads first and then writes gets "database is locked" at once (the busy timeout
does not apply) when another connection holds the write lock, as the background thread does for a
few milliseconds each time it records a send. ``shuup_mailchimp.sqlite`` (the demo project's
backend) begins transactions IMMEDIATE, so they wait for the lock instead.
"""
import threading

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper as DjangoSQLite
from shuup.core.models import PersonContact

from shuup_mailchimp.sqlite.base import DatabaseWrapper as ImmediateSQLite

pytestmark = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's locking")


def save_after_reading_while_another_connection_writes():
    """The request: read the contact, then save it, while another thread holds the write lock 0.3 s."""
    contact = PersonContact.objects.create(first_name="Read", last_name="Then Write", email="rtw@mailbox.org")
    other = PersonContact.objects.create(first_name="Other", email="other@mailbox.org")
    holding, release = threading.Event(), threading.Event()

    def background_write():  # as the background thread recording a send
        try:
            with transaction.atomic():
                PersonContact.objects.filter(pk=other.pk).update(first_name="Written")
                holding.set()
                release.wait(5)
        finally:
            connection.close()

    writer = threading.Thread(target=background_write)
    writer.start()
    assert holding.wait(5)
    threading.Timer(0.3, release.set).start()
    try:
        with transaction.atomic():
            PersonContact.objects.get(pk=contact.pk)  # Shuup's save reads (the contact's groups) first too
            contact.first_name = "Saved"
            contact.save()
    finally:
        release.set()
        writer.join(5)
    return PersonContact.objects.get(pk=contact.pk).first_name


@pytest.mark.django_db(transaction=True)
def test_the_addons_sqlite_backend_makes_the_request_wait_for_the_lock():
    assert isinstance(connections["default"], ImmediateSQLite)  # the test (and demo) project's backend
    assert save_after_reading_while_another_connection_writes() == "Saved"


@pytest.mark.django_db(transaction=True)
def test_with_djangos_sqlite_backend_the_request_fails(monkeypatch):
    # What the demo did before: BEGIN (deferred). This is why the backend exists.
    monkeypatch.setattr(ImmediateSQLite, "_start_transaction_under_autocommit",
                        DjangoSQLite._start_transaction_under_autocommit)
    with pytest.raises(OperationalError, match="database is locked"):
        save_after_reading_while_another_connection_writes()

"""Batch operations: submit, poll, download and read the results archive.

``POST /batches`` takes ``{operations: [{method, path, operation_id, body}]}`` with each
``body`` a JSON *string*. Mailchimp runs a batch on its own time (pending -> started ->
finished); the results are a gzipped tar of JSON files, each an array of ``{status_code,
operation_id, response}`` with ``response`` JSON encoded once more, at ``response_body_url``
(no API auth; the link expires). See ``docs/mailchimp-api.md`` section 3.12.
"""
import json
import tarfile
import tempfile
import time
from typing import Dict, Iterable, Iterator, List, Optional

import requests

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.client.base import MailchimpClient
from shuup_mailchimp.client.errors import error_from_exception, error_from_problem
from shuup_mailchimp.exceptions import MailchimpConnectionError, MailchimpNotFoundError, MailchimpTransientError

#: The batch fields a poll needs.
STATUS_FIELDS = "id,status,total_operations,finished_operations,errored_operations,response_body_url"


class BatchResultsGone(MailchimpNotFoundError):
    """The batch's results cannot be had: the batch was deleted (cancelled) or its archive expired."""


def operation(method: str, path: str, operation_id: str, body: Optional[dict] = None,
              fields: Optional[str] = None) -> dict:
    """One batch operation; ``body`` is encoded to the JSON string Mailchimp expects. ``fields``:
    what the result should hold (e.g. ``"status"``), which keeps the results archive small."""
    op = {"method": method, "path": path, "operation_id": operation_id}
    if body is not None:
        op["body"] = json.dumps(body, separators=(",", ":"))
    if fields:
        op["params"] = {"fields": fields}
    return op


def operation_size(op: dict) -> int:
    """About how many bytes the operation adds to the request body."""
    return len(op["path"]) + len(op["operation_id"]) + len(op.get("body", "")) * 1.1 + 60


def submit(client: MailchimpClient, operations: List[dict]) -> dict:
    """Submit a batch; returns ``{id, status, total_operations, ...}``."""
    return client.post("batches.create", "batches", {"operations": operations})


def get(client: MailchimpClient, batch_id: str) -> Optional[dict]:
    """The batch's status, or ``None`` when Mailchimp does not know it (deleted)."""
    try:
        return client.get("batches.get", "batches/%s" % batch_id, fields=STATUS_FIELDS)
    except MailchimpNotFoundError:
        return None


def statuses(client: MailchimpClient, batch_ids: Iterable[str]) -> Dict[str, Optional[dict]]:
    """{batch id: status or None (unknown)} for several batches: one list request, then one
    request per batch the list did not show (the account may hold more than one page)."""
    wanted = set(batch_ids)
    if not wanted:
        return {}
    found: Dict[str, Optional[dict]] = {}
    if len(wanted) > 1:
        fields = ",".join(["total_items"] + ["batches.%s" % f for f in STATUS_FIELDS.split(",")])
        page = client.get("batches.all", "batches", count=1000, fields=fields)
        found = {b["id"]: b for b in page.get("batches", []) if b.get("id") in wanted}
    for batch_id in sorted(wanted - set(found)):
        found[batch_id] = get(client, batch_id)
    return found


def delete(client: MailchimpClient, batch_id: str) -> None:
    try:
        client.delete("batches.delete", "batches/%s" % batch_id)
    except MailchimpNotFoundError:
        pass


def response_of(result: dict) -> Optional[dict]:
    """The decoded ``response`` of one result: a dict, or ``None`` when empty; decoded on first use
    only, as most successful results are never read. Text that is no JSON object (Mailchimp writes
    objects) comes back as ``{"detail": <the text, cut>}``, so readers can always ``.get()``."""
    if "response" not in result:
        text = result.pop("text", "")
        try:
            decoded = json.loads(text) if text else None
        except ValueError:
            result["response"] = {"detail": str(text)[:500]}
        else:
            result["response"] = decoded if decoded is None or isinstance(decoded, dict) else \
                {"detail": str(text)[:500]}
    return result["response"]


def download_results(client: MailchimpClient, url: str) -> Iterator[dict]:
    """Download a results archive and yield ``{operation_id, status_code, text}`` (read the
    response with :func:`response_of`). The archive is spooled to a temporary file, so memory
    stays flat whatever its size.

    Raises :class:`BatchResultsGone` when the link is dead (403/404: expired or deleted),
    a transient error when the download fails (retry later).
    """
    started = time.monotonic()
    status, error = None, None
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    try:
        try:
            with requests.get(url, timeout=app_settings.TIMEOUT, stream=True,
                              headers={"User-Agent": "shuup-mailchimp"}) as response:
                status = response.status_code
                if status in (403, 404, 410):
                    error = BatchResultsGone(status=status, title="Batch results gone",
                                             detail="The results archive is no longer available (HTTP %s)." % status)
                    raise error
                if status >= 400:
                    error = error_from_problem(status, {}, has_body=False)
                    if not error.is_transient:
                        error = MailchimpTransientError(status=status, title="Download failed",
                                                        detail="The results archive answered HTTP %s." % status)
                    raise error
                for block in response.iter_content(1024 * 1024):
                    spool.write(block)
        except requests.exceptions.RequestException as exc:
            error = error_from_exception(exc)
            raise error from exc
        finally:
            client._record("batches.results", "GET", url.split("?")[0][-120:], status, started, error)
        spool.seek(0)
        try:
            archive = tarfile.open(fileobj=spool, mode="r:gz")
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise MailchimpConnectionError(title="Unreadable results", detail="The results archive is not a "
                                           "readable tar.gz (%s); it is downloaded again." % exc) from exc
        with archive:
            for member in archive:
                if not member.isfile() or not member.name.endswith(".json"):
                    continue
                yield from _entries(archive, member)
    finally:
        spool.close()


def _entries(archive, member) -> List[dict]:
    """One results file as well-typed entries. Anything else is an unreadable archive: a transient
    error, so the full sync downloads it again and gives up after ``MAX_DOWNLOAD_FAILURES``."""
    try:
        data = json.load(archive.extractfile(member))
        if not isinstance(data, list):
            raise ValueError("a results file holds %s, not an array" % type(data).__name__)
        entries = []
        for entry in data:
            if not isinstance(entry, dict):
                raise ValueError("a result is %s, not an object" % type(entry).__name__)
            text = entry.get("response")
            if text is not None and not isinstance(text, str):
                text = json.dumps(text)  # Mailchimp encodes it once more; take a decoded one as it is
            entries.append({"operation_id": str(entry.get("operation_id") or ""),
                            "status_code": int(entry.get("status_code") or 0), "text": text or ""})
        return entries
    except (ValueError, TypeError, tarfile.TarError, EOFError, OSError) as exc:
        raise MailchimpConnectionError(title="Unreadable results", detail="The results file %s is not what "
                                       "Mailchimp writes (%s); it is downloaded again." % (member.name, exc)) from exc

"""Outgoing webhooks: list-event payloads, URL validation and delivery.

Payloads follow the real service: a form-encoded POST (not JSON) with ``type``, ``fired_at``
("YYYY-MM-DD HH:MM:SS") and PHP-style ``data[...]`` keys, User-Agent "MailChimp.com"; creation
of a webhook is validated with a bare GET, User-Agent "MailChimp.com WebHook Validator".

Safety decision: the default sender only ever connects to loopback. A URL's host must be a
loopback literal, ``localhost``, or a name mapped in ``emu.resolve_hosts`` (which keeps the
original Host header); anything else fails like an unreachable URL. A mapped ``https`` URL is
sent as plain http, since local shop servers do not speak TLS.
"""
import copy
import ipaddress
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlencode, urlsplit, urlunsplit

from .http import ApiError, fired_at, not_found, now_iso, subscriber_hash

DELIVERY_UA = "MailChimp.com"
VALIDATOR_UA = "MailChimp.com WebHook Validator"
TIMEOUT_SECONDS = 10
Outbox = List[Tuple[str, Dict[str, str], str]]


def flatten(data: Dict[str, Any], prefix: str = "data") -> Dict[str, str]:
    """PHP-style form keys: {"merges": {"FNAME": "A"}} -> {"data[merges][FNAME]": "A"}."""
    flat: Dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}[{key}]"
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        elif isinstance(value, list):
            flat.update(flatten({str(i): item for i, item in enumerate(value)}, name))
        elif isinstance(value, bool):
            flat[name] = "1" if value else "0"
        else:
            flat[name] = "" if value is None else str(value)
    return flat


def build_payload(event_type: str, data: Dict[str, Any]) -> Dict[str, str]:
    """The form fields of one webhook POST."""
    payload = {"type": event_type, "fired_at": fired_at()}
    payload.update(flatten(data))
    return payload


def _interest_names(lst: Dict[str, Any], member: Dict[str, Any]) -> Tuple[str, List[Dict[str, Any]]]:
    names: List[str] = []
    groupings = []
    for category in lst["interest_categories"].values():
        chosen = [i["name"] for i_id, i in category["interests"].items() if member["interests"].get(i_id)]
        names.extend(chosen)
        groupings.append({"id": category["id"], "unique_id": category["id"], "name": category["title"],
                          "groups": ",".join(chosen)})
    return ",".join(names), groupings


def member_data(lst: Dict[str, Any], member: Dict[str, Any]) -> Dict[str, Any]:
    """The ``data[...]`` of subscribe, profile and unsubscribe events."""
    merges: Dict[str, Any] = {"EMAIL": member["email_address"]}
    merges.update(copy.deepcopy(member["merge_fields"]))
    interests, groupings = _interest_names(lst, member)
    if groupings:
        merges["INTERESTS"] = interests
        merges["GROUPINGS"] = groupings
    return {"id": member["id"], "list_id": lst["id"], "email": member["email_address"],
            "email_type": member.get("email_type", "html"), "web_id": member.get("web_id", ""),
            "ip_opt": member.get("ip_opt", ""), "ip_signup": member.get("ip_signup", ""), "merges": merges}


def upemail_data(lst: Dict[str, Any], old_email: str, member: Dict[str, Any]) -> Dict[str, Any]:
    """The ``data[...]`` of an upemail event."""
    return {"list_id": lst["id"], "new_id": member["id"], "new_email": member["email_address"], "old_email": old_email}


def cleaned_data(lst: Dict[str, Any], member: Dict[str, Any], reason: str = "hard",
                 campaign_id: str = "") -> Dict[str, Any]:
    """The ``data[...]`` of a cleaned event."""
    return {"list_id": lst["id"], "campaign_id": campaign_id, "reason": reason, "email": member["email_address"]}


def queue_event(emu: Any, outbox: Outbox, lst: Dict[str, Any], event_type: str, source: str,
                data: Dict[str, Any]) -> None:
    """Queue a POST to every list webhook subscribed to this event type and source."""
    payload = None
    for hook in lst["webhooks"].values():
        if hook["events"].get(event_type) and hook["sources"].get(source):
            payload = payload or build_payload(event_type, data)
            outbox.append((hook["url"], payload, event_type))


def queue_member_event(emu: Any, outbox: Outbox, lst: Dict[str, Any], member: Dict[str, Any], event_type: str,
                       source: str, extra: Optional[Dict[str, Any]] = None) -> None:
    """Queue a subscribe / profile / unsubscribe event for a member."""
    data = member_data(lst, member)
    data.update(extra or {})
    queue_event(emu, outbox, lst, event_type, source, data)


def apply_external_event(emu: Any, list_id: str, event_type: str, email: str, source: str,
                         data: Dict[str, Any]) -> Outbox:
    """Apply a change made outside the API (form, unsubscribe link, bounce) and queue its webhooks.

    ``source`` is the webhook source ("user": the person; "admin": the Mailchimp UI; "api"). An
    ``unsubscribe`` records it as the member's ``unsubscribed_by`` ("person", "admin", "api");
    ``subscribe`` and ``cleaned`` clear it. 404 if the list, or (except for subscribe) the member,
    is unknown.
    """
    lst = emu.lists.get(list_id)
    if lst is None:
        raise not_found()
    from .members import UNSUBSCRIBED_BY_SOURCE, clear_unsubscribed, mark_unsubscribed
    outbox: Outbox = []
    member = lst["members"].get(subscriber_hash(email))
    if member is None and event_type != "subscribe":
        raise not_found()
    now = now_iso()
    if event_type == "subscribe":
        if member is None:
            from .members import _new_member
            member = _new_member(lst, email, emu)
            member["source"] = "Hosted Signup Form"
            lst["members"][member["id"]] = member
        member.update({"status": "subscribed", "last_changed": now, "timestamp_opt": now})
        # The person (re-)subscribing through a form or confirming a re-confirmation email lifts
        # any earlier unsubscribe, whoever made it.
        clear_unsubscribed(member)
        member["merge_fields"].update(data.get("merges") or {})
        queue_member_event(emu, outbox, lst, member, "subscribe", source)
    elif event_type == "unsubscribe":
        # Who unsubscribed decides whether the API may re-subscribe (see members.in_compliance_state);
        # an "api"-source event never downgrades an unsubscribe the person (or an admin) made.
        by = UNSUBSCRIBED_BY_SOURCE.get(source, "person")
        if by == "api" and member["status"] == "unsubscribed" and member.get("unsubscribed_by") != "api":
            by = member.get("unsubscribed_by") or "person"
        member.update({"status": "unsubscribed", "last_changed": now})
        mark_unsubscribed(member, by)
        queue_member_event(emu, outbox, lst, member, "unsubscribe", source, {
            "action": data.get("action", "unsub"), "reason": data.get("reason", "manual"),
            "campaign_id": data.get("campaign_id", "")})
    elif event_type == "cleaned":
        member.update({"status": "cleaned", "last_changed": now})
        clear_unsubscribed(member)  # cleaned is a compliance state by itself
        queue_event(emu, outbox, lst, "cleaned", source, cleaned_data(
            lst, member, data.get("reason", "hard"), data.get("campaign_id", "")))
    elif event_type == "profile":
        member["merge_fields"].update(data.get("merges") or {})
        member["interests"].update(data.get("interests") or {})
        member["last_changed"] = now
        queue_member_event(emu, outbox, lst, member, "profile", source)
    elif event_type == "upemail":
        new_email = data.get("new_email")
        if not new_email:
            raise ApiError(400, detail="upemail needs new_email.")
        old_email = member["email_address"]
        del lst["members"][member["id"]]
        member.update({"email_address": new_email, "id": subscriber_hash(new_email), "last_changed": now})
        lst["members"][member["id"]] = member
        queue_event(emu, outbox, lst, "upemail", source, upemail_data(lst, old_email, member))
    elif event_type == "campaign":
        queue_event(emu, outbox, lst, "campaign", source, dict(
            {"id": "", "subject": "", "status": "sent", "reason": "", "list_id": list_id}, **data))
    else:
        raise ApiError(400, detail=f"Unknown webhook event type {event_type!r}.")
    return outbox


def validate_url(emu: Any, url: str) -> Tuple[Optional[int], Optional[str]]:
    """Send the validator GET; return (status, error)."""
    try:
        status = emu.webhook_sender("GET", url, None, {"User-Agent": VALIDATOR_UA})
    except Exception as exc:  # noqa: BLE001 -- any transport failure means "unreachable"
        return None, f"{type(exc).__name__}: {exc}"
    return status, None if 200 <= status < 300 else f"HTTP {status}"


def ensure_valid_url(emu: Any, ctx: Any, url: str) -> None:
    """400 unless the validation GET of ``url`` answered 2xx (reuses the pre-lock GET if made)."""
    status, error = ctx.validated_urls.get(url) or validate_url(emu, url)
    if error:
        raise ApiError(400, "Invalid Resource",
                       f"The URL '{url}' did not return a valid response to our validation request ({error}).",
                       [{"field": "url", "message": "The webhook URL could not be validated."}])


def deliver_all(emu: Any, outbox: Outbox) -> List[Dict[str, Any]]:
    """POST each queued event; record and return the delivery records."""
    records = []
    for url, data, event_type in outbox:
        record: Dict[str, Any] = {"url": url, "method": "POST", "status": None, "error": None,
                                  "type": event_type, "data": data}
        try:
            record["status"] = emu.webhook_sender("POST", url, data, {
                "User-Agent": DELIVERY_UA, "Content-Type": "application/x-www-form-urlencoded"})
            if not 200 <= record["status"] < 300:
                record["error"] = f"HTTP {record['status']}"
        except Exception as exc:  # noqa: BLE001 -- recorded, like Mailchimp's retry queue would
            record["error"] = f"{type(exc).__name__}: {exc}"
        emu.webhook_deliveries.append(record)
        records.append(record)
    return records


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DefaultSender:
    """Sends with urllib (never ``requests``, so ``responses`` cannot intercept it), loopback only."""

    def __init__(self, emu: Any) -> None:
        self.emu = emu
        # No proxies: a loopback call must never leave the machine through $http_proxy.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __call__(self, method: str, url: str, data: Optional[Dict[str, str]], headers: Dict[str, str]) -> int:
        """Send one request; return the HTTP status (raises on connection errors)."""
        parts = urlsplit(url)
        headers = dict(headers)
        target = self.emu.resolve_hosts.get(parts.netloc) or self.emu.resolve_hosts.get(parts.hostname or "")
        if target:
            headers["Host"] = parts.netloc
            url = urlunsplit(("http", target, parts.path or "/", parts.query, ""))
        elif not _is_loopback(parts.hostname or ""):
            raise ConnectionError(f"{parts.hostname} is not loopback and not in resolve_hosts")
        body = urlencode(data).encode("utf-8") if data is not None else None
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

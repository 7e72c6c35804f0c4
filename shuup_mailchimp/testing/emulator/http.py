"""HTTP-level helpers of the emulator: problem-details errors, query parsing, pagination, fields.

Errors are raised as :class:`ApiError` anywhere inside a handler and turned into an
``application/problem+json`` body by the dispatcher, exactly like the real API's error model
(type, title, status, detail, instance, optional ``errors[{field, message}]``).
"""
import copy
import datetime
import hashlib
import re
import uuid
from typing import Any, Dict, Iterable, List, Optional, Tuple
from urllib.parse import parse_qsl

ERROR_DOC_URL = "https://mailchimp.com/developer/marketing/docs/errors/"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# Mailchimp rejects these domains as "looks fake or invalid".
FAKE_DOMAINS = {"example.com", "example.org", "example.net", "test.com"}
STANDARD_DETAILS = {
    400: ("Bad Request", "Your request could not be processed."),
    401: ("API Key Invalid", "Your API key may be invalid, or you've attempted to access the wrong datacenter."),
    403: ("Forbidden", "You don't have permission to access this resource."),
    404: ("Resource Not Found", "The requested resource could not be found."),
    405: ("Method Not Allowed", "The requested method and resource are not compatible. See the Allow header."),
    429: ("Too Many Requests", "You have exceeded the limit of 10 simultaneous connections."),
    500: ("Internal Server Error", "An unexpected internal error has occurred. Please contact Support for more information."),
    503: ("Service Unavailable", "This method has been disabled."),
}
INVALID_RESOURCE_DETAIL = (
    "The resource submitted could not be validated. For field-specific details, see the 'errors' array."
)
DEFAULT_COUNT = 10
MAX_COUNT = 1000


class ApiError(Exception):
    """An API error that the dispatcher renders as a problem document."""

    def __init__(self, status: int, title: Optional[str] = None, detail: Optional[str] = None,
                 errors: Optional[List[Dict[str, str]]] = None) -> None:
        default_title, default_detail = STANDARD_DETAILS.get(status, ("Error", ""))
        self.status = status
        self.title = title or default_title
        self.detail = detail if detail is not None else default_detail
        self.errors = errors
        super().__init__(f"{status} {self.title}: {self.detail}")


def not_found() -> ApiError:
    """The real API's 404 for any unknown id at any nesting level."""
    return ApiError(404)


def get_or_404(container: Dict[str, Any], key: str) -> Any:
    """``container[key]``, or Mailchimp's 404 problem."""
    if key not in container:
        raise not_found()
    return container[key]


def bad_request(detail: str, title: str = "Bad Request") -> ApiError:
    """A 400 with a specific detail (e-commerce errors use title "Bad Request")."""
    return ApiError(400, title, detail)


def already_exists(what: str) -> ApiError:
    """The wording seen in the wild for a duplicate e-commerce id (mc-magento greps "already exists")."""
    return bad_request(f"We were unable to process the request. {what} already exists in the account.")


def invalid_resource(detail: str = INVALID_RESOURCE_DETAIL, errors: Optional[List[Dict[str, str]]] = None) -> ApiError:
    """400 "Invalid Resource", the validation error of the real API."""
    return ApiError(400, "Invalid Resource", detail, errors)


def require_fields(body: Dict[str, Any], names: Iterable[str], allow_blank: bool = False) -> None:
    """Raise 400 Invalid Resource listing every missing (or, unless ``allow_blank``, empty) required field."""
    blank = (None,) if allow_blank else (None, "")
    missing = [name for name in names if not isinstance(body, dict) or body.get(name) in blank]
    if missing:
        raise invalid_resource(errors=[{"field": name, "message": "This value should not be blank."} for name in missing])


def problem_body(error: ApiError) -> Dict[str, Any]:
    """The problem-details document of an error."""
    body = {"type": ERROR_DOC_URL, "title": error.title, "status": error.status,
            "detail": error.detail, "instance": str(uuid.uuid4())}
    if error.errors:
        body["errors"] = error.errors
    return body


def now_iso() -> str:
    """Timestamp in the API's format, e.g. 2015-10-21T15:41:36+00:00."""
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def fired_at() -> str:
    """Webhook timestamp format "YYYY-MM-DD HH:MM:SS" (not ISO 8601)."""
    return datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S")


def new_id(length: int = 10) -> str:
    """A random hex id like the API's list, webhook and batch ids."""
    return uuid.uuid4().hex[:length]


def subscriber_hash(email: str) -> str:
    """md5 of the lowercased email, with no strip (as mailchimp3 and the API do)."""
    return hashlib.md5(email.lower().encode("utf-8")).hexdigest()


def path_member_hash(value: str) -> str:
    """Accept a subscriber hash or a raw email in a path segment."""
    if re.match(r"^[0-9a-f]{32}$", value):
        return value
    return subscriber_hash(value)


def check_email(email: Any) -> str:
    """Validate an address like the API does, raising 400 Invalid Resource "looks fake or invalid"."""
    if not isinstance(email, str) or not EMAIL_RE.match(email) or email.rsplit("@", 1)[1].lower() in FAKE_DOMAINS:
        raise invalid_resource(f"{email} looks fake or invalid, please enter a real email address.",
                               [{"field": "email_address", "message": "This value should be a valid email."}])
    return email


def parse_query(query_string: str) -> Dict[str, str]:
    """Parse a query string into a flat dict (the last value wins)."""
    return dict(parse_qsl(query_string or "", keep_blank_values=True))


def as_bool(value: Any) -> bool:
    """Read a boolean from a query value or JSON: mailchimp3 sends "True"/"False"."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def paginate(items: List[Any], query: Dict[str, str]) -> Tuple[List[Any], int]:
    """Slice ``items`` with ``count`` (default 10, max 1000) and ``offset``; return (page, total_items)."""
    try:
        count = int(query.get("count", DEFAULT_COUNT))
        offset = int(query.get("offset", 0))
    except ValueError:
        raise invalid_resource(errors=[{"field": "count", "message": "This value should be an integer."}])
    count = max(0, min(count, MAX_COUNT))
    offset = max(0, offset)
    return items[offset:offset + count], len(items)


def collection(key: str, items: List[Any], query: Dict[str, str], **extra: Any) -> Dict[str, Any]:
    """A paginated collection response ``{key: [...], total_items, _links}``."""
    page, total = paginate(items, query)
    body = {key: page}
    body.update(extra)
    body["total_items"] = total
    body["_links"] = []
    return body


def _path_tree(spec: str) -> Dict[str, Any]:
    tree: Dict[str, Any] = {}
    for path in filter(None, (part.strip() for part in spec.split(","))):
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if node is True:
                break
        else:
            node[parts[-1]] = True
    return tree


def _include(value: Any, tree: Any) -> Any:
    if tree is True:
        return value
    if isinstance(value, list):
        return [_include(item, tree) for item in value]
    if isinstance(value, dict):
        return {key: _include(value[key], sub) for key, sub in tree.items() if key in value}
    return value


def _exclude(value: Any, tree: Any) -> Any:
    if isinstance(value, list):
        return [_exclude(item, tree) for item in value]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            sub = tree.get(key)
            if sub is True:
                continue
            result[key] = _exclude(item, sub) if sub else item
        return result
    return value


def apply_fields(body: Any, query: Dict[str, str]) -> Any:
    """Honour ``fields`` and ``exclude_fields`` (comma lists of dot paths) on a response body."""
    if not isinstance(body, dict):
        return body
    if query.get("fields"):
        body = _include(body, _path_tree(query["fields"]))
    if query.get("exclude_fields"):
        body = _exclude(body, _path_tree(query["exclude_fields"]))
    return body


def deep_merge(target: Dict[str, Any], update: Dict[str, Any]) -> Dict[str, Any]:
    """Merge ``update`` into ``target`` recursively (PATCH semantics for nested objects)."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def public(resource: Dict[str, Any], hidden: Iterable[str]) -> Dict[str, Any]:
    """A deep copy of a stored resource without its sub-collections or private keys."""
    hidden = set(hidden)
    return {key: copy.deepcopy(value) for key, value in resource.items() if key not in hidden}

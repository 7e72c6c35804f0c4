"""The small tables the hostile-input tests are generated from (``test_hostile_input.py``).

Data only, no Django import: ``bench/reliability/hostile_input.py`` reads the secrets and the
personal data the tests use from here, so the secrets scan knows what must never leak.

Written from the dangerous side: where the real Mailchimp and our emulator may differ (unicode
addresses, very long names), a case accepts either a sync or a failure *with a reason*, and
never an exception out of a shop save, a silent drop or an endless retry. The real API wins.
"""

#: The API key the hostile tests configure (distinctive: the scan also looks for its hex part).
API_KEY = "7e3a91c5d2b84f06a1c9e5d3b7f20a48-us1"
#: A second, well-formed key that the emulator no longer accepts ("revoked" in Mailchimp).
REVOKED_KEY = "b1d4e7a0c3f6092583b6e9d2a5c8f1e4-us1"
#: A well-formed key of another data centre (Mailchimp: 401 "API Key Invalid").
WRONG_DC_KEY = "c4f7a0d3b6e9f2c5a8d1b4e7c0f3a6d9-us9"
#: The shop's webhook token (goes in the webhook URL only).
WEBHOOK_SECRET = "Zq4Wt9-whk-Lm7Rk0Tb5Jp8Wc3Ny6Xv2"

SECRETS = (API_KEY, REVOKED_KEY, WRONG_DC_KEY, WEBHOOK_SECRET)

# --- emails ----------------------------------------------------------------------------------
#: Differ from a valid address only in case or surrounding white space: synced, under the
#: normalized (trimmed, lowercased) subscriber hash.
NORMALIZABLE_EMAILS = {
    "mixed-case": "Hostile.Anna@Mailbox.org",
    "upper-case": "HOSTILE.ANNA@MAILBOX.ORG",
    "leading-spaces": "   hostile.anna@mailbox.org",
    "trailing-spaces": "hostile.anna@mailbox.org   ",
    "tabs-newlines": "\thostile.anna@mailbox.org\r\n",
    "plus-tag": "hostile.anna+shop@mailbox.org",
    "apostrophe": "hostile.o'reilly@mailbox.org",
    "punycode-domain": "hostile.anna@xn--mller-kva.de",
    "subdomain": "hostile.anna@mail.sub.mailbox.co.uk",
    "digits-dashes": "hostile-1234_x@mail-box.org",
}

#: Mailchimp refuses these (400 Invalid Resource "looks fake or invalid"): failed, with a reason,
#: not retried.
INVALID_EMAILS = {
    "no-at": "hostile.anna.mailbox.org",
    "no-domain": "hostile.anna@",
    "no-local-part": "@mailbox.org",
    "inner-space": "hostile anna@mailbox.org",
    "double-at": "hostile@@mailbox.org",
    "no-tld": "hostile.anna@mailbox",
    "trailing-dot": "hostile.anna@mailbox.",
    "two-addresses": "hostile.anna@mailbox.org, other@mailbox.org",
    "angle-brackets": "Anna <hostile.anna@mailbox.org> x",
    "fake-domain": "hostile.anna@example.com",
    "only-at": "@",
    "newline-inside": "hostile.anna@mail\nbox.org",
}

#: The real API and the emulator may disagree (unicode local parts, control characters, very long
#: addresses): synced under the normalized hash, or failed with a reason; never stuck, never raised.
UNCERTAIN_EMAILS = {
    "unicode-local": "jörg.hostile@mailbox.org",
    "unicode-domain": "hostile@müller.de",
    "cjk": "用户hostile@例子.广告",
    "rtl-override": "\u202ehostile.anna@mailbox.org",
    "arabic": "مستخدم.hostile@mailbox.org",
    "null-byte-inside": "hostile\x00anna@mailbox.org",
    "null-byte-end": "hostile.anna@mailbox.org\x00",
    "zero-width": "hostile\u200banna@mailbox.org",
    "dotless-i-upper": "HOSTİLE@mailbox.org",
    "long-local": "h" * 200 + "@mailbox.org",
    "long-domain": "hostile@" + "d" * 250 + ".org",
    "short-tld": "h@b.c",
    "quoted-local": '"hostile anna"@mailbox.org',
    "ip-domain": "hostile@[192.168.1.1]",
}

#: No address at all: the contact is not sent (a note says why), the save succeeds.
EMPTY_EMAILS = {"empty": "", "spaces": "   ", "newline": "\n"}

#: Two contacts whose addresses differ only in case or spaces: one Mailchimp member.
SAME_MEMBER_PAIRS = {
    "case": ("Twin.Hostile@Mailbox.org", "twin.hostile@mailbox.org"),
    "spaces": ("twin.hostile@mailbox.org", "  twin.hostile@mailbox.org "),
    "case-and-spaces": ("TWIN.HOSTILE@MAILBOX.ORG\t", " twin.hostile@mailbox.org"),
    "domain-case": ("twin.hostile@MAILBOX.org", "twin.hostile@mailbox.ORG"),
}

#: One contact's address edited only in case / spaces: still the same member, nothing moves.
EMAIL_EDITS = {
    "to-upper": ("edit.hostile@mailbox.org", "EDIT.HOSTILE@MAILBOX.ORG"),
    "add-spaces": ("edit.hostile@mailbox.org", " edit.hostile@mailbox.org  "),
    "to-mixed": ("EDIT.hostile@mailbox.org", "edit.HOSTILE@mailbox.org"),
}

# --- names -------------------------------------------------------------------------------------
HOSTILE_NAMES = {
    "huge": ("H" * 10000, "Hostile"),
    "huge-last": ("Hostile", "L" * 5000),
    "null-bytes": ("Hos\x00tile", "Na\x00me"),
    "rtl-override": ("\u202eelitsoH", "\u202bשלום\u202c"),
    "arabic": ("مرحبا", "عالم"),
    "emoji": ("🦜🏴‍☠️", "👩‍👩‍👧‍👦"),
    "zero-width": ("Hos\u200btile", "\ufeffName"),
    "combining": ("Ho\u0301\u0302\u0303stile", "Z\u0336\u0337a\u0338"),
    "crlf-injection": ("Hostile\r\nX-Injected: yes", "Name\n\nBody"),
    "html-script": ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>"),
    "sql": ("'; DROP TABLE shuup_contact; --", "\" OR 1=1 --"),
    "format-strings": ("%s %d %(name)s", "{0} {email} %%"),
    "only-spaces": ("   ", "\t"),
    "control-chars": ("\x01\x02\x07\x1b[31mred", "\x7f\x08"),
    "long-word-unicode": ("ß" * 300, "İ" * 300),
}

# --- API keys ----------------------------------------------------------------------------------
#: (key, what Mailchimp / the client answers). Each ends failed with that reason, after one attempt.
BAD_KEYS = {
    "revoked": (REVOKED_KEY, "API Key Invalid"),
    "wrong-datacenter": (WRONG_DC_KEY, "API Key Invalid"),
    "not-a-key": ("not-a-key", "API Key Invalid"),
    "too-short": ("0123abcd-us1", "API Key Invalid"),
    "upper-case-hex": (API_KEY.upper(), "API Key Invalid"),
    "no-datacenter": (API_KEY.split("-")[0], "API Key Invalid"),
    "inner-space": (API_KEY.replace("-", " -"), "API Key Invalid"),
    "unicode-datacenter": (API_KEY.split("-")[0] + "-us1\u20ac", "API Key Invalid"),
    "null-byte": (API_KEY.split("-")[0] + "-us1\x00", "API Key Invalid"),
    "empty": ("", "Configuration"),
}

# --- Mailchimp's odd answers -------------------------------------------------------------------
#: name -> (body, content type). Proxies, load balancers and outages answer like this.
ODD_BODIES = {
    "html": ("<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    "empty": ("", None),
    "truncated-json": ('{"id": "4f1a", "email_address": "hostile.anna@mail', "application/json"),
    "garbage": ("\x00\xff\xfe garbage \u202e ]]>", "application/json"),
    "json-list": ("[1, 2, 3]", "application/json"),
    "json-string": ('"Everything is fine"', "application/json"),
    "json-null": ("null", "application/json"),
    "huge-html": ("<html>" + "<p>Service unavailable</p>" * 20000 + "</html>", "text/html"),
    "key-echo-html": ("<html>Unauthorized key %s</html>" % API_KEY, "text/html"),
}
#: Error statuses and the class of error the client must raise for a body that is no problem document.
ERROR_STATUSES = {
    400: ("MailchimpPermanentError", False),
    401: ("MailchimpAuthError", False),
    403: ("MailchimpRateLimitError", True),  # bodiless 403: Mailchimp's rate limiting at volume
    404: ("MailchimpNotFoundError", False),
    405: ("MailchimpPermanentError", False),
    422: ("MailchimpPermanentError", False),
    429: ("MailchimpRateLimitError", True),
    500: ("MailchimpTransientError", True),
    502: ("MailchimpTransientError", True),
    503: ("MailchimpTransientError", True),
    504: ("MailchimpTransientError", True),
}
SUCCESS_STATUSES = (200, 201)

# --- webhooks ----------------------------------------------------------------------------------
#: Tokens that must not open the webhook (all 404, nothing stored).
WRONG_TOKENS = {
    "random": "x" * 20,
    "one-char-off": WEBHOOK_SECRET[:-1] + ("a" if WEBHOOK_SECRET[-1] != "a" else "b"),
    "prefix": WEBHOOK_SECRET[:-4],
    "suffix-added": WEBHOOK_SECRET + "x",
    "upper-case": WEBHOOK_SECRET.upper(),
    "lower-case": WEBHOOK_SECRET.lower(),
    "reversed": WEBHOOK_SECRET[::-1],
    "unicode": "tökén-ßecret-値",
    "url-encoded-space": "%20" + WEBHOOK_SECRET,
    "dots": "..",
    "sql": "' OR '1'='1",
    "long": "t" * 600,
}

#: Forms that are not a Mailchimp event: 400, the raw row kept, nothing applied. ``{email}`` and
#: ``{list_id}`` are filled in with the shop's real contact and audience.
MALFORMED_FORMS = {
    "empty": {},
    "no-type": {"data[email]": "{email}", "data[list_id]": "{list_id}"},
    "unknown-type": {"type": "delete_everything", "data[email]": "{email}", "data[list_id]": "{list_id}"},
    "type-array": {"type[]": "unsubscribe", "data[email]": "{email}", "data[list_id]": "{list_id}"},
    "no-data": {"type": "unsubscribe", "fired_at": "2026-01-01 10:00:00"},
    "data-not-a-group": {"type": "unsubscribe", "data": "x"},
    "wrong-list": {"type": "unsubscribe", "data[email]": "{email}", "data[list_id]": "someone-elses-list"},
    "no-list": {"type": "unsubscribe", "data[email]": "{email}"},
    "no-email": {"type": "unsubscribe", "data[list_id]": "{list_id}"},
    "email-without-at": {"type": "unsubscribe", "data[email]": "not-an-address", "data[list_id]": "{list_id}"},
    "email-group": {"type": "unsubscribe", "data[email][x]": "{email}", "data[list_id]": "{list_id}"},
    "bad-fired-at": {"type": "unsubscribe", "fired_at": "yesterday", "data[email]": "{email}",
                     "data[list_id]": "{list_id}"},
    "iso-fired-at": {"type": "unsubscribe", "fired_at": "2026-01-01T10:00:00Z", "data[email]": "{email}",
                     "data[list_id]": "{list_id}"},
    "upemail-no-new": {"type": "upemail", "data[old_email]": "{email}", "data[list_id]": "{list_id}"},
    "upemail-bad-new": {"type": "upemail", "data[old_email]": "{email}", "data[new_email]": "nope",
                        "data[list_id]": "{list_id}"},
    "value-and-group": {"type": "unsubscribe", "data[email]": "{email}", "data[email][0]": "x",
                        "data[list_id]": "{list_id}"},
}

#: Raw bodies (not forms): (content type, body). 400, kept raw.
MALFORMED_BODIES = {
    "json-instead-of-form": ("application/json", '{"type": "unsubscribe", "data": {"email": "a@b.co"}}'),
    "truncated-json": ("application/json", '{"type": "unsubscr'),
    "binary": ("application/octet-stream", "\x00\x01\x02\xff"),
    "xml": ("text/xml", "<?xml version='1.0'?><event type='unsubscribe'/>"),
    "multipart-no-boundary": ("multipart/form-data", "--x\r\nContent-Disposition: form-data; name=type\r\n\r\nx"),
    "multipart-bad-boundary": ("multipart/form-data; boundary=", "garbage"),
    "form-bad-percent": ("application/x-www-form-urlencoded", "type=%ZZ&data%5Bemail%5D=%E0%A4%A"),
    "form-latin1-bytes": ("application/x-www-form-urlencoded", "type=unsubscribe&data[email]=j\xf6rg@x.de"),
}

#: Bodies over the limit (64 KiB): 413, nothing stored.
OVERSIZED = {"just-over": 64 * 1024 + 1, "one-mib": 1024 * 1024, "three-mib": 3 * 1024 * 1024}

#: Well-formed events with hostile values: 200, stored, applied or refused with a reason.
HOSTILE_EVENT_VALUES = {
    "huge-fname": {"data[merges][FNAME]": "F" * 30000},
    "rtl-fname": {"data[merges][FNAME]": "\u202eanna"},
    "null-byte-fname": {"data[merges][FNAME]": "An\x00na"},
    "html-fname": {"data[merges][FNAME]": "<script>alert(1)</script>"},
    "emoji-lname": {"data[merges][LNAME]": "🦜" * 100},
    "huge-interests": {"data[merges][INTERESTS]": ",".join("Group %d" % n for n in range(2000))},
}

#: Personal data the tests put in contacts (checked at INFO and above in the log output).
PERSONAL = sorted(
    {e.strip() for e in list(NORMALIZABLE_EMAILS.values()) + list(INVALID_EMAILS.values())
     + list(UNCERTAIN_EMAILS.values()) if len(e.strip()) >= 6 and "\x00" not in e}
    | {e.strip() for pair in list(SAME_MEMBER_PAIRS.values()) + list(EMAIL_EDITS.values()) for e in pair}
    | {n for pair in HOSTILE_NAMES.values() for n in pair if len(n.strip()) >= 6 and "\x00" not in n}
    | {"hostile.person@mailbox.org", "hostile.key@mailbox.org", "hostile.odd@mailbox.org", "hostile.hook@mailbox.org",
       "hostile.secret@mailbox.org", "hostile.bad@example.com", "Hostilia", "Personova", "Invalidova"}
)



def enable_shop(emulator, shop, audience_id):
    """The shop's settings on these tables' key and webhook secret, enabled; the emulator accepts only that key."""
    from shuup_mailchimp.models import MailchimpShopSettings

    emulator.valid_keys = {API_KEY}
    shop_settings = MailchimpShopSettings.for_shop(shop)
    shop_settings.api_key, shop_settings.audience_id = API_KEY, audience_id
    shop_settings.webhook_secret, shop_settings.enabled = WEBHOOK_SECRET, True
    shop_settings.save()
    return shop_settings

def test_the_tables_make_enough_cases():
    assert len(NORMALIZABLE_EMAILS) + len(INVALID_EMAILS) + len(UNCERTAIN_EMAILS) >= 30
    assert len(ERROR_STATUSES) * len(ODD_BODIES) + len(SUCCESS_STATUSES) * len(ODD_BODIES) >= 100

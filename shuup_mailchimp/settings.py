"""Static settings of shuup_mailchimp, with their defaults.

Shuup collects this module (see ``shuup.apps.settings``): every name below can be overridden
in the Django settings module and is read through :mod:`shuup_mailchimp.app_settings`.
Per-shop configuration (API key, audience, store) lives in ``MailchimpShopSettings``.
"""

#: Base URL of the Mailchimp Marketing API, e.g. ``http://127.0.0.1:8765/3.0/`` for the
#: local emulator. ``None`` means Mailchimp itself: ``https://<dc>.api.mailchimp.com/3.0/``
#: with the data centre taken from the API key. ``{dc}`` in the value is replaced by it.
SHUUP_MAILCHIMP_API_URL = None

#: Seconds to wait for Mailchimp to connect and to answer one call.
#: mailchimp3 waits forever by default; Mailchimp's own limit is 120 s.
SHUUP_MAILCHIMP_TIMEOUT = (5.0, 30.0)

#: How many times one outbox item is attempted before it is marked failed. With the delays
#: below (30 s doubling, capped at 1 h, each 50-100% of that), 32 attempts ride out an outage
#: of at least 12.5 hours; permanent errors (a refused email, say) still fail at the first.
SHUUP_MAILCHIMP_MAX_ATTEMPTS = 32

#: First retry delay in seconds; each later one doubles (with jitter), capped below.
SHUUP_MAILCHIMP_RETRY_BASE_DELAY = 30

#: Longest delay between two attempts of one item, in seconds.
SHUUP_MAILCHIMP_RETRY_MAX_DELAY = 3600

#: Seconds a worker owns an item it claimed without renewing its claim. The owner renews it
#: before every Mailchimp call, so this must exceed one call's whole budget: the connect and
#: read time-outs plus the wait for a free connection slot (up to 120 s). Only after this
#: long without a word is the item taken over by another worker (its owner died).
SHUUP_MAILCHIMP_CLAIM_LEASE = 300

#: Mailchimp allows 10 simultaneous connections per API key; stay at or below it.
SHUUP_MAILCHIMP_MAX_CONCURRENT_REQUESTS = 10

#: Redis URL where all worker processes share those slots (e.g. your Celery Redis broker).
#: ``None``: each process limits itself, so keep Celery's worker concurrency at 10 or less.
SHUUP_MAILCHIMP_SLOTS_REDIS_URL = None

#: Days to keep ``MailchimpLogEntry`` rows; ``mailchimp_cleanup_logs`` deletes older ones.
#: ``None`` keeps them forever.
SHUUP_MAILCHIMP_LOG_RETENTION_DAYS = 30

#: How many due outbox items one processing run takes at most.
SHUUP_MAILCHIMP_PROCESS_BATCH_SIZE = 200

#: Seconds between two periodic "process due items" runs, which pick up retries whose backoff
#: has passed: the Celery beat entry (``shuup_mailchimp.tasks.BEAT_SCHEDULE``) and, without a
#: broker, the background worker thread when no save wakes it earlier.
SHUUP_MAILCHIMP_PROCESS_INTERVAL = 60

#: How sync work recorded by a request is sent after its commit (no request ever waits on Mailchimp
#: except with ``"inline"``):
#:
#: - ``"celery"``: a delayed Celery task (one per ``TASK_COUNTDOWN`` window and process); needs a
#:   worker and beat (see ``BEAT_SCHEDULE``);
#: - ``"background"``: a daemon thread of the saving process (``shuup_mailchimp.runner``) sends it
#:   after the response; work it has not taken stays pending in the outbox if the process dies,
#:   and at a normal exit the thread finishes the item in flight and stops;
#: - ``"inline"``: synchronously after commit, in the saving thread (tests, scripts).
#:
#: ``None`` means ``"celery"`` when ``CELERY_BROKER_URL`` is set, else ``"background"``.
#: Replaces the boolean ``SHUUP_MAILCHIMP_RUN_IN_PROCESS`` (deprecated; if set and this is not,
#: ``True`` still means ``"inline"`` and ``False`` ``"celery"``). ``manage.py mailchimp_sync`` and
#: the Celery tasks always process synchronously, whatever this says.
SHUUP_MAILCHIMP_DISPATCH = None

#: Prefix for generated eCommerce store ids; an installation-unique token and the shop id follow.
SHUUP_MAILCHIMP_STORE_ID_PREFIX = "shuup"

#: Quiet period, in seconds: the Celery task and the background thread send an item once it has
#: gone unchanged this long, so a burst of saves of one object (a form saved twice, an import
#: touching it again and again) makes one write, and a single save reaches Mailchimp in about
#: this long plus the requests (bench/reliability/latency.py). ``manage.py mailchimp_sync`` does
#: not wait. (It was a fixed 2 s window after the first save before: p95 2.1 s from save to Mailchimp.)
SHUUP_MAILCHIMP_TASK_COUNTDOWN = 0.5

#: Seconds at most an item waits for its quiet period: an object saved more often than every
#: ``TASK_COUNTDOWN`` seconds, for a long time, is still sent this long after it became due.
SHUUP_MAILCHIMP_MAX_COALESCE_DELAY = 10

#: How many Celery drains share a backlog: a ``process_due`` task that finds many items due
#: enqueues this many drains in all, each starting on its own part of the items (id modulo the
#: count) and then helping with what is left. Give the queue at least this many worker processes
#: (``celery worker -c``); more than 10 buys nothing, since Mailchimp allows 10 connections per
#: API key (``MAX_CONCURRENT_REQUESTS`` is the cap shared by all of them). 1 turns the fan-out off.
SHUUP_MAILCHIMP_PARALLEL_DRAINS = 4

#: Seconds a process trusts its cached list of enabled shops (asked on every contact save).
#: A settings change made in the same process is seen at once.
SHUUP_MAILCHIMP_ACTIVE_SHOPS_TTL = 10

#: The shop's public base URL (e.g. ``https://shop.example.com``), used to build the webhook URL
#: registered on the audience. ``None``: ``https://<the shop's domain>``. Mailchimp must be able
#: to reach it: loopback and private addresses are refused with an explanation.
SHUUP_MAILCHIMP_PUBLIC_URL = None

#: Seconds between two drift checks (Celery beat: ``mailchimp_reconcile`` without ``--repair``
#: for every enabled shop, reported as a log row in the admin), e.g. ``7 * 24 * 3600`` for
#: weekly. ``None`` (the default): no periodic check.
SHUUP_MAILCHIMP_RECONCILE_INTERVAL = None

#: Full sync (``mailchimp_sync --full``, the admin's "Schedule sync"): operations per Mailchimp
#: batch. Mailchimp limits pending batches (500 per account), not operations per batch, so few
#: large batches keep the requests few: with 5,000, 100,000 contacts (a member and a customer
#: each) are 40 batches. A contact is two operations, a product or an order one.
SHUUP_MAILCHIMP_FULL_SYNC_BATCH_SIZE = 5000

#: Upper bound, in bytes, of one batch's request body (a batch is closed earlier when its
#: operations reach it), so one request stays within reason whatever the records hold.
SHUUP_MAILCHIMP_FULL_SYNC_BATCH_BYTES = 8 * 1024 * 1024

#: Batches of one full sync submitted and not yet applied at any time. More overlap reading the
#: shop's data with Mailchimp's processing; each holds its items claimed (see ``FULL_SYNC_LEASE``).
SHUUP_MAILCHIMP_FULL_SYNC_MAX_PENDING = 8

#: Rows read per database query while streaming contacts, products and orders.
SHUUP_MAILCHIMP_FULL_SYNC_CHUNK_SIZE = 500

#: (shortest, longest) seconds between two polls of the submitted batches. The wait grows
#: from the shortest while nothing finishes and follows the batches' own progress.
SHUUP_MAILCHIMP_FULL_SYNC_POLL_INTERVAL = (1.0, 30.0)

#: Seconds the items of a submitted batch stay claimed by the full sync without a renewal
#: (it renews them at every poll). Longer than ``CLAIM_LEASE``: Mailchimp may take many minutes
#: over a batch, and a full sync that was killed should be resumed before its items fall back
#: to the one-by-one sync.
SHUUP_MAILCHIMP_FULL_SYNC_LEASE = 3600

#: When a contact group kept as a Mailchimp tag is deleted in Shuup, or no longer chosen on the
#: shop's segments page: ``True`` deletes the tag in Mailchimp (its members stay on the audience);
#: ``False`` leaves the tag there as it is, no longer kept up to date (choosing the group again
#: adopts it and brings its members back in line).
SHUUP_MAILCHIMP_DELETE_UNCHOSEN_TAGS = True

#: Seconds between two campaign imports (Celery beat: every enabled shop's campaigns and the
#: reports still changing, as ``mailchimp_import_campaigns`` does). ``None``: no periodic import.
SHUUP_MAILCHIMP_CAMPAIGN_IMPORT_INTERVAL = 24 * 3600

#: A campaign's report is read again at every import until the campaign was sent this many days
#: ago (opens, clicks and orders keep coming in for days); the read after that is its last.
SHUUP_MAILCHIMP_CAMPAIGN_REPORT_DAYS = 14

#: Days a visit from a Mailchimp email (``mc_cid`` in the link; see
#: ``shuup_mailchimp.attribution.MailchimpAttributionMiddleware``) credits the visitor's orders to
#: that campaign.
SHUUP_MAILCHIMP_ATTRIBUTION_DAYS = 30

#: Minutes a stored basket must stay unchanged before it goes to Mailchimp as a cart (and so may
#: start the abandoned-cart automation). Each change of the basket restarts the wait; placing the
#: order or emptying the basket deletes the cart.
SHUUP_MAILCHIMP_CART_IDLE_MINUTES = 30

#: Seconds a cart's restore link (its ``checkout_url``) stays valid after it was sent. The link is
#: signed (``django.core.signing``); an expired or altered one restores nothing.
SHUUP_MAILCHIMP_CART_LINK_MAX_AGE = 14 * 24 * 3600

#: (attempts, seconds): newsletter sign-ups accepted per client IP address in that window (counted
#: in Django's cache); more are refused with a "try again later" answer.
SHUUP_MAILCHIMP_SIGNUP_RATE_LIMIT = (5, 600)

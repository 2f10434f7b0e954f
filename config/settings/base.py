"""Settings shared by every environment. Values come from the environment (django-environ);
the defaults run with nothing installed: SQLite, eager Celery tasks, console email."""

from pathlib import Path

import django_stubs_ext
import environ

from config.client_address import client_address_rule
from config.logging import configure_structlog, logging_config

# Lets the code name Django's generic classes with their types (ModelAdmin[Person], ModelForm[Sow]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-change-me-0123456789abcdef")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL: str = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "core.apps.PipelineAdminConfig",  # django.contrib.admin with the project's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "django_structlog",
    "simple_history",
    "axes",
    "csp",
    "js_lib_bootstrap5",
    "js_lib_htmx",
    "ninja",  # django-ninja: its Swagger UI assets are served from its own static files
    # project, lowest layer first
    "core",
    "people",
    "notifications",
    "engagements",
    "salesforce",  # beside scoping and the rest: uses engagements and people, used by none of them
    "scoping",
    "sow",
    "staffing",
    "forecasting",
    "calls",  # weekly forecast calls: above forecasting, whose figures they start from
    "digest",  # the Monday digest email: above calls, whose roll-up it reports
    "api",  # the JSON API: top of the layers, it may use every app's services and selectors
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    # Last, as django-axes asks: it turns lockouts raised during login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.navigation.navigation",
                "notifications.context_processors.unread_notifications",
            ],
            "libraries": {"durations": "config.durations"},  # {% load durations %}: 15 minutes, 1 hour
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` has a web server and a Celery worker writing the same file: write-ahead logging lets
    # them read while the other writes, and writers queue for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the dashboard's grouped statements cost enough to pass jit_above_cost, and
    # compiling them takes several times longer (about 200 ms) than running them (about 40 ms).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: it refuses locked-out logins before the model backend checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "core.staticfinders.PackageFileFinder",
]
# Single files served straight from installed packages: static path -> (package, file in it).
PACKAGE_STATIC_FILES = {"vendor/plotly.min.js": ("plotly", "package_data/plotly.min.js")}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if env("EMAIL_URL", default=""):
    # e.g. smtp+tls://user:password@smtp.example.com:587 sets EMAIL_HOST, EMAIL_PORT, credentials, TLS.
    vars().update(env.email_url("EMAIL_URL", backend="django.core.mail.backends.smtp.EmailBackend"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="PS Pipeline <ps-pipeline@localhost>")

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# How long the live forecast dashboard's figures are shared between requests (computed once per data
# version, which every write to the pipeline moves on): only with a cache every process shares.
FORECAST_LIVE_CACHE_SECONDS = env.int(
    "FORECAST_LIVE_CACHE_SECONDS", default=30 if env("CACHE_URL", default="") else 0
)

# Celery: with no broker configured every task runs eagerly in the calling process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Domain settings
FISCAL_YEAR_START_MONTH = env.int("FISCAL_YEAR_START_MONTH", default=2)
STALE_AFTER_DAYS = env.int("STALE_AFTER_DAYS", default=7)
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", default="USD")
PIPELINE_PAGE_SIZE = env.int("PIPELINE_PAGE_SIZE", default=25)
DEMO_DATA_ALLOWED = True

# Structured logs to stdout (config/logging.py): a JSON object per line; LOG_FORMAT=console for people.
LOGGING = logging_config(fmt=env("LOG_FORMAT", default="json"), level=env("LOG_LEVEL", default="INFO"))
configure_structlog()

# Scoping: estimates above this total (in the opportunity's currency) need a Technical Architect's review.
TA_REVIEW_THRESHOLD = env("TA_REVIEW_THRESHOLD", default="50000")

# --- Salesforce sync -------------------------------------------------------------------------------
# Off until credentials are set (see salesforce/config.py for how the flow is chosen).
# Every value is read at call time, so tests and the admin see changes without a restart.
SALESFORCE_LOGIN_URL = env("SALESFORCE_LOGIN_URL", default="https://login.salesforce.com")
SALESFORCE_API_VERSION = env("SALESFORCE_API_VERSION", default="62.0")
# jwt | client_credentials | password; empty = chosen from the credentials that are set.
SALESFORCE_AUTH_FLOW = env("SALESFORCE_AUTH_FLOW", default="")
SALESFORCE_CONSUMER_KEY = env("SALESFORCE_CONSUMER_KEY", default="")
SALESFORCE_CONSUMER_SECRET = env("SALESFORCE_CONSUMER_SECRET", default="")
SALESFORCE_USERNAME = env("SALESFORCE_USERNAME", default="")
SALESFORCE_PASSWORD = env("SALESFORCE_PASSWORD", default="")
SALESFORCE_SECURITY_TOKEN = env("SALESFORCE_SECURITY_TOKEN", default="")
SALESFORCE_PRIVATE_KEY_FILE = env("SALESFORCE_PRIVATE_KEY_FILE", default="")
# JWT "aud"; empty = login.salesforce.com or test.salesforce.com, derived from the login URL.
SALESFORCE_JWT_AUDIENCE = env("SALESFORCE_JWT_AUDIENCE", default="")
# A PEM bundle the HTTPS session trusts instead of the system CAs (the fake org's test CA).
SALESFORCE_CA_BUNDLE = env("SALESFORCE_CA_BUNDLE", default="")
SALESFORCE_TIMEOUT_SECONDS = env.float("SALESFORCE_TIMEOUT_SECONDS", default=30.0)
# App field -> Salesforce API name of the four EM fields; SALESFORCE_FIELD_MAP overrides any of them,
# e.g. "em_confidence=PS_Confidence__c,scoping_issue_link=PS_Scoping_Link__c".
SALESFORCE_FIELD_MAP: dict[str, str] = {
    "engagement_manager": "Engagement_Manager__c",
    "em_confidence": "EM_Confidence__c",
    "em_confidence_rationale": "EM_Confidence_Rationale__c",
    "scoping_issue_link": "Scoping_Issue_Link__c",
    **env.dict("SALESFORCE_FIELD_MAP", default={}),
}
SALESFORCE_AMOUNT_FIELD = env("SALESFORCE_AMOUNT_FIELD", default="Amount")
# Empty for an org without multi-currency (amounts then take DEFAULT_CURRENCY).
SALESFORCE_CURRENCY_FIELD = env("SALESFORCE_CURRENCY_FIELD", default="CurrencyIsoCode")
# The SOQL condition that selects the opportunities PS Pipeline syncs. The record type is matched
# by its DeveloperName (API name), which stays when an administrator renames the label.
SALESFORCE_OPPORTUNITY_CONDITION = env(
    "SALESFORCE_OPPORTUNITY_CONDITION", default="RecordType.DeveloperName = 'Professional_Services'"
)
# Reconciliation (daily, and with sync_salesforce --full) checks the open opportunities by id, this
# many per query, and marks those out of scope, deleted or purged in Salesforce as removed.
SALESFORCE_RECONCILE_CHUNK_SIZE = env.int("SALESFORCE_RECONCILE_CHUNK_SIZE", default=200)
# The scheduled sync reconciles when the last reconciliation is at least this old.
SALESFORCE_RECONCILE_INTERVAL_HOURS = env.float("SALESFORCE_RECONCILE_INTERVAL_HOURS", default=24.0)
# A full pull (or a reconciliation) that finds fewer than this share of the open opportunities the
# app holds is a warning (and /health/ degraded); a reconciliation then removes nothing.
SALESFORCE_PULL_SHRINK_WARNING_SHARE = env.float("SALESFORCE_PULL_SHRINK_WARNING_SHARE", default=0.5)
# The describe of Opportunity (field map check) is refreshed when older than this.
SALESFORCE_DESCRIBE_MAX_AGE_HOURS = env.float("SALESFORCE_DESCRIBE_MAX_AGE_HOURS", default=24.0)
# Share of the org's daily API limit (Sforce-Limit-Info) above which the sync slows down (pauses
# between calls, skips the reconciliation), and above which it stops until the usage falls.
SALESFORCE_API_USAGE_SLOW_SHARE = env.float("SALESFORCE_API_USAGE_SLOW_SHARE", default=0.8)
SALESFORCE_API_USAGE_STOP_SHARE = env.float("SALESFORCE_API_USAGE_STOP_SHARE", default=0.95)
SALESFORCE_API_USAGE_SLOW_PAUSE_SECONDS = env.float("SALESFORCE_API_USAGE_SLOW_PAUSE_SECONDS", default=2.0)
# Beat schedule created on first migrate; edit it afterwards under Periodic tasks in the admin.
SALESFORCE_SYNC_INTERVAL_MINUTES = env.int("SALESFORCE_SYNC_INTERVAL_MINUTES", default=15)
# The pull re-reads this much before the watermark, for records committed late in Salesforce.
SALESFORCE_PULL_OVERLAP_SECONDS = env.int("SALESFORCE_PULL_OVERLAP_SECONDS", default=120)
SALESFORCE_PUSH_BATCH_SIZE = env.int("SALESFORCE_PUSH_BATCH_SIZE", default=200)  # at most 200
# Back-off: base * 2**attempt, capped, with jitter. Rate limits (REQUEST_LIMIT_EXCEEDED) wait longer.
SALESFORCE_RETRY_BASE_SECONDS = env.float("SALESFORCE_RETRY_BASE_SECONDS", default=2.0)
SALESFORCE_RETRY_MAX_SECONDS = env.float("SALESFORCE_RETRY_MAX_SECONDS", default=600.0)
SALESFORCE_RATE_LIMIT_BACKOFF_SECONDS = env.float("SALESFORCE_RATE_LIMIT_BACKOFF_SECONDS", default=900.0)
SALESFORCE_HTTP_RETRIES = env.int("SALESFORCE_HTTP_RETRIES", default=3)
# A push waits in the same run for retries due within this many seconds; later ones wait for a run.
SALESFORCE_PUSH_RETRY_WAIT_SECONDS = env.float("SALESFORCE_PUSH_RETRY_WAIT_SECONDS", default=30.0)
SALESFORCE_PUSH_MAX_ATTEMPTS = env.int("SALESFORCE_PUSH_MAX_ATTEMPTS", default=10)
# A run may last at most this long (the sync task's time limits come from it).
SALESFORCE_LOCK_TTL_SECONDS = env.int("SALESFORCE_LOCK_TTL_SECONDS", default=3600)
# The sync lock is a lease of this many seconds, renewed as the run works (on every API answer): a run
# whose worker died is closed as interrupted by the next run once the lease runs out.
SALESFORCE_LOCK_LEASE_SECONDS = env.int("SALESFORCE_LOCK_LEASE_SECONDS", default=120)
# Values the push sent are kept this long to recognise the app's own late writes in Salesforce.
SALESFORCE_SENT_VALUES_KEEP_DAYS = env.int("SALESFORCE_SENT_VALUES_KEEP_DAYS", default=14)
# --- end Salesforce sync ---------------------------------------------------------------------------

# SOWs: margin target (percent) for categories without their own target in the admin, and the
# rate-card role whose cost rate prices the delivery hours of packaged SKUs in the COGS.
SOW_DEFAULT_MARGIN_TARGET = env("SOW_DEFAULT_MARGIN_TARGET", default="35")
SOW_PACKAGED_DELIVERY_ROLE = env("SOW_PACKAGED_DELIVERY_ROLE", default="Senior Engineer")
SOW_PDF_TEMPLATE = "sow/pdf.html"
# The cost of billed travel & expenses and of pass-through lines (licences, partner fees) in the
# generated COGS, as a percentage of their price: 100 means they are resold at cost.
SOW_EXPENSES_COST_PERCENT = env("SOW_EXPENSES_COST_PERCENT", default="100")
SOW_PASS_THROUGH_COST_PERCENT = env("SOW_PASS_THROUGH_COST_PERCENT", default="100")

# Forecast: totals are converted to this currency with the admin's exchange rates; the weekly
# snapshot runs Monday 06:00 in this time zone.
CORPORATE_CURRENCY = env("CORPORATE_CURRENCY", default="USD")
FORECAST_SNAPSHOT_TIME_ZONE = env("FORECAST_SNAPSHOT_TIME_ZONE", default="UTC")
# The weekly forecast call: due each week on FORECAST_CALL_DEADLINE_DAY (0 = Monday … 6 = Sunday) at
# FORECAST_CALL_DEADLINE_TIME (HH:MM) in FORECAST_CALL_DEADLINE_TIME_ZONE; a call submitted after it
# is marked late. Those who have not submitted are emailed once, in the
# FORECAST_CALL_REMINDER_HOURS before the deadline.
FORECAST_CALL_DEADLINE_DAY = env.int("FORECAST_CALL_DEADLINE_DAY", default=2)
FORECAST_CALL_DEADLINE_TIME = env("FORECAST_CALL_DEADLINE_TIME", default="17:00")
FORECAST_CALL_DEADLINE_TIME_ZONE = env("FORECAST_CALL_DEADLINE_TIME_ZONE", default="UTC")
FORECAST_CALL_REMINDER_HOURS = env.int("FORECAST_CALL_REMINDER_HOURS", default=24)
# The Monday digest to EM Managers and leadership: sent from DIGEST_DAY (0 = Monday … 6 = Sunday) at
# DIGEST_TIME (HH:MM) in DIGEST_TIME_ZONE of each week, once per user; links start at SITE_URL.
DIGEST_DAY = env.int("DIGEST_DAY", default=0)
DIGEST_TIME = env("DIGEST_TIME", default="08:00")
DIGEST_TIME_ZONE = env("DIGEST_TIME_ZONE", default="UTC")
# The approval ladder's PS Director step: its service level in working hours, and how long before a
# step is due its approver is reminded (the rules' own steps set theirs in the admin).
SOW_APPROVAL_DIRECTOR_HOURS = env.int("SOW_APPROVAL_DIRECTOR_HOURS", default=16)
SOW_APPROVAL_REMINDER_HOURS = env.int("SOW_APPROVAL_REMINDER_HOURS", default=4)
# A SOW in another currency than its opportunity differs from its amount when the two, converted
# at today's rates, are more than this percent apart (same currency: compared to the cent).
SOW_AMOUNT_TOLERANCE_PERCENT = env("SOW_AMOUNT_TOLERANCE_PERCENT", default="1")

# --- Jobs that survive faults, and health (issue 8) -------------------------------------------------
# Idempotent tasks (the SOW PDF render, the weekly snapshot, the Salesforce sync) acknowledge their
# message only when they finish (acks_late) and hand it back when the worker process dies
# (reject_on_worker_lost): a killed worker's job runs again on another one. The render and the
# snapshot say so in their decorators; the sync gets it here, with time limits inside its lock's lease
# so that a run never outlives the lock that keeps two runs apart.
_SYNC_TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": int(SALESFORCE_LOCK_TTL_SECONDS * 0.8),
    "time_limit": int(SALESFORCE_LOCK_TTL_SECONDS * 0.9),
}
CELERY_TASK_ANNOTATIONS = {
    "salesforce.tasks.salesforce_sync": _SYNC_TASK_OPTIONS,
    # The task's earlier name, still registered for messages queued under it: it runs the same sync.
    "engagements.tasks.salesforce_sync": _SYNC_TASK_OPTIONS,
}
# Any task without limits of its own (Celery's built-ins, future tasks) is stopped after these.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
# Redis hands an unacknowledged message to another worker after the visibility timeout, so it must
# be longer than the longest retry countdown plus the longest run of an acks_late task (by default
# 600 s + 3240 s for the sync); tests/test_celery_settings.py holds the settings to that.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=7200)}
# The broker `make run` uses when none is configured (core/management/commands/run_with_worker.py):
# messages are files in this folder, so a worker runs beside the web server with nothing installed.
LOCAL_BROKER_DIR = Path(env("LOCAL_BROKER_DIR", default=str(BASE_DIR / ".broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(LOCAL_BROKER_DIR / "queue"),
        "data_folder_out": str(LOCAL_BROKER_DIR / "queue"),
        "control_folder": str(LOCAL_BROKER_DIR / "control"),
        "processed_folder": str(LOCAL_BROKER_DIR / "processed"),
        "store_processed": False,
    }
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # with acks_late, a worker reserves only what it runs
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True  # redelivered, not run twice at once
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_EXPIRES = env.int("CELERY_RESULT_EXPIRES", default=86400)  # when a result backend is set
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=200)
# Soft shutdown (SIGQUIT, which compose's worker sends on stop): running tasks get this long to
# finish, then the worker hands the rest back to the broker (acks_late) for another worker.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env.float("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", default=60.0)
CELERY_WORKER_ENABLE_SOFT_SHUTDOWN_ON_IDLE = True  # also hands back reserved countdown retries
# Request id, user id and task id on every log line (config/logging.py, config/celery.py).
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# /health/ and Admin → System status (config/health.py): older than these is "degraded".
HEALTH_SYNC_MAX_AGE_MINUTES = env.int("HEALTH_SYNC_MAX_AGE_MINUTES", default=60)
HEALTH_SNAPSHOT_MAX_AGE_DAYS = env.int("HEALTH_SNAPSHOT_MAX_AGE_DAYS", default=8)
# /health/ tells anyone only ok/degraded/down; each check is shown to staff users and to callers
# sending this token (Authorization: Bearer <token>, or ?token=). Empty: staff only.
HEALTH_TOKEN = env("HEALTH_TOKEN", default="")
# Probes within this many seconds reuse the last report (per process) instead of running the checks.
HEALTH_CACHE_SECONDS = env.float("HEALTH_CACHE_SECONDS", default=5.0)
# --- end jobs and health ----------------------------------------------------------------------------


# --- Login hardening and security headers ----------------------------------------------------------
# Lockout after repeated failures for the same username from the same address; it lifts by itself
# after the cool-off, or at once when an administrator removes it (admin: Axes › Access attempts).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = env.bool("AXES_VERBOSE", default=False)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address (config/client_address.py): behind BEHIND_PROXY, the TRUSTED_PROXY_COUNT-th
# X-Forwarded-For entry from the right (what our proxies wrote; entries to its left come from the
# client and are ignored); otherwise the connection's address, and the header is ignored. The lockout
# and the request logs' `ip` (django-structlog reads the IPWARE_* settings) follow the same rule.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
IPWARE_META_PRECEDENCE_ORDER, IPWARE_META_PROXY_COUNT = client_address_rule(
    behind_proxy=BEHIND_PROXY, proxy_count=TRUSTED_PROXY_COUNT
)
IPWARE_STRICT = False  # client-sent entries left of ours make the chain longer: expected, not refused
AXES_IPWARE_META_PRECEDENCE_ORDER = IPWARE_META_PRECEDENCE_ORDER
AXES_IPWARE_PROXY_COUNT = IPWARE_META_PROXY_COUNT

# Content Security Policy: scripts only from the app itself (inline ones only with the request's
# nonce); styles may be inline because Plotly and Bootstrap set them; nothing may frame the app.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Capacity: an estimate's hours become demand spread over this many weeks after the close date,
# weighted by EM confidence (observed close rates once a colour has CAPACITY_MIN_CALLS calls).
DEMAND_SPREAD_WEEKS = env.int("DEMAND_SPREAD_WEEKS", default=8)
CAPACITY_MIN_CALLS = env.int("CAPACITY_MIN_CALLS", default=20)
# CAPACITY_CONFIDENCE_WEIGHTS=Green=0.8,Red=0.3 sets some colours; the others keep these defaults.
CAPACITY_CONFIDENCE_WEIGHTS = {
    "Green": "0.9",
    "Amber": "0.6",
    "Red": "0.2",
    "Grey": "0.1",
    **env.dict("CAPACITY_CONFIDENCE_WEIGHTS", default={}),
}

# --- Uploads and files ------------------------------------------------------------------------------
# Rendered and signed SOW PDFs are served only by the views that check access (sow:download_pdf,
# sow:download_signed), never from MEDIA_URL; stored names are random (sow/models.py).
# The signed copy is the only file the app accepts, so its limit caps every upload: a request whose
# Content-Length is over it is refused before its body is read (sow/uploads.py). The reverse proxy
# must allow bodies of at least this size (README, Production deployment).
SIGNED_COPY_MAX_MB = env.int("SIGNED_COPY_MAX_MB", default=20)
FILE_UPLOAD_HANDLERS = [
    "sow.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger files are spooled to a temporary file, not memory
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # form fields (without files) of one request
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# --- end uploads and files --------------------------------------------------------------------------

# --- Email ------------------------------------------------------------------------------------------
# Notifications are emailed through notifications.notify: one email per person, after commit, each
# kept under Notifications › Notification emails (a failed one with its error, sent again from there)
# and retried this many seconds later, doubled each time (four retries). Any other email goes through
# core/mail.py: sent after commit; a failure is logged and listed under Core › Email failures.
NOTIFICATION_EMAIL_RETRY_SECONDS = env.float("NOTIFICATION_EMAIL_RETRY_SECONDS", default=60.0)
# --- end email --------------------------------------------------------------------------------------

# --- JSON API (/api/v1/) ----------------------------------------------------------------------------
# Personal API tokens (created on the profile page) last at most this many days; each token may make
# this many requests a minute (0 = no limit), counted in CACHES["default"] (set CACHE_URL to Redis
# so every web process counts together).
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120)
# --- end JSON API -----------------------------------------------------------------------------------

# --- Single sign-on (OpenID Connect, mozilla-django-oidc) --------------------------------------------
# Off unless OIDC_ENABLED. The provider's endpoints come from its discovery document
# (OIDC_ISSUER + /.well-known/openid-configuration, read when first needed) unless set one by one.
# The app's callback URL to register at the provider: <SITE_URL>/oidc/callback/.
OIDC_ENABLED = env.bool("OIDC_ENABLED", default=False)
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", default="your company account")  # "Sign in with …"
OIDC_ISSUER = env("OIDC_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_OP_LOGOUT_ENDPOINT = env("OIDC_OP_LOGOUT_ENDPOINT", default="")
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", default="")
OIDC_RP_SCOPES = env("OIDC_SCOPES", default="openid email profile")
OIDC_RP_SIGN_ALGO = env("OIDC_SIGN_ALGO", default="RS256")  # the ID token's signature, keys from JWKS
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_VERIFY_SSL = True
# The claim that names the person (matched to the directory's email, case-insensitive), and whether
# the provider must say it verified it (email_verified); Entra ID sends no such claim: set False there
# and use a claim the tenant controls (preferred_username, the UPN).
OIDC_EMAIL_CLAIM = env("OIDC_EMAIL_CLAIM", default="email")
OIDC_REQUIRE_VERIFIED_EMAIL = env.bool("OIDC_REQUIRE_VERIFIED_EMAIL", default=True)
# Someone signing in who is not in the directory (or has no login yet) is refused with an
# "ask your administrator" page unless OIDC_CREATE_USERS; new people also need a mapped role.
OIDC_CREATE_USERS = env.bool("OIDC_CREATE_USERS", default=False)
# OIDC_ROLES_CLAIM=groups OIDC_ROLE_MAP="PS Directors=ps_director,EMs=engagement_manager": the first
# listed value found in the claim gives the person's role (core/roles.py) at each sign-in. Without a
# map (or when no value matches) the role stays what an administrator set.
OIDC_ROLES_CLAIM = env("OIDC_ROLES_CLAIM", default="")
OIDC_ROLE_MAP: dict[str, str] = env.dict("OIDC_ROLE_MAP", default={})
# Off: the password form is hidden and refused for everyone but superusers, who keep it at
# /accounts/login/?local=1 (and the admin's own login page).
OIDC_LOCAL_LOGIN = env.bool("OIDC_LOCAL_LOGIN", default=True)
LOGIN_REDIRECT_URL_FAILURE = "/oidc/refused/"
# Logging out after a single sign-on also ends the session at the provider (its end_session_endpoint,
# or OIDC_OP_LOGOUT_ENDPOINT) and comes back to the login page: register <SITE_URL>/accounts/login/
# as a post-logout redirect URI there. The ID token is kept in the session for that.
OIDC_STORE_ID_TOKEN = True
OIDC_OP_LOGOUT_URL_METHOD = "people.sso.provider_logout_url"
if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("people.sso.SsoBackend")
# --- end single sign-on -----------------------------------------------------------------------------

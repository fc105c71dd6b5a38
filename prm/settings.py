"""Settings for the PRM, read from the environment only.

With no environment at all the project runs for development: an SQLite file, Celery tasks
run in-process (eager), e-mail printed to the console. With ``DEBUG=0`` it refuses to start
without a real ``SECRET_KEY`` and ``ALLOWED_HOSTS`` and switches every production safeguard on.
"""

from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY):
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

# Absolute links in e-mails (invitations, reminders). Unset: the address `make run` serves on, so
# its PORT (passed through the environment) is the port the links carry.
_served_port = env.int("PORT", default=8000)
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{_served_port}").rstrip("/")
# How many reverse proxies in front of the app add themselves to X-Forwarded-For (0: none). The
# client's address (login rate limits, API throttles, the IP recorded on a signature) is read
# through them, never from a header a client could forge.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "csp",
    "django_countries",
]
# Ours, in dependency order: an app may import only from the apps before it.
PROJECT_APPS = [
    "prm",
    "partners",
    "deals",
    "incentives",
    "enablement",
    "conflicts",
    "marketing",
    "performance",
]
INSTALLED_APPS += PROJECT_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "prm.scoping.ScopeMiddleware",
    "prm.errors.RefusalMiddleware",
]

ROOT_URLCONF = "prm.urls"
WSGI_APPLICATION = "prm.wsgi.application"

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
                "prm.context_processors.site",
            ],
        },
    },
]

FORM_RENDERER = "prm.forms.FormRenderer"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour now: "acme.com" means https://acme.com

# --- Database -------------------------------------------------------------------------------
# Unset: an SQLite file beside the code, so `make run` works on a bare machine.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# allauth's login rate limits and DRF throttles count in the cache: in production it must be
# shared by every process (Redis), which is why `prm.checks` warns about a local cache.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://prm")}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "partners.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "partners.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[PRM] "
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # Failures per address are capped loosely (an office shares one address) and per account tightly.
    "login_failed": "100/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
}
# Invitation links sent to new partner users stay valid this long.
PRM_INVITATION_DAYS = env.int("PRM_INVITATION_DAYS", default=7)
# Onboarding with no progress for this many days gets one reminder per stall.
PRM_ONBOARDING_STALL_DAYS = env.int("PRM_ONBOARDING_STALL_DAYS", default=7)

# Deal registration: protection when the partner's tier names none, and how alike two customer
# names in the same country must be (RapidFuzz token-sort ratio, 0-100) to be a weak conflict.
PRM_DEFAULT_PROTECTION_DAYS = env.int("PRM_DEFAULT_PROTECTION_DAYS", default=90)
PRM_CONFLICT_SIMILARITY_THRESHOLD = env.int("PRM_CONFLICT_SIMILARITY_THRESHOLD", default=85)
# Commissions: a won deal reversed within this many days of its close is clawed back; statements
# below the minimum payout carry forward to the next run.
PRM_CLAWBACK_DAYS = env.int("PRM_CLAWBACK_DAYS", default=90)
PRM_MINIMUM_PAYOUT = Decimal(env.str("PRM_MINIMUM_PAYOUT", default="50.00"))
# Enablement: the largest file managers may upload to the content library, how long an asset
# carries the "new" badge, and how many quiz attempts a person may make per course and day.
PRM_CONTENT_MAX_UPLOAD_MB = env.int("PRM_CONTENT_MAX_UPLOAD_MB", default=50)
PRM_CONTENT_NEW_DAYS = env.int("PRM_CONTENT_NEW_DAYS", default=30)
PRM_QUIZ_ATTEMPTS_PER_DAY = env.int("PRM_QUIZ_ATTEMPTS_PER_DAY", default=3)
# Surveys: the one reminder goes to those who have not answered this many days after sending.
PRM_SURVEY_REMINDER_DAYS = env.int("PRM_SURVEY_REMINDER_DAYS", default=7)
# Cases (conflicts and disputes): SLA hours (calendar hours) to the first response and to the
# resolution, per kind and priority; a JSON object in the environment overrides any part of it.
_CASE_SLA_DEFAULT = {
    "channel_conflict": {"urgent": [2, 24], "high": [4, 48], "normal": [8, 72], "low": [24, 120]},
    "commission_dispute": {"urgent": [4, 48], "high": [8, 72], "normal": [24, 120], "low": [48, 240]},
    "deal_dispute": {"urgent": [4, 48], "high": [8, 72], "normal": [24, 120], "low": [48, 240]},
    "other": {"urgent": [8, 72], "high": [24, 120], "normal": [48, 168], "low": [72, 336]},
}
PRM_CASE_SLA_HOURS = {
    kind: {**priorities, **env.json("PRM_CASE_SLA_HOURS", default={}).get(kind, {})}
    for kind, priorities in _CASE_SLA_DEFAULT.items()
}
# A resolved case may be reopened once by its partner within this many days.
PRM_CASE_REOPEN_DAYS = env.int("PRM_CASE_REOPEN_DAYS", default=14)
# Who hears of every escalated case besides its owner (comma-separated e-mail addresses).
PRM_CASE_ESCALATION_CONTACTS = env.list("PRM_CASE_ESCALATION_CONTACTS", default=[])
# Uploads (case attachments, content): the largest file accepted, in bytes.
PRM_UPLOAD_MAX_BYTES = env.int("PRM_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# Performance: the currency totals are converted into (finance's exchange rates) and tier
# requirements are stated in; how long a partner may fall short of its tier's requirements before
# a downgrade is proposed; how long the leaderboard's figures are kept before they are recomputed.
PRM_PROGRAM_CURRENCY = env.str("PRM_PROGRAM_CURRENCY", default="USD").upper()
PRM_TIER_DOWNGRADE_GRACE_DAYS = env.int("PRM_TIER_DOWNGRADE_GRACE_DAYS", default=60)
PRM_LEADERBOARD_CACHE_SECONDS = env.int("PRM_LEADERBOARD_CACHE_SECONDS", default=300)
# Channel marketing: days after a funded activity ends that its claim is taken (never after the
# allocation period's end, when unclaimed funds expire); hours a partner has
# to accept a lead offered to it, and the refusals (declines and timeouts) after which a lead
# returns to the managers; contact-form messages one address may send from the public locator
# per hour.
PRM_MDF_CLAIM_DAYS = env.int("PRM_MDF_CLAIM_DAYS", default=60)
PRM_LEAD_ACCEPT_HOURS = env.int("PRM_LEAD_ACCEPT_HOURS", default=48)
PRM_LEAD_MAX_REFUSALS = env.int("PRM_LEAD_MAX_REFUSALS", default=3)
PRM_LOCATOR_CONTACTS_PER_HOUR = env.int("PRM_LOCATOR_CONTACTS_PER_HOUR", default=5)
# Seconds a service waits for a row another request holds before it answers "busy, try again".
PRM_LOCK_TIMEOUT = env.float("PRM_LOCK_TIMEOUT", default=5.0)
# Long work (payout runs, PDF batches, newsletter sends) whose worker gave no sign of life for this
# long is enqueued again by the watchdog, which runs every PRM_WORK_WATCHDOG_SECONDS (prm.work).
PRM_WORK_STALE_SECONDS = env.int("PRM_WORK_STALE_SECONDS", default=120)
PRM_WORK_WATCHDOG_SECONDS = env.int("PRM_WORK_WATCHDOG_SECONDS", default=60)
# --- Communication: newsletter sends (enablement.services.newsletters) ---
# Deliveries claimed and mailed per batch (one SMTP connection each); attempts of a delivery that
# meets temporary errors, the first retry's delay (doubled each time), and the age of a claim that
# is taken as a dead worker's (its deliveries are mailed again: the server never got their end).
PRM_NEWSLETTER_BATCH_SIZE = env.int("PRM_NEWSLETTER_BATCH_SIZE", default=200)
PRM_NEWSLETTER_MAX_ATTEMPTS = env.int("PRM_NEWSLETTER_MAX_ATTEMPTS", default=3)
PRM_NEWSLETTER_RETRY_SECONDS = env.int("PRM_NEWSLETTER_RETRY_SECONDS", default=60)
PRM_NEWSLETTER_CLAIM_STALE_SECONDS = env.int("PRM_NEWSLETTER_CLAIM_STALE_SECONDS", default=PRM_WORK_STALE_SECONDS)
# The "sent" records of a newsletter send are committed without waiting for PostgreSQL's WAL flush
# (synchronous_commit off, for the batch only): that is what lets a worker mail hundreds per second.
# The cost: if the DATABASE SERVER crashes (not a worker), the records of its last fraction of a
# second may be lost and those recipients mailed again after recovery. False: no such double mail,
# a slower send.
PRM_NEWSLETTER_QUICK_COMMITS = env.bool("PRM_NEWSLETTER_QUICK_COMMITS", default=True)

# --- E-mail ---------------------------------------------------------------------------------
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PRM <prm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalization -------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Documents only their owners may fetch (signed agreements, statements): never served as /media/.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "media" / "private")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Celery ---------------------------------------------------------------------------------
# Unset broker = tasks run in-process as they are enqueued (development, tests).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only once it finished, and is given back to the queue when the worker
# process dies under it; Redis must not redeliver a task that is still running.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = 200
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Channel marketing: approved funds never claimed return to the balance; lead offers not
    # answered in time go to the next partner.
    "expire-fund-requests": {
        "task": "marketing.tasks.expire_fund_requests",
        "schedule": crontab(hour=1, minute=30),
    },
    "expire-lead-offers": {
        "task": "marketing.tasks.expire_lead_offers",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 600},
    },
    "expire-lapsed-deals": {
        "task": "deals.tasks.expire_lapsed_deals",
        "schedule": crontab(hour=2, minute=0),
    },
    "escalate-breached-cases": {
        "task": "conflicts.tasks.escalate_breached_cases",
        "schedule": crontab(minute="*/5"),
    },
    "remind-stalled-onboarding": {
        "task": "partners.tasks.remind_stalled_onboarding",
        "schedule": crontab(hour=7, minute=0),
    },
    "restart-stale-work": {
        "task": "prm.tasks.restart_stale_work",
        "schedule": PRM_WORK_WATCHDOG_SECONDS,
        "options": {"expires": PRM_WORK_WATCHDOG_SECONDS},
    },
    "remind-and-expire-certifications": {
        "task": "enablement.tasks.remind_and_expire_certifications",
        "schedule": crontab(hour=6, minute=0),
    },
    # --- Communication: newsletters ---
    "send-scheduled-newsletters": {
        "task": "enablement.tasks.send_scheduled_newsletters",
        "schedule": crontab(minute="*"),
        "options": {"expires": 60},
    },
    # Surveys: close those past their closing time, remind (once) those sent long enough ago.
    "remind-and-close-surveys": {
        "task": "enablement.tasks.remind_and_close_surveys",
        "schedule": crontab(hour=8, minute=0),
    },
    # Performance: every partner against the tier requirements, on the first of each month.
    "review-tiers": {
        "task": "performance.tasks.review_tiers",
        "schedule": crontab(day_of_month=1, hour=5, minute=0),
    },
}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header turns "not signed in" into 401 instead of 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "prm.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Anonymous calls are throttled everywhere; signed-in users are limited by their role.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_ANON_THROTTLE", default="60/min"),
        # Failed token sign-ins per account and client address, and per address (prm.api).
        "login": env.str("API_LOGIN_THROTTLE", default="10/min"),
        "login_address": env.str("API_LOGIN_ADDRESS_THROTTLE", default="100/min"),
        "applications": env.str("API_APPLICATION_THROTTLE", default="20/hour"),
    },
    "EXCEPTION_HANDLER": "prm.api.exception_handler",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "PRM API",
    "DESCRIPTION": "Partner Relationship Management: the public REST API.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the portal's forms read it from the form, never from JS
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    # TLS ends at the reverse proxy, which says so in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# No inline scripts or styles anywhere; every asset is served from here (the app runs offline).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every layout step at INFO: noise, and measurable time per document.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- PDF ------------------------------------------------------------------------------------
# Fonts installed on the machine (Debian: fonts-dejavu-core); nothing is fetched.
PRM_PDF_FONT_FAMILY = env.str("PRM_PDF_FONT_FAMILY", default="DejaVu Sans")

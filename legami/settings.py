"""Settings for Legami, read from the environment (django-environ).

Every variable is documented in README.md with its default. A bad value stops the start
with ``ImproperlyConfigured`` naming the variable. The defaults give the quick start:
SQLite, a file-system Celery broker and a file cache, so no server is needed.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
VAR_DIR = Path(env.str("LEGAMI_VAR_DIR", default=str(BASE_DIR / "var")))


def _bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true or false.")


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = env.str(name, default=str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def _url(name: str, default: str, schemes: set[str]) -> str:
    raw = env.str(name, default=default).strip()
    scheme = urlparse(raw).scheme
    if scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(
            f"{name}={raw!r} has scheme {scheme!r}; expected one of {allowed}."
        )
    return raw


DEBUG = _bool("DEBUG", False)

_INSECURE_KEY = "django-insecure-legami-quick-start-only-never-in-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string "
            "(or DEBUG=true for local development)."
        )
    SECRET_KEY = _INSECURE_KEY
elif not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters in production.")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set: list the host names Legami answers to.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Applications -------------------------------------------------------------------------

INSTALLED_APPS = [
    "legami",
    "partners",
    "beneficiaries",
    "pacts",
    "labs",
    "civic_center",
    "research",
    "fundraising",
    "reports",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "django_htmx",
    "template_partials",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "legami.middleware.ItalianFirstLocaleMiddleware",
    "legami.audit.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After authentication, messages, allauth and htmx: staff sessions end when idle or
    # too old; then a person whose role needs a second factor is sent to set one up.
    "legami.security.StaffSessionMiddleware",
    "legami.security.SecondFactorRequiredMiddleware",
    # Last, so that its process_exception sees a view's database error first: a database
    # that does not answer is a 503 "temporarily unavailable", not a 500.
    "legami.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "legami.urls"
WSGI_APPLICATION = "legami.wsgi.application"
AUTH_USER_MODEL = "legami.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "legami.context_processors.navigation",
            ],
        },
    }
]

# --- Data ---------------------------------------------------------------------------------

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = _url(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'legami.sqlite3'}",
    {"sqlite", "postgres", "postgresql", "pgsql", "psql", "postgis"},
)
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = _int("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # A server that does not answer fails a request within seconds (then a 503, see
    # legami.middleware.DatabaseUnavailableMiddleware) instead of hanging it; another
    # value can be given in DATABASE_URL (``?connect_timeout=10``).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The quick start runs web, worker and beat on one SQLite file: WAL lets them read
    # while one writes, IMMEDIATE transactions take the write lock up front.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    _url("REDIS_URL", REDIS_URL, {"redis", "rediss"})

CACHE_URL = _url(
    "CACHE_URL",
    REDIS_URL or f"filecache://{VAR_DIR / 'cache'}",
    {"redis", "rediss", "filecache", "locmemcache", "dummycache", "dbcache"},
)
CACHES = {"default": env.cache_url_config(CACHE_URL)}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Fails open when Redis does not answer: pages keep working (legami/cache.py).
    CACHES["default"]["BACKEND"] = "legami.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 1, "socket_timeout": 2}
    )

MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# Files with personal data (e.g. scans of signed pacts): never under MEDIA_URL, served only
# by views that ask the access policy.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))

# --- Background work (Celery) -------------------------------------------------------------

BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = _url(
    "CELERY_BROKER_URL",
    REDIS_URL or "filesystem://",
    {"redis", "rediss", "filesystem", "memory", "amqp"},
)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    # The file-system transport has no fan-out exchange: no remote control, mingle or gossip.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Seconds a task taken by a worker stays invisible to the others: the tasks of a
        # worker that dies (acks_late) are handed out again only after it. Longer than
        # the longest task and any countdown/ETA.
        "visibility_timeout": _int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
        # A broker that does not answer is known within seconds, not minutes: the task
        # is then kept in the outbox (legami.outbox) and the page answers.
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = _bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "Europe/Rome"
# Periodic jobs; beat's database scheduler copies them into django-celery-beat's tables,
# where an administrator can pause or reschedule them. Each app adds its own entries.
CELERY_BEAT_SCHEDULE = {
    "drain-outbox": {
        "task": "legami.drain_outbox",
        "schedule": crontab(minute="*"),
    },
    "clear-expired-sessions": {
        "task": "legami.clear_expired_sessions",
        "schedule": crontab(minute=17, hour=3),
    },
    "audit-retention": {
        "task": "legami.audit_retention",
        "schedule": crontab(minute=37, hour=3),
    },
    "anonymise-closed-files": {
        "task": "beneficiaries.anonymise_closed_files",
        "schedule": crontab(minute=7, hour=4),
    },
    "pact-review-reminders": {
        "task": "pacts.scan_review_reminders",
        "schedule": crontab(minute=0, hour=7),
    },
    "pact-review-reminders-resend": {
        "task": "pacts.resend_unsent_reminders",
        "schedule": crontab(minute=45),
    },
    "lab-meeting-reminders": {
        "task": "labs.send_meeting_reminders",
        "schedule": crontab(minute="*/10"),
    },
    "lab-remind-to-close-meetings": {
        "task": "labs.remind_to_close_meetings",
        "schedule": crontab(minute=0, hour=8),
    },
    "lab-expire-unconfirmed": {
        "task": "labs.expire_unconfirmed_registrations",
        "schedule": crontab(minute=23),
    },
    "research-close-due-surveys": {
        "task": "research.close_due_surveys",
        "schedule": crontab(minute=5),
    },
    "civic-lapse-unanswered": {
        "task": "civic_center.lapse_unanswered",
        "schedule": crontab(minute=13),
    },
    "civic-expire-demands": {
        "task": "civic_center.expire_demands",
        "schedule": crontab(minute=47, hour=2),
    },
    "fundraising-monthly-gifts": {
        "task": "fundraising.generate_monthly_gifts",
        "schedule": crontab(minute=23, hour=5),
    },
    # Daily, so that a day the workers were down is made up; each month's once.
    "reports-monthly": {
        "task": "reports.make_monthly_reports",
        "schedule": crontab(minute=30, hour=6),
    },
    "reports-delete-expired-exports": {
        "task": "reports.delete_expired_exports",
        "schedule": crontab(minute=41),
    },
}

INVITATION_EXPIRY_DAYS = _int("INVITATION_EXPIRY_DAYS", 7, minimum=1)

# --- Audit ----------------------------------------------------------------------------------

AUDIT_ACCESS_LOG_RETENTION_MONTHS = _int("AUDIT_ACCESS_LOG_RETENTION_MONTHS", 24, minimum=1)
AUDIT_CHANGE_LOG_RETENTION_MONTHS = _int("AUDIT_CHANGE_LOG_RETENTION_MONTHS", 0)
LEGAMI_TRUST_X_FORWARDED_FOR = _bool("TRUST_X_FORWARDED_FOR", False)

# --- Case files (beneficiaries) ---------------------------------------------------------------
# A file whose cases are all closed is anonymised this many months after the last closure.
CASE_FILE_RETENTION_MONTHS = _int("CASE_FILE_RETENTION_MONTHS", 60, minimum=1)
# The largest case list (CSV or XLSX) a coordinator may upload for import, in bytes.
CASE_IMPORT_MAX_BYTES = _int("CASE_IMPORT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)

# --- Generative pacts -------------------------------------------------------------------------
# Case workers and signatories are reminded of a pact's review this many days before it
# is due (and again once it is overdue).
PACT_REMINDER_DAYS_BEFORE = _int("PACT_REMINDER_DAYS_BEFORE", 7, minimum=0)

# --- Community labs ---------------------------------------------------------------------------
# A guest's sign-up waits this long for the confirmation of their address, then expires.
LAB_GUEST_CONFIRMATION_HOURS = _int("LAB_GUEST_CONFIRMATION_HOURS", 24, minimum=1)
# Reminders of a meeting are mailed this many hours before it (comma-separated).
try:
    LAB_REMINDER_HOURS = sorted(
        {
            int(part)
            for part in env.str("LAB_REMINDER_HOURS", default="48,2").split(",")
            if part.strip()
        }
    )
except ValueError as exc:
    raise ImproperlyConfigured(
        "LAB_REMINDER_HOURS must be whole numbers of hours separated by commas, e.g. 48,2."
    ) from exc
if any(hours < 1 for hours in LAB_REMINDER_HOURS):
    raise ImproperlyConfigured("LAB_REMINDER_HOURS must be at least 1 hour each.")

# --- Civic Center -----------------------------------------------------------------------------
# A matching run solves for at most this many seconds in all, shared by its independent
# parts (a service in an area); a part not proven optimal in time keeps the best solution
# found, and the run says so.
CIVIC_MATCH_TIME_LIMIT = _int("CIVIC_MATCH_TIME_LIMIT", 10, minimum=1)
# Families have this many days to answer a group proposal (and again after a price rise);
# then those who did not answer drop out and the group is priced for the others.
CIVIC_ANSWER_DAYS = _int("CIVIC_ANSWER_DAYS", 7, minimum=1)

# --- Wel(l)fare LAB (research) ----------------------------------------------------------------
# A practitioner who has not answered a survey is reminded at most once in this many days.
RESEARCH_REMINDER_DAYS = _int("RESEARCH_REMINDER_DAYS", 7, minimum=1)
# Text-search configuration of the findings library on PostgreSQL ("simple" is used when
# the server lacks it).
RESEARCH_SEARCH_CONFIG = env.str("RESEARCH_SEARCH_CONFIG", default="italian")

# --- Piano di zona reports -------------------------------------------------------------------
# A report file (XLSX, CSV, PDF) is kept this many days after it is made, then deleted.
REPORT_EXPORT_KEEP_DAYS = _int("REPORT_EXPORT_KEEP_DAYS", 7, minimum=1)

# --- Fundraising ------------------------------------------------------------------------------
# Card gifts through Stripe Checkout: offered only when both keys are set.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Another address for Stripe's API (a local fake in tests); empty: Stripe's own.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")

# --- Mail ---------------------------------------------------------------------------------

EMAIL_URL = _url(
    "EMAIL_URL",
    "consolemail://",
    {"smtp", "smtps", "smtp+tls", "smtp+ssl", "consolemail", "filemail", "memorymail", "dummymail"},
)
_email = env.email_url_config(EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Legami <noreply@legami.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Accounts (django-allauth) ------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "10/h/ip,3/h/key",
}
LOGIN_REDIRECT_URL = "legami:dashboard"
LOGIN_URL = "account_login"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Legami"
# Accept the code of the 30-second step before and after the current one: a phone's clock
# a few seconds off, or a code typed as it rolls over, still works (RFC 6238, section 5.2).
MFA_TOTP_TOLERANCE = 1
# A person whose role needs a second factor cannot turn their last one off.
MFA_ADAPTER = "legami.security.MFAAdapter"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- API ----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that an unauthenticated call gets 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # Roles that reach personal data use the API only once a second factor is set up.
        "legami.api_permissions.SecondFactorEnabled",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Legami API",
    "DESCRIPTION": "API of Legami, the platform of the Well-fare Legami network.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    # After the default hook: the error answers (400, 401, 403, 404) of every operation,
    # and closed alternatives of a oneOf (legami/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "legami.openapi.add_error_responses",
        "legami.openapi.close_alternatives",
    ],
}

# --- Language, time -----------------------------------------------------------------------

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="it")
LANGUAGES = [("it", _("Italian")), ("en", _("English"))]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE={LANGUAGE_CODE!r}: Legami speaks 'it' or 'en'.")
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["legami.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Rome")
try:
    from zoneinfo import ZoneInfo

    ZoneInfo(TIME_ZONE)
except Exception as exc:  # noqa: BLE001 - any failure means an unknown zone
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known time zone.") from exc
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security -----------------------------------------------------------------------------

SESSION_COOKIE_AGE = _int("SESSION_COOKIE_AGE", 10 * 3600, minimum=60)
# Sessions of staff (anyone holding a role, or Django staff) end after this much idle time,
# and at the latest this long after logging in; citizens keep SESSION_COOKIE_AGE.
STAFF_SESSION_IDLE_MINUTES = _int("STAFF_SESSION_IDLE_MINUTES", 30, minimum=1)
STAFF_SESSION_MAX_HOURS = _int("STAFF_SESSION_MAX_HOURS", 10, minimum=1)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = _int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]

# Content Security Policy (django-csp 4). No inline scripts anywhere: behaviour lives in
# static files. Styles allow 'self' only; Bootstrap Italia needs no inline CSS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

ADMINS = [("Legami", a) for a in env.list("ADMIN_EMAILS", default=[])]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

"""Qorgau settings, read from the environment.

Three modes (``QORGAU_MODE``): ``production`` (the default: refuses to start without real secrets),
``demo`` (``QORGAU_DEMO=1``: generated keys kept in ``var/keys.json``) and ``test``.
"""

from __future__ import annotations

import os
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from qorgau.core.keyconfig import load_keyring

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = Path(os.environ.get("QORGAU_PROJECT_DIR", BASE_DIR.parent.parent))
VAR_DIR = Path(os.environ.get("QORGAU_VAR_DIR", PROJECT_DIR / "var"))

MODE = os.environ.get("QORGAU_MODE") or ("demo" if os.environ.get("QORGAU_DEMO") == "1" else "production")
if MODE not in {"production", "demo", "test"}:
    raise ImproperlyConfigured(f"QORGAU_MODE must be production, demo or test, not {MODE!r}")
PRODUCTION = MODE == "production"
DEMO = MODE == "demo"
DEBUG = os.environ.get("QORGAU_DEBUG") == "1" and not PRODUCTION

SECRET_KEY = os.environ.get("QORGAU_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("QORGAU_SECRET_KEY is required in production")
    SECRET_KEY = "qorgau-insecure-" + MODE + "-key-never-use-in-production-0123456789abcdef"
elif PRODUCTION and (len(SECRET_KEY) < 50 or "insecure" in SECRET_KEY):
    raise ImproperlyConfigured("QORGAU_SECRET_KEY must be a random string of 50 characters or more")

# Field-encryption, blind-index and audit keys (DESIGN §5). See docs/security.md.
QORGAU_KEYRING = load_keyring(mode=MODE, var_dir=VAR_DIR)

ALLOWED_HOSTS = [h for h in os.environ.get("QORGAU_ALLOWED_HOSTS", "").split(",") if h]
if not PRODUCTION:
    ALLOWED_HOSTS += ["127.0.0.1", "localhost", "testserver"]
elif not ALLOWED_HOSTS:
    raise ImproperlyConfigured("QORGAU_ALLOWED_HOSTS is required in production")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("QORGAU_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "leaflet",  # django-leaflet: only its vendored Leaflet static files, for the operator's map
    "qorgau.core",
    "qorgau.accounts",
    "qorgau.people",
    "qorgau.cases",
    "qorgau.risk",
    "qorgau.orders",
    "qorgau.protocols",
    "qorgau.shelters",
    "qorgau.training",
    "qorgau.public",
    "qorgau.support",
    "qorgau.programmes",
    "qorgau.intake",
    "qorgau.monitoring",
    "qorgau.analytics",
    "qorgau.watch",
    "qorgau.privacy",
    "qorgau.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "qorgau.core.csp.SettledCSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qorgau.accounts.otp_middleware.SharedOTPMiddleware",
    "qorgau.accounts.middleware.SessionGuardMiddleware",
    "qorgau.core.middleware.UserLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Django's model backend, reading the user's unit with the user (accounts.backends).
AUTHENTICATION_BACKENDS = ["qorgau.accounts.backends.StaffBackend"]

ROOT_URLCONF = "qorgau.urls"
WSGI_APPLICATION = "qorgau.wsgi.application"
ASGI_APPLICATION = "qorgau.asgi.application"

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
                "qorgau.accounts.context.navigation",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{VAR_DIR / 'qorgau.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL", "" if PRODUCTION else _default_sqlite)
if not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_URL is required in production")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout: the demo runs a web server, a worker and a scheduler on one file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles a plan whose estimated cost passes jit_above_cost: on the national data
    # set the reassessments of a big unit (a few thousand cases, 1.3 s to run) spent 1.5 s more in JIT
    # compilation. Short OLTP statements gain nothing from it (ADR 0015). QORGAU_PG_OPTIONS replaces it.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_extra = os.environ.get("QORGAU_PG_OPTIONS", "-c jit=off")
    _pg_options["options"] = f"{_pg_options.get('options', '')} {_pg_extra}".strip()
    # Server-side parameters and prepared statements (ADR 0016): a statement run a few times on a
    # connection is planned once, not on every execution; planning was about half of PostgreSQL's
    # time on the case page. QORGAU_PG_PREPARE_THRESHOLD=off keeps client-side binding (a pooler
    # in transaction mode that cannot keep prepared statements).
    _prepare = os.environ.get("QORGAU_PG_PREPARE_THRESHOLD", "5").strip().lower()
    if _prepare != "off":
        if not _prepare.isdigit():
            raise ImproperlyConfigured(f"QORGAU_PG_PREPARE_THRESHOLD must be a number of executions (0 or more) or off, not {_prepare!r}")
        _pg_options.setdefault("server_side_binding", True)
        _pg_options.setdefault("prepare_threshold", int(_prepare))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
OTP_TOTP_ISSUER = "Qorgau"

QORGAU_IDLE_TIMEOUT_SECONDS = int(os.environ.get("QORGAU_IDLE_TIMEOUT_SECONDS", "1800"))
QORGAU_API_TOKEN_DAYS = int(os.environ.get("QORGAU_API_TOKEN_DAYS", "30"))
# Progressive login delays (DESIGN §5): free attempts, then 2**n seconds up to the cap.
QORGAU_LOGIN_FREE_ATTEMPTS = 3
QORGAU_LOGIN_MAX_DELAY_SECONDS = 900
QORGAU_LOGIN_FORGET_SECONDS = 3600  # failures older than this no longer count
# Sessions end after this long even when active (the idle timeout ends them sooner).
QORGAU_SESSION_MAX_SECONDS = int(os.environ.get("QORGAU_SESSION_MAX_SECONDS", str(12 * 3600)))
# Reverse proxies in front of Qorgau whose X-Forwarded-For is trusted (see docs/operations.md).
QORGAU_TRUSTED_PROXIES = int(os.environ.get("QORGAU_TRUSTED_PROXIES", "0"))
# API rate limits (accounts.rate_limit, docs/security.md "Rate limiting"): requests per fixed window,
# counted in the database so that every gunicorn process shares them; 0 turns a limit off. Generous on
# purpose: they stop a runaway script or a stolen token copying the registry, not people at work.
QORGAU_API_RATE_PER_MINUTE = int(os.environ.get("QORGAU_API_RATE_PER_MINUTE", "3000"))  # per user or machine token
QORGAU_API_ADDRESS_RATE_PER_MINUTE = int(os.environ.get("QORGAU_API_ADDRESS_RATE_PER_MINUTE", "10000"))  # per client address
QORGAU_API_RATE_WINDOW_SECONDS = 60

# The shared cache (ADR 0017, docs/security.md "The shared cache"): with a Redis URL, every web
# process reads the session, the signed-in user with the unit and the second-factor device from it,
# and counts the API rate limits in it, instead of four statements per request. Without one (the
# embedded default) each process keeps its own memory cache and all four come from the database.
QORGAU_CACHE_URL = os.environ.get("QORGAU_CACHE_URL", "")
if QORGAU_CACHE_URL:
    if urlsplit(QORGAU_CACHE_URL).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured("QORGAU_CACHE_URL must be a redis://, rediss:// or unix:// URL")
    CACHES = {"default": {"BACKEND": "qorgau.core.redis_cache.SharedRedisCache", "LOCATION": QORGAU_CACHE_URL, "KEY_PREFIX": "qorgau"}}
    # Written through to the database, read from the cache: a restarted Redis loses no session.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "qorgau.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
FORM_RENDERER = os.environ.get("QORGAU_FORM_RENDERER", "django.forms.renderers.Jinja2")
if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("QORGAU_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- languages and time ---------------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("kk", _("Kazakh")), ("en", _("English"))]
# Django has no Kazakh number formats; ours (qorgau/formats/kk) group thousands as Russian does.
FORMAT_MODULE_PATH = ["qorgau.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Zones come from the pinned tzdata package, not the host's files, so every machine agrees that
# Kazakhstan moved to one offset (UTC+5) on 1 March 2024 (DESIGN §10).
zoneinfo.reset_tzpath(to=[])
TIME_ZONE = "UTC"
QORGAU_DEFAULT_ZONE = "Asia/Almaty"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Uploads stay in memory only, never in a plaintext temporary file; anything larger than this is
# dropped by Django and the form reports the file as missing (attachments allow 10 MB).
FILE_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
# Case attachments: encrypted files, one per random name, in this directory (cases.attachments).
QORGAU_ATTACHMENT_DIR = Path(os.environ.get("QORGAU_ATTACHMENT_DIR", VAR_DIR / "attachments"))
QORGAU_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
# Years after its closure that a case keeps its decryptable personal fields (cases.retention,
# docs/retention.md). A default to confirm with legal counsel.
QORGAU_RETENTION_YEARS = int(os.environ.get("QORGAU_RETENTION_YEARS", "5"))
QORGAU_RETENTION_BATCH = 200  # cases per transaction

# --- background work ------------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if MODE == "test"
        else "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
QORGAU_AUDIT_CHECKPOINT_PATH = Path(os.environ.get("QORGAU_AUDIT_CHECKPOINT_PATH", VAR_DIR / "audit-checkpoints.log"))
QORGAU_AUDIT_SEAL_BATCH = 5000
# Called by `qorgau rotate-keys` to recompute blind indexes under the active blind-index key.
QORGAU_BLIND_INDEX_REBUILDERS = [
    "qorgau.accounts.services.staff_blind_indexes_rebuild",
    "qorgau.people.services.person_blind_indexes_rebuild",
]
# Called by `qorgau rotate-keys` to re-encrypt data kept outside the database (attachment files).
QORGAU_FILE_REENCRYPTORS = ["qorgau.cases.attachments.attachment_files_rotate"]

# --- e-mail and SMS (docs/notifications.md): messages hold no personal data, only a kind and a link --
# Links in e-mail and SMS point here (the address users open Qorgau at).
SITE_URL = os.environ.get("QORGAU_SITE_URL") or (f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://127.0.0.1:8000")
EMAIL_BACKEND = os.environ.get(
    "QORGAU_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("QORGAU_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("QORGAU_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("QORGAU_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("QORGAU_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("QORGAU_EMAIL_USE_TLS") == "1"
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("QORGAU_DEFAULT_FROM_EMAIL", "Qorgau <no-reply@qorgau.local>")
# A class with send(phone, text) -> message id; the default only logs (no number, no text) and keeps
# an in-memory outbox. See docs/notifications.md to plug in a real gateway.
SMS_BACKEND = os.environ.get("QORGAU_SMS_BACKEND", "qorgau.accounts.sms.LoggingSmsBackend")
# The registry holds no language of a victim: messages to her are written in this one (ru, kk or en).
QORGAU_VICTIM_LANGUAGE = os.environ.get("QORGAU_VICTIM_LANGUAGE", "ru")

# --- electronic monitoring (DESIGN §7, docs/monitoring.md) --------------------------------------------
QORGAU_MONITORING = {
    # Virtual shards: an offender set's shard is fixed at creation, so this number never changes once data exists.
    "SHARDS": int(os.environ.get("QORGAU_MONITORING_SHARDS", "64")),
    "LEASE_SECONDS": int(os.environ.get("QORGAU_MONITORING_LEASE_SECONDS", "15")),
    "PROXIMITY_M": 500,  # the default distance he must keep; a court decision sets its own
    "CLEAR_FACTOR": 1.25,  # hysteresis: a proximity or zone condition clears only this much farther out
    "CLEAR_SECONDS": 120,  # … and only after staying out this long
    "MAX_ACCURACY_M": 250.0,  # a fix less precise than this raises nothing (false alarms made victims give devices back)
    "STALE_SECONDS": 300,  # her last position older than this is not used for proximity
    "BATTERY_LOW": 15,
    "BATTERY_CLEAR": 25,
    "NO_SIGNAL_MINUTES": int(os.environ.get("QORGAU_MONITORING_NO_SIGNAL_MINUTES", "15")),
    "ACK_MINUTES": int(os.environ.get("QORGAU_MONITORING_ACK_MINUTES", "3")),  # unacknowledged this long: escalate
    "FUTURE_SLACK_SECONDS": 300,  # a device clock this far ahead is refused
    "PING_RETENTION_DAYS": int(os.environ.get("QORGAU_PING_RETENTION_DAYS", "180")),
    "MQTT_HOST": os.environ.get("QORGAU_MQTT_HOST", "127.0.0.1"),
    "MQTT_PORT": int(os.environ.get("QORGAU_MQTT_PORT", "1884")),
    "MQTT_USERNAME": os.environ.get("QORGAU_MQTT_USERNAME", "qorgau-service"),
    "MQTT_PASSWORD": os.environ.get("QORGAU_MQTT_PASSWORD", ""),
    "MQTT_TLS_CA": os.environ.get("QORGAU_MQTT_TLS_CA", ""),  # production: the broker's CA; empty means plain TCP on localhost
    # The HTTP gateway endpoint processes a batch in its own process (embedded demo, tests) instead of
    # publishing it to the shards' topics. Never with monitors running: two processes would hold one offender set.
    "INLINE": os.environ.get("QORGAU_MONITORING_INLINE", "0" if PRODUCTION else "1") == "1",
}
# The operator's map: a self-hosted tile server in production ("https://tiles.example.kz/{z}/{x}/{y}.png");
# empty draws the region and district boundaries that Qorgau ships, with no network at all.
QORGAU_MAP_TILE_URL = os.environ.get("QORGAU_MAP_TILE_URL", "")
QORGAU_MAP_TILE_ATTRIBUTION = os.environ.get("QORGAU_MAP_TILE_ATTRIBUTION", "")
if QORGAU_MAP_TILE_URL:  # the tile server's images are the one outside origin the CSP lets in
    _tiles = urlsplit(QORGAU_MAP_TILE_URL.replace("{s}.", "*."))
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_tiles.netloc}")

# --- logging: no personal data, ever (DESIGN §5) --------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "qorgau.core.logscrub.ScrubFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["scrub"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("QORGAU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
ADMINS: list[tuple[str, str]] = []

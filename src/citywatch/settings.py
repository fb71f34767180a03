"""CityWatch settings, read from the environment (see README "Configuration")."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from citywatch.env import env_bool, env_float, env_int, env_list, env_networks, env_str, secret_key

# Spreadsheets are parsed by openpyxl through defusedxml (entity expansion and network access off). lxml
# is installed too (python-docx needs it), and openpyxl would otherwise prefer it and skip defusedxml.
os.environ.setdefault("OPENPYXL_LXML", "False")

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent

DATA_DIR = Path(env_str("CITYWATCH_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "static").mkdir(exist_ok=True)

DEBUG = env_bool("CITYWATCH_DEBUG", False)
SECRET_KEY = secret_key(DATA_DIR)
ALLOWED_HOSTS = env_list("CITYWATCH_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CITYWATCH_CSRF_TRUSTED_ORIGINS", [])

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env_str("CITYWATCH_DATABASE_URL", f"spatialite:///{DATA_DIR / 'citywatch.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CITYWATCH_DB_CONN_MAX_AGE", 0))
}
# How long a write waits for another writer's lock (SQLite) before it is answered 503 with Retry-After.
CITYWATCH_DB_BUSY_TIMEOUT_MS = env_int("CITYWATCH_DB_BUSY_TIMEOUT_MS", 20_000)
if DATABASES["default"]["ENGINE"] == "django.contrib.gis.db.backends.spatialite":
    # GeoDjango's SpatiaLite backend, with the busy timeout, WAL and synchronous=NORMAL set after the
    # extension has loaded (loading it resets the busy timeout; init_command runs before): see
    # citywatch/spatialite/base.py.
    DATABASES["default"]["ENGINE"] = "citywatch.spatialite"
    DATABASES["default"].setdefault("OPTIONS", {})
    # Wait for a writer instead of failing at once when web and worker write together.
    DATABASES["default"]["OPTIONS"].setdefault("timeout", CITYWATCH_DB_BUSY_TIMEOUT_MS / 1000)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Applications ---------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "axes",
    "huey.contrib.djhuey",
    "ninja",
    "citywatch",
    "citywatch.core",
    "citywatch.geo",
    "citywatch.notify",
    "citywatch.resources",
    "citywatch.incidents",
    "citywatch.monitoring",
    "citywatch.warnings",
    "citywatch.response",
    "citywatch.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "citywatch.core.middleware.ContentSecurityPolicyMiddleware",
    "citywatch.core.middleware.ApiErrorBodyMiddleware",
    "citywatch.core.middleware.RequestLimitMiddleware",
    "citywatch.core.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "citywatch.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "citywatch.core.middleware.AuthenticationMiddleware",  # Django's, sessions kept per process
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "citywatch.core.middleware.ActorMiddleware",
    "citywatch.core.middleware.LoginRequiredMiddleware",
    "citywatch.core.middleware.PasswordChangeRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
    "citywatch.core.middleware.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "citywatch.urls"
ASGI_APPLICATION = "citywatch.asgi.application"
WSGI_APPLICATION = "citywatch.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "citywatch.core.context_processors.citywatch",
            ],
        },
    }
]

# --- Users, login, security -----------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Accounts (docs/architecture.md "Accounts"): a password reset link an administrator issues
# (`citywatch user reset-link USERNAME` or the user's page in the admin) works once, for this long.
PASSWORD_RESET_TIMEOUT = env_int("CITYWATCH_RESET_LINK_HOURS", 24) * 3600
# A password change revokes the user's API tokens, unless this is true.
CITYWATCH_KEEP_TOKENS_ON_PASSWORD_CHANGE = env_bool("CITYWATCH_KEEP_TOKENS_ON_PASSWORD_CHANGE", False)
# The address users open CityWatch at (https://citywatch.example.org), for links printed by commands.
CITYWATCH_BASE_URL = env_str("CITYWATCH_BASE_URL", "")

# Reverse proxies whose X-Forwarded-For (and -Proto) is believed: addresses or networks, default none.
# The application (citywatch.proxies.client_address) and the server (citywatch.proxies.uvicorn_options)
# follow the same list.
TRUSTED_PROXIES = env_networks("CITYWATCH_TRUSTED_PROXIES", [])

# Login attempts (citywatch.core.lockout): CITYWATCH_LOGIN_FAILURE_LIMIT failures for one username from
# any addresses, or CITYWATCH_LOGIN_ADDRESS_FAILURE_LIMIT failures from one address for any usernames,
# within the cool-down lock that username (or address) until the cool-down has passed.
AXES_FAILURE_LIMIT = env_int("CITYWATCH_LOGIN_FAILURE_LIMIT", 5)
CITYWATCH_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("CITYWATCH_LOGIN_ADDRESS_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("CITYWATCH_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "citywatch.core.lockout.LoginAttemptHandler"
AXES_CLIENT_IP_CALLABLE = "citywatch.proxies.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "citywatch.core.views.locked_out"
AXES_VERBOSE = False

HTTPS = env_bool("CITYWATCH_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
# A load balancer probes these over plain HTTP (paths without the leading slash).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("CITYWATCH_BEHIND_PROXY", False) else None
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("CITYWATCH_SESSION_AGE", 12 * 3600)
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Request bodies: larger ones are refused with 413 before they reach a view, by the ASGI middleware in
# asgi.py (before anything is read or written to disk) and by core.middleware.RequestLimitMiddleware.
# Uploads (multipart) have their own, larger limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("CITYWATCH_MAX_REQUEST_BYTES", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
CITYWATCH_MAX_UPLOAD_BYTES = env_int("CITYWATCH_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
CITYWATCH_MAX_IMPORT_BYTES = env_int("CITYWATCH_MAX_IMPORT_BYTES", 200 * 1024 * 1024)
# Bounds of every imported file's parser (core/limits.py): rows read (blank rows count), arrays and
# objects in a JSON file (so coordinate vertices), bytes an archive (.xlsx) unpacks to.
CITYWATCH_IMPORT_MAX_ROWS = env_int("CITYWATCH_IMPORT_MAX_ROWS", 100_000)
CITYWATCH_IMPORT_MAX_VERTICES = env_int("CITYWATCH_IMPORT_MAX_VERTICES", 1_000_000)
CITYWATCH_IMPORT_MAX_UNZIPPED_BYTES = env_int("CITYWATCH_IMPORT_MAX_UNZIPPED_BYTES", 100 * 1024 * 1024)
# Population grids: populated cells read from one file (GeoTIFF cells above 0, CSV rows).
CITYWATCH_POPULATION_MAX_CELLS = env_int("CITYWATCH_POPULATION_MAX_CELLS", 20_000_000)
# Road networks: way nodes read from one .osm.pbf.
CITYWATCH_ROADS_MAX_WAY_NODES = env_int("CITYWATCH_ROADS_MAX_WAY_NODES", 20_000_000)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
MEDIA_ROOT = DATA_DIR / "uploads"

# --- Language and time ----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static files (front-end packages are copied into static/vendor at setup; no CDN) -------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# collectstatic names files by their content (a manifest) and, unless CITYWATCH_STATIC_COMPRESS is false
# (a proxy compresses), writes gzip and Brotli copies of them, which takes most of its minute.
STATIC_COMPRESS = env_bool("CITYWATCH_STATIC_COMPRESS", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_COMPRESS
        else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Background work ------------------------------------------------------------------------------
REDIS_URL = env_str("CITYWATCH_REDIS_URL", "")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": "citywatch",
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "citywatch",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The worker is healthy while its heartbeat is younger than this.
CITYWATCH_HEARTBEAT_MAX_AGE = env_int("CITYWATCH_HEARTBEAT_MAX_AGE", 180)

# --- Map ------------------------------------------------------------------------------------------
# A raster tile template such as https://tile.openstreetmap.org/{z}/{x}/{y}.png. Without it the map
# draws CityWatch's own boundaries on a plain background and works offline.
BASEMAP_URL = env_str("CITYWATCH_BASEMAP_URL", "")
BASEMAP_ATTRIBUTION = env_str("CITYWATCH_BASEMAP_ATTRIBUTION", "")

# --- Travel-time engine (geo/routing) -------------------------------------------------------------
# A point farther than this from the road network is reported off-network.
CITYWATCH_ROUTING_SNAP_LIMIT_M = env_float("CITYWATCH_ROUTING_SNAP_LIMIT_M", 2000.0)
# Without a road network: ETA = great-circle distance × detour factor / speed.
CITYWATCH_ROUTING_DETOUR_FACTOR = env_float("CITYWATCH_ROUTING_DETOUR_FACTOR", 1.3)
CITYWATCH_ROUTING_FALLBACK_SPEED_KMH = env_float("CITYWATCH_ROUTING_FALLBACK_SPEED_KMH", 40.0)
# Speed on the leg between a point and its nearest road node.
CITYWATCH_ROUTING_ACCESS_SPEED_KMH = env_float("CITYWATCH_ROUTING_ACCESS_SPEED_KMH", 20.0)

# --- Incidents: the upward-reporting clock (minutes after verification) -------------------------------
CITYWATCH_FIRST_REPORT_MINUTES = env_int("CITYWATCH_FIRST_REPORT_MINUTES", 30)
CITYWATCH_WRITTEN_REPORT_MINUTES = env_int("CITYWATCH_WRITTEN_REPORT_MINUTES", 60)
# A forward command post should be established within this many minutes of the incident's verification.
CITYWATCH_COMMAND_POST_TARGET_MINUTES = env_int("CITYWATCH_COMMAND_POST_TARGET_MINUTES", 30)

# --- Serving ----------------------------------------------------------------------------------------
# Request threads per server process (citywatch/serving.py): each keeps its database connection; a
# request that finds them all busy waits. 0: Django's stock handler, a new thread per request.
CITYWATCH_REQUEST_THREADS = env_int("CITYWATCH_REQUEST_THREADS", 16)

# --- Live updates (Server-Sent Events) ------------------------------------------------------------
CITYWATCH_EVENTS_POLL_SECONDS = env_float("CITYWATCH_EVENTS_POLL_SECONDS", 1.0)
CITYWATCH_EVENTS_HEARTBEAT_SECONDS = env_float("CITYWATCH_EVENTS_HEARTBEAT_SECONDS", 15.0)
# A stream ends after this long; the browser reconnects and resumes from the last event it saw.
CITYWATCH_EVENTS_MAX_SECONDS = env_float("CITYWATCH_EVENTS_MAX_SECONDS", 300.0)
# On PostgreSQL each server process LISTENs for new rows (one connection) instead of polling for them.
CITYWATCH_EVENTS_LISTEN = env_bool("CITYWATCH_EVENTS_LISTEN", True)
# A dispatch order not accepted (or declined) within this many minutes is shown as unanswered.
CITYWATCH_ORDER_ANSWER_MINUTES = env_int("CITYWATCH_ORDER_ANSWER_MINUTES", 5)
# The duty screen lists upward reports falling due within this many minutes beside the overdue ones.
CITYWATCH_REPORT_DUE_SOON_MINUTES = env_int("CITYWATCH_REPORT_DUE_SOON_MINUTES", 30)

# --- Notifications (notify: the outbox, its worker and transports) -------------------------------
# The MQTT broker notifications are published to: mqtt://[user:password@]host[:1883] or mqtts://… (TLS).
# Without it MQTT subscriptions wait (their deliveries stay pending) and everything else works.
CITYWATCH_MQTT_URL = env_str("CITYWATCH_MQTT_URL", "")
# Connect and PUBACK timeout of the MQTT transport.
CITYWATCH_NOTIFY_MQTT_TIMEOUT_SECONDS = env_float("CITYWATCH_NOTIFY_MQTT_TIMEOUT_SECONDS", 10.0)
# A delivery that failed this many times is dead (kept, shown, and retried only by a person).
CITYWATCH_NOTIFY_MAX_ATTEMPTS = env_int("CITYWATCH_NOTIFY_MAX_ATTEMPTS", 8)
# Back-off after the n-th failure: base × 2^(n-1), at most the maximum, with jitter (half to all of it).
CITYWATCH_NOTIFY_RETRY_BASE_SECONDS = env_float("CITYWATCH_NOTIFY_RETRY_BASE_SECONDS", 30.0)
CITYWATCH_NOTIFY_RETRY_MAX_SECONDS = env_float("CITYWATCH_NOTIFY_RETRY_MAX_SECONDS", 1800.0)
# A delivery claimed longer ago than this is taken back (its worker stopped mid-send).
CITYWATCH_NOTIFY_CLAIM_TIMEOUT_SECONDS = env_float("CITYWATCH_NOTIFY_CLAIM_TIMEOUT_SECONDS", 300.0)
# How often `citywatch deliver` (and the worker's delivery task) looks for work when there is none.
CITYWATCH_NOTIFY_POLL_SECONDS = env_float("CITYWATCH_NOTIFY_POLL_SECONDS", 1.0)
# Whether `citywatch worker` delivers notifications itself (off when `citywatch deliver` runs apart).
CITYWATCH_NOTIFY_IN_WORKER = env_bool("CITYWATCH_NOTIFY_IN_WORKER", True)
CITYWATCH_NOTIFY_WEBHOOK_CONNECT_TIMEOUT = env_float("CITYWATCH_NOTIFY_WEBHOOK_CONNECT_TIMEOUT", 5.0)
CITYWATCH_NOTIFY_WEBHOOK_READ_TIMEOUT = env_float("CITYWATCH_NOTIFY_WEBHOOK_READ_TIMEOUT", 10.0)
# The largest payload (JSON) a message may carry.
CITYWATCH_NOTIFY_MAX_PAYLOAD_BYTES = env_int("CITYWATCH_NOTIFY_MAX_PAYLOAD_BYTES", 64 * 1024)

# E-mail: SMTP when CITYWATCH_EMAIL_HOST is set, otherwise printed on the console (demo, development).
CITYWATCH_EMAIL_HOST = env_str("CITYWATCH_EMAIL_HOST", "")
CITYWATCH_EMAIL_PORT = env_int("CITYWATCH_EMAIL_PORT", 587)
CITYWATCH_EMAIL_USER = env_str("CITYWATCH_EMAIL_USER", "")
CITYWATCH_EMAIL_PASSWORD = env_str("CITYWATCH_EMAIL_PASSWORD", "")
CITYWATCH_EMAIL_USE_TLS = env_bool("CITYWATCH_EMAIL_USE_TLS", True)
CITYWATCH_EMAIL_USE_SSL = env_bool("CITYWATCH_EMAIL_USE_SSL", False)
CITYWATCH_EMAIL_TIMEOUT = env_float("CITYWATCH_EMAIL_TIMEOUT", 10.0)
CITYWATCH_EMAIL_FROM = env_str("CITYWATCH_EMAIL_FROM", "CityWatch <citywatch@localhost>")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if CITYWATCH_EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = CITYWATCH_EMAIL_HOST or "localhost"
EMAIL_PORT = CITYWATCH_EMAIL_PORT
EMAIL_HOST_USER = CITYWATCH_EMAIL_USER
EMAIL_HOST_PASSWORD = CITYWATCH_EMAIL_PASSWORD
EMAIL_USE_TLS = CITYWATCH_EMAIL_USE_TLS and not CITYWATCH_EMAIL_USE_SSL
EMAIL_USE_SSL = CITYWATCH_EMAIL_USE_SSL
EMAIL_TIMEOUT = CITYWATCH_EMAIL_TIMEOUT
DEFAULT_FROM_EMAIL = CITYWATCH_EMAIL_FROM
SERVER_EMAIL = CITYWATCH_EMAIL_FROM

# --- Monitoring (observations, rules, alarms) ----------------------------------------------------
# Readings one ingestion batch may hold (POST /api/v1/observations answers 413 above it), and the body
# size of that endpoint (JSON or CSV).
CITYWATCH_INGEST_MAX_READINGS = env_int("CITYWATCH_INGEST_MAX_READINGS", 50_000)
CITYWATCH_INGEST_MAX_BYTES = env_int("CITYWATCH_INGEST_MAX_BYTES", 5 * 1024 * 1024)
# A reading more than this far in the future is refused (clock skew allowance).
CITYWATCH_INGEST_FUTURE_MINUTES = env_int("CITYWATCH_INGEST_FUTURE_MINUTES", 10)
# The demo's light live feed (demo.live): its synthetic stations keep reporting quiet readings every
# minute in `citywatch worker`. `citywatch demo` turns it on for its own worker.
CITYWATCH_DEMO_LIVE_FEED = env_bool("CITYWATCH_DEMO_LIVE_FEED", False)
# Days the hourly counts of each source's refused readings are kept (the sources page shows the last day).
CITYWATCH_REJECT_RETENTION_DAYS = env_int("CITYWATCH_REJECT_RETENTION_DAYS", 7)
# PostgreSQL: monthly observation partitions the worker keeps created ahead, and how long observations
# are kept (0: for ever); whole partitions older than that are dropped by the worker.
CITYWATCH_OBSERVATION_PARTITIONS_AHEAD = env_int("CITYWATCH_OBSERVATION_PARTITIONS_AHEAD", 3)
CITYWATCH_OBSERVATION_RETENTION_DAYS = env_int("CITYWATCH_OBSERVATION_RETENTION_DAYS", 0)
# `citywatch ingest mqtt` subscribes to <prefix>/<source code>/<station external id> on CITYWATCH_MQTT_URL.
CITYWATCH_MQTT_OBS_PREFIX = env_str("CITYWATCH_MQTT_OBS_PREFIX", "citywatch/obs")
CITYWATCH_MQTT_CLIENT_ID = env_str("CITYWATCH_MQTT_CLIENT_ID", "citywatch-ingest")
# --- Warnings -------------------------------------------------------------------------------------
# Duty officers may issue blue and yellow warnings without a commander's approval.
CITYWATCH_WARNINGS_DUTY_OFFICER_ISSUES_LOW = env_bool("CITYWATCH_WARNINGS_DUTY_OFFICER_ISSUES_LOW", False)
# CAP: the sender of the alerts CityWatch publishes (no spaces or commas) and the issuer's name.
CITYWATCH_CAP_SENDER = env_str("CITYWATCH_CAP_SENDER", "citywatch@xiamen.example.cn")
CITYWATCH_CAP_SENDER_NAME = env_str("CITYWATCH_CAP_SENDER_NAME", "厦门市应急指挥中心")  # shown to the public
CITYWATCH_CAP_MAX_BYTES = env_int("CITYWATCH_CAP_MAX_BYTES", 1024 * 1024)
# Feeds of official CAP alerts polled by the worker (one URL each; also manageable as CapFeed rows).
CITYWATCH_CAP_FEEDS = env_list("CITYWATCH_CAP_FEEDS", [])
CITYWATCH_CAP_POLL_MINUTES = env_int("CITYWATCH_CAP_POLL_MINUTES", 5)
# How long the Atom feed keeps listing the Cancel of an alert that was lifted or expired.
CITYWATCH_CAP_FEED_CANCEL_HOURS = env_int("CITYWATCH_CAP_FEED_CANCEL_HOURS", 24)
# Proposals: a district reaches a level when this many of its gauges do (1: any gauge).
CITYWATCH_SIGNAL_MIN_STATIONS = env_int("CITYWATCH_SIGNAL_MIN_STATIONS", 1)
# Readings older than this take no part in proposals (a silent gauge does not keep a storm alive).
CITYWATCH_SIGNAL_MAX_AGE_MINUTES = env_int("CITYWATCH_SIGNAL_MAX_AGE_MINUTES", 180)
# The public page's cache lifetime (seconds).
CITYWATCH_PUBLIC_MAX_AGE = env_int("CITYWATCH_PUBLIC_MAX_AGE", 60)

# --- Demo -----------------------------------------------------------------------------------------
# The demo users' password; generated on the first load (and kept in <data dir>/demo-password) if empty.
CITYWATCH_DEMO_PASSWORD = env_str("CITYWATCH_DEMO_PASSWORD", "").strip()

# --- API ------------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 100
NINJA_PAGINATION_MAX_LIMIT = 1000

# --- Logging --------------------------------------------------------------------------------------
# One line per meaningful event, each written once: a logger either propagates to the root's console
# handler or has that handler itself and does not propagate, never both. Routine work (each delivery, each
# task run, each periodic enqueue) is DEBUG, shown with CITYWATCH_LOG_LEVEL=DEBUG.
LOG_LEVEL = env_str("CITYWATCH_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s", "datefmt": "%Y-%m-%d %H:%M:%S"}
    },
    "filters": {"without_traceback": {"()": "citywatch.logfilters.WithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's defaults give "django" a console of its own (under DEBUG) besides the root's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # A request for a host not in ALLOWED_HOSTS (the demo reached by its LAN address): one line, which
        # names the host and the setting, not a traceback of Django's frames.
        "django.security.DisallowedHost": {"filters": ["without_traceback"]},
        # An ordinary 403/404 is no news to an operator: only server errors (5xx, with their traceback).
        "django.request": {"level": env_str("CITYWATCH_REQUEST_LOG_LEVEL", "ERROR")},
        # uvicorn's own lines in the same shape as ours: one clock per line. The access log (a line per
        # request: a map asks for dozens of tiles at a time) can be turned down with WARNING.
        # CITYWATCH_SERVER_LOG_LEVEL=WARNING leaves out its start and stop lines (the demo's console does).
        "uvicorn.error": {
            "handlers": ["console"],
            "level": env_str("CITYWATCH_SERVER_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
        "uvicorn.access": {
            "handlers": ["console"],
            "level": env_str("CITYWATCH_ACCESS_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
        # Huey's consumer gives the "huey" logger a handler of its own when it has none — on top of the
        # root's, so every line came twice. It has ours and does not propagate; its routine lines (each task
        # run, each periodic enqueue) only at DEBUG. ``citywatch worker`` says itself that it started.
        "huey": {
            "handlers": ["console"],
            "level": "DEBUG" if LOG_LEVEL == "DEBUG" else "WARNING",
            "propagate": False,
        },
        "axes": {"level": "WARNING"},
        # Notifications: a line per delivery round and per subscription made (``citywatch demo`` turns them
        # down to WARNING: failed and dead deliveries).
        "citywatch.notify": {"level": env_str("CITYWATCH_NOTIFY_LOG_LEVEL", LOG_LEVEL)},
    },
}

# Debian 12 ships GDAL 3.6, which cannot block file and network access while parsing spatial
# references (Django asks for 3.9). CityWatch never hands GDAL a user-supplied spatial reference:
# uploads are parsed by shapely/pyosmium and coordinates are converted in geo/crs.py.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

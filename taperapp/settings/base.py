"""Settings shared by every environment, read from the process environment.

Each environment module (local, test, production) starts with ``from .base import *`` and
then sets what differs. Production declares its required variables without defaults, so a
missing value stops the process at start-up instead of running with a development value.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# An explicit env file (e.g. DJANGO_ENV_FILE=.env) is read only when asked for, so tests and
# CI never pick up a developer's local file by accident. Real environment variables win.
if env_file := env.str("DJANGO_ENV_FILE", default=""):
    environ.Env.read_env(env_file, overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# PostgreSQL's JIT compiler spends hundreds of milliseconds compiling the worklist's query
# (many small correlated subqueries look expensive to the planner) to save a few: off, as is
# usual for short OLTP queries (docs/benchmarks.md, B1).
POSTGRES_SESSION_OPTIONS = "-c jit=off"

# Embedded default: SQLite in var/, so the run command needs no database server.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'taperapp.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # Web, worker and beat share the file: WAL lets readers run beside one writer, and
    # IMMEDIATE transactions wait for the write lock instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = POSTGRES_SESSION_OPTIONS
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "taperapp.admin_site.TaperAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "pgtrigger",
    "pghistory",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "taperapp.accounts",
    "taperapp.audit",
    "patients",
    "symptoms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A body too large is refused (413) before anything reads it.
    "taperapp.middleware.RequestBodyLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Attaches the user and view to every history row the database triggers write.
    "taperapp.middleware.HistoryContextMiddleware",
    # Signed in but not yet past the second factor: only the MFA pages and sign-out.
    "taperapp.middleware.MFARequiredMiddleware",
    # Deny by default: every view needs a login unless marked @login_not_required.
    "taperapp.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Ends a session 12 hours after sign-in whatever the activity (idle expiry: cookie age).
    "taperapp.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Inside the auth middleware: sees the user, the resolved view and the final response.
    "taperapp.audit.middleware.AuditMiddleware",
    # Last: counts failed logins and refuses locked-out attempts.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out attempt before checking it
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout after 5 failed logins for a username from one address [site policy; OWASP ASVS
# V6 asks for rate limiting]; it lifts after 30 minutes, or at once when an admin deletes the
# attempt in the admin (Axes > Access attempts) or runs `manage.py axes_reset_username`.
AXES_FAILURE_LIMIT = env.int("TAPERAPP_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("TAPERAPP_LOCKOUT_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The same client address as the audit and the per-address throttle (behind a proxy, the
# proxy's own address would lock a username out for everyone).
AXES_CLIENT_IP_CALLABLE = "taperapp.audit.services.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_SENSITIVE_PARAMETERS = ["password", "token", "otp_token", "secret"]

ROOT_URLCONF = "taperapp.urls"
WSGI_APPLICATION = "taperapp.wsgi.application"

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
                "taperapp.accounts.context_processors.roles",
                "taperapp.accounts.context_processors.alert_badge",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Argon2id first (OWASP ASVS V6); older hashes are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Length over composition (NIST 800-63B, ASVS V6.2): at least 12 characters, no common or
# name-like passwords, long passphrases welcome, no "one digit, one symbol" rules.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "taperapp.accounts.passwords.PatternPasswordValidator"},
    {"NAME": "taperapp.accounts.passwords.ContextPasswordValidator"},
]

# Two-factor sign-in (TOTP, with single-use backup codes) for every role. Required in
# production; the local demo leaves it off unless TAPERAPP_REQUIRE_MFA=true.
MFA_REQUIRED = env.bool("TAPERAPP_REQUIRE_MFA", default=False)
OTP_TOTP_ISSUER = "taperapp"
MFA_BACKUP_CODES = 10

# Sessions: ended after 30 minutes without activity, and 12 hours after sign-in whatever the
# activity (SessionLifetimeMiddleware) [site policy, HIPAA 164.312(a)(2)(iii) automatic logoff].
# Activity is what a person does: a page's own background refresh (the alert dashboard every
# 15 s) is marked BACKGROUND_REQUEST_HEADER and does not count, so an unattended screen ends
# its session. The cookie lives as long as the longest session; the middleware ends it sooner.
SESSION_IDLE_SECONDS = env.int("TAPERAPP_SESSION_IDLE_MINUTES", default=30) * 60
SESSION_ABSOLUTE_SECONDS = env.int("TAPERAPP_SESSION_MAX_HOURS", default=12) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
BACKGROUND_REQUEST_HEADER = "HTTP_X_TAPERAPP_BACKGROUND"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"  # stored in UTC; shown in each clinic's own time zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end assets come from npm packages installed by the set-up scripts (never a CDN, never
# committed): each is exposed under static/vendor/<name>/.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content Security Policy: scripts only from this site (the app has no inline script; data
# for scripts travels in json_script blocks), nothing frames the app. Inline style
# *attributes* stay allowed for Bootstrap and ECharts; style elements come from this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Messages ("Patient Smith, Anna created") live in the session, not in a cookie the browser
# keeps and sends with every request.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# No request of this app carries more than a few KB outside file uploads (a log is ~2 KB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# History rows can be written, never changed or removed: pghistory's protection triggers
# (the app's database role also has no UPDATE, DELETE or TRUNCATE on them: manage.py db_roles).
PGHISTORY_APPEND_ONLY = True

# API tokens (django-rest-knox): stored as SHA-512 hashes, expiring, at most 5 per person,
# minted on the "API tokens" page from a session that passed the second factor.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("TAPERAPP_API_TOKEN_DAYS", default=7)),
    "TOKEN_LIMIT_PER_USER": 5,
    "AUTO_REFRESH": False,
}

REST_FRAMEWORK = {
    # JSON only: one way in, checked for depth and NUL characters (form-encoded bodies reached
    # the database with a NUL). Anything else is 415.
    "DEFAULT_PARSER_CLASSES": ["taperapp.api.BoundedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["taperapp.api.RolePermission"],
    "EXCEPTION_HANDLER": "taperapp.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "taperapp API",
    "DESCRIPTION": "Benzodiazepine taper and withdrawal tracking. Every call is scoped to the "
    "caller's clinics; objects of other clinics answer 404.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "taperapp.openapi.document_error_responses",
    ],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from the drf-spectacular-sidecar package: the app runs without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PatientStatusEnum": "patients.models.PatientStatus",
        "PlanStatusEnum": "patients.models.PlanStatus",
        "LogStatusEnum": "symptoms.models.LogStatus",
        "CiwaSeverityEnum": "symptoms.scales.SEVERITY_CHOICES",
        "AlertSeverityEnum": "symptoms.models.AlertSeverity",
        "AlertStatusEnum": "symptoms.models.AlertStatus",
    },
}

# Celery. Embedded default: kombu's filesystem transport (no broker server) with folders in
# var/; production and CI set CELERY_BROKER_URL=redis://...
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_FILESYSTEM_DIR = Path(env.str("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "celery")))


def filesystem_transport(folder: Path) -> tuple[dict, str]:
    """kombu's filesystem transport options and a file result backend, under one folder."""
    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
    }
    return options, f"file://{folder / 'results'}"


# Every connection a web request opens to Redis gives up after this many seconds: a stopped
# or unreachable broker must never hold up saving a log (the sweep catches up).
REDIS_CONNECT_TIMEOUT_SECONDS = 2
# kombu otherwise retries a refused connection until its connect timeout has passed: one
# attempt, then the error (a worker's own connection retries by broker_connection_* settings).
# The read timeout bounds a Redis that accepts connections but never answers (paused, swapping,
# cut off after connect): without it a request waited for ever on the connection's first PING.
# Longer than kombu's 1 s blocking read (BRPOP) of an idle worker.
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
    "socket_timeout": REDIS_CONNECT_TIMEOUT_SECONDS + 1,
    "max_retries": 0,
}

if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS, _ = filesystem_transport(CELERY_FILESYSTEM_DIR)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
# Every task is fire-and-forget: its effects are rows in the database (alerts, events,
# notifications), never a return value, so nothing in a request stores or subscribes to a
# result. Before, publishing subscribed to the Redis result backend, whose retries turned a
# stopped Redis into a 500 after ~19 s on a log that was already saved. A result backend is
# optional (CELERY_RESULT_BACKEND), for the tests and benchmarks that wait on a round trip with
# apply_async(ignore_result=False); it is bounded like the broker.
CELERY_TASK_IGNORE_RESULT = True
# Several deployments (or a benchmark beside a test run) can share one Redis: each its queue.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT_SECONDS
CELERY_REDIS_SOCKET_TIMEOUT = 10
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"timeout": 5.0}}
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Saving a log must not hang on a dead broker: give up quickly, the sweep catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT_SECONDS
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # with acks_late: a dying worker holds one task at most

# How often the alert dashboard refreshes itself.
ALERT_DASHBOARD_REFRESH_SECONDS = env.int("TAPERAPP_ALERT_REFRESH_SECONDS", default=15)

# Absolute links in notification emails.
SITE_URL = env.str("TAPERAPP_SITE_URL", default="http://127.0.0.1:8000")

EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="taperapp <noreply@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Behind a proxy that sets X-Forwarded-For, audit the client address it reports.
TRUST_X_FORWARDED_FOR = env.bool("TAPERAPP_TRUST_X_FORWARDED_FOR", default=False)
# How many proxies in front of the app append to X-Forwarded-For (the client's address is that
# many entries from the right; anything further left the client wrote itself).
TRUSTED_PROXY_COUNT = env.int("TAPERAPP_TRUSTED_PROXY_COUNT", default=1)

# Set True only in the production module; seed_demo refuses to run when it is.
IS_PRODUCTION = False

"""PictureUs settings: one file, read from the environment.

Every value has a safe local default so that `make run` works on a fresh machine (SQLite, a
server-less Celery broker, private files on disk, the local test payment backend, the tiny
built-in model). Production sets DEBUG=0 and the variables named in REQUIRED_IN_PRODUCTION.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    return env(name, "1" if default else "0").strip().lower() in ("1", "true", "yes", "on")


def env_int(name, default):
    value = env(name, "")
    return int(value) if value.strip() else default


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def database_from_url(url):
    """DATABASE_URL (sqlite:///path or postgres://user:pass@host:port/name?options) read by
    dj-database-url, with what each engine needs here on top."""
    try:
        config = dj_database_url.parse(url)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if config["NAME"] in ("", ":memory:"):
            config["NAME"] = str(DATA_DIR / "db.sqlite3")
        # A file, not memory, so that a Celery worker started by a test sees the test data.
        config["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # The web process, the worker and beat share one file: wait instead of failing.
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=wal; PRAGMA synchronous=normal;",
        }
        return config
    if config["ENGINE"] == "django.db.backends.postgresql":
        options = config.setdefault("OPTIONS", {})
        # Only pictureus.db.prepared_cursor prepares statements (Django's cursors bind in the
        # client): after psycopg's default of 5 runs, or never with ?prepare_threshold=none
        # (behind a pooler in transaction mode).
        threshold = str(options.get("prepare_threshold", "5"))
        options["prepare_threshold"] = None if threshold.lower() == "none" else int(threshold)
        config["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
        return config
    raise ImproperlyConfigured(f"DATABASE_URL: only sqlite and postgres are supported: {url!r}")


DEBUG = env_bool("DEBUG", True)
# Under pytest (or its Celery workers) everything lives in var/test, apart from local data.
TESTING = env_bool("PICTUREUS_TESTING", Path(sys.argv[0]).name in ("pytest", "py.test"))

# Private working data (SQLite file, private files, broker folders, the tiny model) lives here.
DATA_DIR = Path(
    env("PICTUREUS_DATA_DIR", str(BASE_DIR / "var" / ("test" if TESTING else "")))
).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

REQUIRED_IN_PRODUCTION = [
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    # The cache every web process shares: cached pages, sessions, rate limits.
    "REDIS_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "DEFAULT_FROM_EMAIL",
    # Who operates the service, as the privacy policy names them (PIPA Art. 30, 31).
    "PICTUREUS_COMPANY_NAME",
    "PICTUREUS_COMPANY_ADDRESS",
    "PICTUREUS_PRIVACY_OFFICER",
    "PRIVACY_CONTACT_EMAIL",
    # Keys the deletion-receipt chain (P10): it must live outside the database.
    "PICTUREUS_RECEIPT_CHAIN_KEY",
    # Signs the content credentials of every delivered portrait (AI-generated content labelled).
    "C2PA_SIGNING_CERT",
    "C2PA_SIGNING_KEY",
]
if not DEBUG:
    for _name in REQUIRED_IN_PRODUCTION:
        if not env(_name).strip():
            raise ImproperlyConfigured(
                f"{_name} must be set when DEBUG=0 (production). "
                f"Required in production: {', '.join(REQUIRED_IN_PRODUCTION)}."
            )

SECRET_KEY = env("SECRET_KEY", "insecure-local-development-key-never-use-in-production-0123456789")
# HMAC key of the deletion-receipt chain and its signed checkpoints (P10). Kept outside the
# database so that whoever can write to the database cannot rewrite receipts consistently; it
# must never change (receipts and checkpoints made with it verify only with it).
RECEIPT_CHAIN_KEY = env(
    "PICTUREUS_RECEIPT_CHAIN_KEY", "insecure-local-receipt-chain-key-never-use-in-production"
)
if not DEBUG and len(RECEIPT_CHAIN_KEY) < 32:
    raise ImproperlyConfigured("PICTUREUS_RECEIPT_CHAIN_KEY must be at least 32 characters.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "pictureus.backoffice.apps.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_celery_beat",
    "pictureus",
    "accounts",
    "sessions_app",
    "privacy",
    "generation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "pictureus.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pictureus.middleware.RequestSizeMiddleware",
    "pictureus.middleware.TimeZoneMiddleware",
    "privacy.middleware.GlobalPrivacyControlMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "pictureus.urls"
WSGI_APPLICATION = "pictureus.wsgi.application"

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
                "pictureus.context_processors.site",
            ],
        },
    }
]

DATABASES = {"default": database_from_url(env("DATABASE_URL", f"sqlite:///{DATA_DIR}/db.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if TESTING
    else [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ]
)

SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "sessions_app:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

# django-allauth: email is the login; sign-up asks for email, display name and password (P01).
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupExtraForm"
# allauth's forms with the product's labels, help and messages.
ACCOUNT_FORMS = {
    "login": "accounts.allauth_forms.LoginForm",
    "signup": "accounts.allauth_forms.SignupForm",
    "add_email": "accounts.allauth_forms.AddEmailForm",
    "change_password": "accounts.allauth_forms.ChangePasswordForm",
    "set_password": "accounts.allauth_forms.SetPasswordForm",
    "reset_password": "accounts.allauth_forms.ResetPasswordForm",
    "reset_password_from_key": "accounts.allauth_forms.ResetPasswordKeyForm",
    "reauthenticate": "accounts.allauth_forms.ReauthenticateForm",
}
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None
# A password is the only way in: no sign-in codes by email, for logging in or for confirming it
# is you again.
ACCOUNT_REAUTHENTICATION_METHODS = ["password"]
# A customer hears about every change to their password and email addresses. The emails'
# subjects, texts and links come from the site's own templates (accounts.adapter).
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("LOGIN_RATE_LIMIT", "5/5m/ip,5/5m/key"),
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    # The support form (accounts.services.support_rate_limited): per account or address.
    "support": "5/h/key",
}

# Kakao and Naver sign-in (accounts/social/): each is offered only when its client id is set.
# Both ask for the display name and the email address only (P01); the tokens are not kept.
INSTALLED_APPS += [
    "allauth.socialaccount",
    "allauth.socialaccount.providers.kakao",
    "allauth.socialaccount.providers.naver",
]
SOCIALACCOUNT_ADAPTER = "accounts.social.adapter.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    provider: {
        "provider_class": f"accounts.social.{provider}.provider.{provider.title()}Provider",
        "APPS": (
            [{"client_id": env(f"{prefix}_CLIENT_ID"), "secret": env(f"{prefix}_CLIENT_SECRET")}]
            if env(f"{prefix}_CLIENT_ID")
            else []
        ),
        "SCOPE": scope,
        # Kakao flags each address it confirmed. Naver has no flag and gives the contact address
        # its member confirmed: trusted as such, or only at listed domains (["naver.com"]).
        "VERIFIED_EMAIL": provider == "naver",
    }
    for provider, prefix, scope in [
        ("kakao", "KAKAO", ["profile_nickname", "account_email"]),
        # Naver's items are chosen in its developer console: nickname and email address.
        ("naver", "NAVER", []),
    ]
}
# A sign-in button's form is answered with a redirect to the provider, which the
# Content-Security-Policy's form-action must allow (Kakao's login moves across its subdomains).
SOCIAL_SIGN_IN_FORM_ACTION = [
    origin
    for provider, origin in [("kakao", "https://*.kakao.com"), ("naver", "https://nid.naver.com")]
    if SOCIALACCOUNT_PROVIDERS[provider]["APPS"]
]
if env("NAVER_CLIENT_ID") and not env("NAVER_CLIENT_SECRET"):
    raise ImproperlyConfigured("NAVER_CLIENT_ID is set without NAVER_CLIENT_SECRET.")
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_REQUIRED = True
# A provider's confirmed address signs in to the account that confirmed the same address.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Date-and-time formats name their zone ("KST"); the zone is the reader's (TimeZoneMiddleware).
FORMAT_MODULE_PATH = ["pictureus.formats"]
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_MAX_AGE = 31536000

# Photos, LoRA weights and generated images live in the private storage: a folder outside any
# public URL by default, a private S3 bucket when S3_BUCKET is set. Reached only through views.
S3_BUCKET = env("S3_BUCKET")
if S3_BUCKET:
    PRIVATE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env("S3_ENDPOINT_URL") or None,
            "access_key": env("S3_ACCESS_KEY_ID") or None,
            "secret_key": env("S3_SECRET_ACCESS_KEY") or None,
            "region_name": env("S3_REGION", "us-east-1"),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("S3_URL_EXPIRE_SECONDS", 300),
            "file_overwrite": False,
            "addressing_style": "path",
            "signature_version": "s3v4",
        },
    }
else:
    PRIVATE_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "private"), "base_url": None},
    }

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "private": PRIVATE_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 5_242_880
# The largest request body accepted, judged by its Content-Length before a byte is read
# (pictureus.middleware.RequestSizeMiddleware): a signed-in customer may send up to 20 photos
# of 25 MB at once; nothing a visitor sends (forms, webhooks) comes near 1 MB.
MAX_REQUEST_BYTES = 20 * 25 * 2**20 + 2**20
MAX_VISITOR_REQUEST_BYTES = 2**20

# Rendered pages kept in the cache (pictureus.pagecache); off only to measure the render path.
PICTUREUS_PAGE_CACHE = env_bool("PICTUREUS_PAGE_CACHE", True)

REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": (
        # django-redis: one client per connection pool, kept for the process's life.
        {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    )
}

# Celery: Redis in production and CI; a server-less filesystem broker by default.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"generation.tasks.*": {"queue": "gpu"}}
# How often a worker records that it is alive and what it serves (the back office's "Now").
WORKER_PRESENCE_SECONDS = 30
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Payments: Stripe when a key is set; otherwise the local test backend (never with DEBUG=0).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE")
PAYMENT_BACKEND = "stripe" if STRIPE_SECRET_KEY else "local"
if PAYMENT_BACKEND == "local" and not DEBUG:
    raise ImproperlyConfigured("STRIPE_SECRET_KEY must be set when DEBUG=0 (production).")
# The payment methods Stripe Checkout offers for won prices, in this order. Korean methods
# (kr_card, kakao_pay, naver_pay, payco, samsung_pay) take won only, from ₩100; Samsung Pay up to
# ₩2,000,000, and a method outside its limits is left out of that checkout. Set it empty to let
# Stripe's dynamic payment methods (the Dashboard's settings) decide instead.
STRIPE_KRW_PAYMENT_METHODS = env_list(
    "STRIPE_KRW_PAYMENT_METHODS", "kakao_pay,naver_pay,kr_card,payco,samsung_pay,card"
)

# Email: console locally, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "PictureUs <hello@pictureus.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
OPERATORS_EMAIL = env_list("OPERATORS_EMAIL", "operators@pictureus.localhost")
# The language the operators' alerts are written in ("en" or "ko").
OPERATORS_LANGUAGE = env("OPERATORS_LANGUAGE", LANGUAGE_CODE)
PRIVACY_CONTACT_EMAIL = env("PRIVACY_CONTACT_EMAIL", "privacy@pictureus.localhost")
# The operator and its privacy officer (개인정보 보호책임자), shown in the privacy policy.
PICTUREUS_COMPANY_NAME = env("PICTUREUS_COMPANY_NAME", "PictureUs Labs")
PICTUREUS_COMPANY_ADDRESS = env("PICTUREUS_COMPANY_ADDRESS", "1 Example Street, Seoul, Korea")
PICTUREUS_PRIVACY_OFFICER = env("PICTUREUS_PRIVACY_OFFICER", "Alex Kim")
# The seller's identity every Korean online seller shows (전자상거래법 Art. 10): with the company
# name and address above, in the footer, on the terms page and in order confirmations. Required
# with DEBUG=0 while the Korean site is on (a system check); development shows marked examples.
_EXAMPLE = DEBUG
PICTUREUS_REPRESENTATIVE = env("PICTUREUS_REPRESENTATIVE", "Alex Kim" if _EXAMPLE else "")
# 사업자등록번호, ten digits ("123-45-67890"); the footer links the FTC's public record of it.
PICTUREUS_BUSINESS_NUMBER = env("PICTUREUS_BUSINESS_NUMBER", "000-00-00000" if _EXAMPLE else "")
# 통신판매업 신고번호, e.g. "제2026-서울강남-0000호".
PICTUREUS_MAIL_ORDER_NUMBER = env(
    "PICTUREUS_MAIL_ORDER_NUMBER", "2026-Example-0000" if _EXAMPLE else ""
)
PICTUREUS_PHONE = env("PICTUREUS_PHONE", "+82-2-000-0000" if _EXAMPLE else "")
PICTUREUS_SELLER_EMAIL = env(
    "PICTUREUS_SELLER_EMAIL", "hello@pictureus.localhost" if _EXAMPLE else ""
)
PICTUREUS_HOSTING_PROVIDER = env(
    "PICTUREUS_HOSTING_PROVIDER", "Example Hosting" if _EXAMPLE else ""
)

# The base model: a local diffusers folder or .safetensors file; empty means the tiny model.
PICTUREUS_BASE_MODEL = env("PICTUREUS_BASE_MODEL")
PICTUREUS_TORCH_THREADS = env_int("PICTUREUS_TORCH_THREADS", 0)
# Seconds before the first retry of a GPU task after an outside error; doubles each retry.
PICTUREUS_RETRY_BACKOFF_SECONDS = env_int("PICTUREUS_RETRY_BACKOFF_SECONDS", 30)
# Training checkpoints by time, written in the background: what a killed worker resumes from.
PICTUREUS_CHECKPOINT_SECONDS = float(env("PICTUREUS_CHECKPOINT_SECONDS", "180"))
# Portraits made per batch (0: the model family's default: tiny 4, SD 8, SDXL 4).
PICTUREUS_GENERATION_BATCH = env_int("PICTUREUS_GENERATION_BATCH", 0)
# Compile the UNet with torch.compile for generation (worth it on a GPU worker that stays up):
# "1" for the default backend (inductor), or a torch.compile backend's name; empty: off.
PICTUREUS_TORCH_COMPILE = env("PICTUREUS_TORCH_COMPILE", "").strip().lower()
if PICTUREUS_TORCH_COMPILE in ("0", "false", "no", "off"):
    PICTUREUS_TORCH_COMPILE = ""
elif PICTUREUS_TORCH_COMPILE in ("1", "true", "yes", "on"):
    PICTUREUS_TORCH_COMPILE = "inductor"
# Content credentials (C2PA) on delivered portraits: the signer's certificate followed by its CA
# chain, and its private key (PEM files). Required in production; locally, when unset, a
# development chain is made at first use in DATA_DIR/c2pa-dev (generation.provenance).
C2PA_SIGNING_CERT = env("C2PA_SIGNING_CERT")
C2PA_SIGNING_KEY = env("C2PA_SIGNING_KEY")
# Generate a session's portraits in the worker that trained its LoRA, without a queue round trip.
PICTUREUS_GENERATE_AFTER_TRAINING = env_bool("PICTUREUS_GENERATE_AFTER_TRAINING", True)

# Security headers; the production values are switched on with DEBUG=0.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Signed-in pages read the session from the cache; the database keeps it through evictions.
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Sent by django-csp: no inline script or style, nothing from elsewhere (the back office adds
# inline styles for Django admin's templates: pictureus.middleware.SecurityHeadersMiddleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF, "https://checkout.stripe.com", *SOCIAL_SIGN_IN_FORM_ACTION],
        "frame-ancestors": [NONE],
    }
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Minimum age to buy a session, by region (P17); everywhere else the policy's 13.
MINIMUM_AGE_DEFAULT = 13
MINIMUM_AGE_BY_REGION = {"KR": 14}

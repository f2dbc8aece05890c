"""Settings for the test run: the real settings, with test-only defaults.

The environment still decides the database, cache and broker (CI points them at
PostgreSQL and Redis); only what a test run needs differently is set here.
"""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("CACHE_URL", os.environ.get("REDIS_URL") or "locmemcache://")
os.environ.setdefault("EMAIL_URL", "memorymail://")

from legami.settings import *  # noqa: E402, F403
from legami.settings import CACHES, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
import tempfile  # noqa: E402

# Uploaded files of the test run go to a throw-away folder.
_TEST_FILES = tempfile.mkdtemp(prefix="legami-test-files-")
MEDIA_ROOT = Path(_TEST_FILES) / "media"
PRIVATE_MEDIA_ROOT = Path(_TEST_FILES) / "private"
STORAGES = {
    **STORAGES,
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each test run gets its own cache namespace so parallel runs on one Redis never collide.
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"
# Serve static files from the app folders, as in development: tests run without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

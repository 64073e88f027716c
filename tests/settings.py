"""Settings for the test suite: test keys, fast password hashing, tasks run immediately."""

import os
import tempfile

os.environ.setdefault("QORGAU_MODE", "test")
os.environ.setdefault("QORGAU_VAR_DIR", tempfile.mkdtemp(prefix="qorgau-test-var-"))
if os.environ.get("QORGAU_TEST_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["QORGAU_TEST_DATABASE_URL"]

from qorgau.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; argon2 is tested explicitly

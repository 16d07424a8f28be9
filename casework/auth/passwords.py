"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

import re
import secrets
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 12
MAX_LENGTH = 256
_hasher = PasswordHasher()
# Verified against when the account does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("casework-dummy-password")
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


class WeakPassword(ValueError):
    """The password breaks the policy; ``str(exc)`` is the translated reason."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def _skeleton(password: str) -> str:
    """Lower-case, accents and trailing digits/symbols removed: « Motdepasse2024! » → motdepasse."""
    folded = unicodedata.normalize("NFKD", password.lower())
    letters = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[\W\d_]+$", "", re.sub(r"^[\W\d_]+", "", letters))


def check_password_policy(password: str, *, username: str | None = None) -> None:
    """Raise ``WeakPassword`` with a user-facing reason, or return quietly."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            str(_l("The password must have at least %(n)d characters.", n=MIN_LENGTH))
        )
    if len(password) > MAX_LENGTH:
        raise WeakPassword(
            str(_l("The password must have at most %(n)d characters.", n=MAX_LENGTH))
        )
    lowered = password.lower()
    common = common_passwords()
    if lowered in common or _skeleton(password) in common or len(set(lowered)) <= 3:
        raise WeakPassword(
            str(_l("This password is too common. Choose a longer phrase of your own."))
        )
    if username and username.lower() in lowered:
        raise WeakPassword(str(_l("The password must not contain your username.")))


def generate_temporary_password() -> str:
    """A readable one-time password that satisfies the policy (shown once, changed at sign-in)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
    groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4)]
    return "-".join(groups)

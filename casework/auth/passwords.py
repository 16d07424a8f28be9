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


LEET = str.maketrans(
    {"@": "a", "4": "a", "0": "o", "1": "i", "3": "e", "5": "s", "$": "s", "7": "t"}
)


def _skeleton(password: str) -> str:
    """Lower-case, accents and leading/trailing digits and symbols removed, look-alike
    substitutions undone: « Motdepasse2024! » and « P@ssw0rd1234 » → motdepasse, password."""
    folded = unicodedata.normalize("NFKD", password.lower())
    letters = "".join(ch for ch in folded if not unicodedata.combining(ch))
    trimmed = re.sub(r"[\W\d_]+$", "", re.sub(r"^[\W\d_]+", "", letters))
    return trimmed.translate(LEET)


def _is_common(password: str) -> bool:
    common = common_passwords()
    skeleton = _skeleton(password)
    letters_only = re.sub(r"[\W\d_]+", "", skeleton)
    half = len(letters_only) // 2
    repeated = letters_only[:half] == letters_only[half:] and letters_only[:half] in common
    return password.lower() in common or skeleton in common or letters_only in common or repeated


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
    if _is_common(password) or len(set(lowered)) <= 3:
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

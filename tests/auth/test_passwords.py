import pytest

from casework.auth.passwords import (
    WeakPassword,
    check_password_policy,
    generate_temporary_password,
    hash_password,
    verify_password,
)


def test_hash_is_argon2_and_verifies():
    hashed = hash_password("Une-phrase-de-passe-longue")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "Une-phrase-de-passe-longue")
    assert not verify_password(hashed, "une-phrase-de-passe-longue")
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")


@pytest.mark.parametrize(
    "password",
    [
        "court",
        "elevenchars",
        "password1234",
        "Motdepasse2024!",
        "123456789012",
        "aaaaaaaaaaaaaaaa",
        "Azertyuiop123",
        "Québec-2026!!",
        "P@ssw0rd1234",
        "Password!Password",
        "M0tdeP@sse-2025",
    ],
)
def test_weak_passwords_are_refused(password, ctx):
    with pytest.raises(WeakPassword):
        check_password_policy(password)


def test_password_containing_the_username_is_refused(ctx):
    with pytest.raises(WeakPassword):
        check_password_policy("amelie.tremblay-2026", username="amelie.tremblay")


def test_good_passphrase_is_accepted(ctx):
    check_password_policy("Trois pommes vertes sur la table")


def test_temporary_passwords_satisfy_the_policy(ctx):
    for _ in range(20):
        check_password_policy(generate_temporary_password())

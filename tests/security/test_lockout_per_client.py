"""Wrong passwords slow down the client that sent them, not the account's owner (issue 15.8).

Failures are counted per client (the requester's address) and account: five wrong passwords
from one client make that client wait, while the owner signing in from elsewhere gets in. A
much higher ceiling per account (all clients together) still slows everyone down, so an attack
spread over many addresses stays slow. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from planning.access.passwords import REFUSED, SignInOutcome, attempt_sign_in, hash_password
from planning.config import DEFAULT_CONFIG_DIR, ConfigError, load_config
from planning.config.settings import AuthSettings
from planning.store.engine import session_scope
from planning.store.models import Person, Role

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
EMAIL = "maya@example.com"
PASSWORD = "the director's own password"
ATTACKER = "203.0.113.66"
OWNER = "192.0.2.10"
SETTINGS = AuthSettings()  # 5 per client, 50 per account, in 15 minutes; 30 s doubling to 900 s


@pytest.fixture
def director(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        session.add(
            Person(
                name="Maya", email=EMAIL, role=Role.director, password_hash=hash_password(PASSWORD)
            )
        )
    return engine


def attempt(
    engine: Engine,
    password: str,
    at: datetime,
    client: str | None,
    settings: AuthSettings = SETTINGS,
) -> SignInOutcome:
    with session_scope(engine) as session:
        return attempt_sign_in(
            session=session,
            email=EMAIL,
            password=password,
            settings=settings,
            now=at,
            client=client,
        )


def test_an_attackers_wrong_passwords_do_not_lock_the_owner_out(director: Engine) -> None:
    for n in range(5):
        assert attempt(director, f"guess {n}", T0, ATTACKER).message == REFUSED
    blocked = attempt(director, PASSWORD, T0 + timedelta(seconds=1), ATTACKER)
    assert not blocked.ok and blocked.retry_after == 29
    assert "Too many wrong passwords" in blocked.message

    owner = attempt(director, PASSWORD, T0 + timedelta(seconds=2), OWNER)
    assert owner.ok and owner.person is not None and owner.person.email == EMAIL

    # The owner's success does not clear the attacker's count: the attacker still waits.
    still = attempt(director, "guess 6", T0 + timedelta(seconds=3), ATTACKER)
    assert still.retry_after == 27


def test_the_owners_own_wrong_passwords_slow_down_only_the_owner(director: Engine) -> None:
    for n in range(5):
        attempt(director, f"typo {n}", T0, OWNER)
    assert attempt(director, PASSWORD, T0, OWNER).retry_after == 30
    assert attempt(director, PASSWORD, T0, "198.51.100.4").ok
    # Addresses are compared without case or outer spaces (IPv6 written either way).
    for n in range(5):
        attempt(director, f"guess {n}", T0, "2001:DB8::1")
    assert attempt(director, PASSWORD, T0, " 2001:db8::1 ").retry_after == 30


def test_an_attack_spread_over_many_clients_hits_the_account_ceiling(director: Engine) -> None:
    settings = AuthSettings(max_failed_attempts=5, account_max_failed_attempts=12)
    for n in range(12):  # three tries from each of four addresses: none reaches its own limit
        attempt(director, f"guess {n}", T0, f"198.51.100.{n % 4}", settings)
    fresh = attempt(director, PASSWORD, T0 + timedelta(seconds=10), "192.0.2.99", settings)
    assert not fresh.ok and fresh.retry_after == 20
    assert "Too many wrong passwords" in fresh.message
    # The ceiling's wait runs out like the client's: 30 s after the last failure.
    later = attempt(director, PASSWORD, T0 + timedelta(seconds=30), "192.0.2.99", settings)
    assert later.ok


def test_callers_without_an_address_count_as_one_unknown_client(director: Engine) -> None:
    for n in range(5):
        attempt(director, f"guess {n}", T0, None)
    assert attempt(director, PASSWORD, T0, None).retry_after == 30
    assert attempt(director, PASSWORD, T0, "").retry_after == 30  # no address is no address
    assert attempt(director, PASSWORD, T0, OWNER).ok


def _settings_with(tmp_path: Path, **auth: object) -> Path:
    target = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, target)
    path = target / "settings.yaml"
    data = yaml.safe_load(path.read_text())
    data["auth"].update(auth)
    path.write_text(yaml.safe_dump(data))
    return target


def test_the_account_ceiling_is_configured_and_checked(tmp_path: Path) -> None:
    assert (
        load_config(
            _settings_with(tmp_path / "a", account_max_failed_attempts=200)
        ).settings.auth.account_max_failed_attempts
        == 200
    )
    with pytest.raises(ConfigError) as caught:
        load_config(
            _settings_with(tmp_path / "b", max_failed_attempts=10, account_max_failed_attempts=9)
        )
    assert caught.value.file.endswith("settings.yaml")
    assert caught.value.key.startswith("auth")
    assert "account_max_failed_attempts" in caught.value.reason

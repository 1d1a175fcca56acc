"""Member accounts: argon2 passwords, logging in, one-time invitation and reset tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import time
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from coop.db import make_engine
from coop.errors import Conflict, InvalidInput, PermissionDenied, Unauthenticated
from coop.ledger.keys import KeyStore
from coop.migrate import upgrade
from coop.models import AccountToken, AuditEvent
from coop.services import accounts, members
from coop.services.actor import Actor
from tests.clock import NOW
from tests.factories import as_member, make_coop, make_member
from tests.pgdb import throwaway_database

OPERATOR = Actor.operator()
PASSWORD = "correct horse battery"


def _actions(db: Session, member_id: int) -> list[str]:
    return list(db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "member",
                                                           AuditEvent.object_id == member_id)
                           .order_by(AuditEvent.id)))


# -- passwords and logging in ----------------------------------------------------------------

def test_a_password_is_stored_as_an_argon2id_hash_and_logs_the_member_in(db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    accounts.set_password(db, OPERATOR, m, PASSWORD, now=NOW)
    assert m.password_hash is not None and m.password_hash.startswith("$argon2id$")
    assert PASSWORD not in m.password_hash
    assert accounts.authenticate(db, coop, m.email.upper(), PASSWORD) is m
    assert "account.password_set" in _actions(db, m.id)


@pytest.mark.parametrize("email_kind", ["wrong password", "unknown email", "no password yet"])
def test_every_failed_login_gets_the_same_generic_message(db: Session, keys: KeyStore, email_kind: str) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    if email_kind != "no password yet":
        accounts.set_password(db, OPERATOR, m, PASSWORD, now=NOW)
    email = "nobody@example.org" if email_kind == "unknown email" else m.email
    password = "wrong password!" if email_kind == "wrong password" else PASSWORD
    with pytest.raises(Unauthenticated) as exc:
        accounts.authenticate(db, coop, email, password)
    assert exc.value.message == "wrong email or password"


def test_an_unknown_email_still_costs_one_argon2_verification(db: Session, keys: KeyStore,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    coop = make_coop(db, keys)
    calls: list[str] = []
    real = accounts._hasher

    class Spy:
        def verify(self, hash_: str, password: str) -> bool:
            calls.append(hash_)
            return real.verify(hash_, password)

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(real, name)

    monkeypatch.setattr(accounts, "_hasher", Spy())
    with pytest.raises(Unauthenticated):
        accounts.authenticate(db, coop, "nobody@example.org", PASSWORD)
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_a_member_of_another_coop_cannot_log_in_here(db: Session, keys: KeyStore) -> None:
    here, there = make_coop(db, keys), make_coop(db, keys)
    m = make_member(db, there)
    accounts.set_password(db, OPERATOR, m, PASSWORD, now=NOW)
    with pytest.raises(Unauthenticated):
        accounts.authenticate(db, here, m.email, PASSWORD)


@pytest.mark.parametrize("status", ["applicant", "suspended", "departed"])
def test_only_active_members_log_in(db: Session, keys: KeyStore, status: str) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop, status="applicant" if status == "applicant" else "active")
    accounts.set_password(db, OPERATOR, m, PASSWORD, now=NOW)
    if status != "applicant":
        members.change_status(db, OPERATOR, coop, m, status, now=NOW)
    with pytest.raises(Unauthenticated) as exc:
        accounts.authenticate(db, coop, m.email, PASSWORD)
    assert exc.value.message == f"your membership is {status}; only active members can log in"


def test_a_hash_made_with_weaker_parameters_is_upgraded_at_login(db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    m.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    old = m.password_hash
    accounts.authenticate(db, coop, m.email, PASSWORD)
    assert m.password_hash != old and not PasswordHasher().check_needs_rehash(m.password_hash)
    assert accounts.authenticate(db, coop, m.email, PASSWORD) is m


def test_a_password_shorter_than_ten_characters_is_refused_and_nothing_changes(db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    with pytest.raises(InvalidInput) as exc:
        accounts.set_password(db, OPERATOR, m, "123456789", now=NOW)
    assert exc.value.field == "password" and m.password_hash is None
    assert "account.password_set" not in _actions(db, m.id)


def test_members_set_only_their_own_password_and_the_operator_anyones(db: Session, keys: KeyStore) -> None:
    """A secretary or admin who could set a member's password could log in and vote as them."""
    coop = make_coop(db, keys)
    m, other = make_member(db, coop), make_member(db, coop)
    secretary, admin = make_member(db, coop, role="secretary"), make_member(db, coop, role="admin")
    accounts.set_password(db, as_member(m), m, PASSWORD, now=NOW)
    for someone_else in (other, secretary, admin):
        with pytest.raises(PermissionDenied, match="only the member themself"):
            accounts.set_password(db, as_member(someone_else), m, PASSWORD + "2", now=NOW)
    assert accounts.authenticate(db, coop, m.email, PASSWORD) is m
    accounts.set_password(db, OPERATOR, m, PASSWORD + "3", now=NOW)
    assert accounts.authenticate(db, coop, m.email, PASSWORD + "3") is m


# -- one-time tokens --------------------------------------------------------------------------

def test_an_invitation_stores_only_the_tokens_digest_and_sets_a_first_password(db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    token = accounts.create_invitation(db, OPERATOR, coop, m, now=NOW)
    row = db.scalars(select(AccountToken).where(AccountToken.member_id == m.id)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash
    assert row.purpose == "invite" and row.expires_at - row.created_at == dt.timedelta(days=7)
    assert accounts.redeem(db, coop, token, PASSWORD, now=NOW) is m
    assert accounts.authenticate(db, coop, m.email, PASSWORD) is m
    assert row.used_at is not None
    assert _actions(db, m.id)[-2:] == ["account.invite_issued", "account.invitation_accepted"]


def test_a_token_works_only_once(db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    token = accounts.create_reset(db, OPERATOR, coop, m, now=NOW)
    accounts.redeem(db, coop, token, PASSWORD, now=NOW)
    with pytest.raises(InvalidInput) as exc:
        accounts.redeem(db, coop, token, "another password", now=NOW)
    assert "already been used" in exc.value.message
    assert accounts.authenticate(db, coop, m.email, PASSWORD) is m


def test_the_database_refuses_a_second_redemption_even_when_the_first_was_not_seen(
        db: Session, keys: KeyStore) -> None:
    """The conditional UPDATE decides, not the row read before it: a redemption committed
    by another request between our read and our write leaves us with nothing."""
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    token = accounts.create_invitation(db, OPERATOR, coop, m, now=NOW)
    row = db.scalars(select(AccountToken).where(AccountToken.member_id == m.id)).one()
    assert row.used_at is None  # loaded: the session will keep believing this
    db.execute(update(AccountToken).where(AccountToken.id == row.id).values(used_at=NOW)
               .execution_options(synchronize_session=False))
    assert row.used_at is None
    with pytest.raises(InvalidInput) as exc:
        accounts.redeem(db, coop, token, PASSWORD, now=NOW)
    assert "already been used" in exc.value.message and m.password_hash is None


def test_an_expired_invitation_is_refused(db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    issued = NOW
    token = accounts.create_invitation(db, OPERATOR, coop, m, now=issued)
    with pytest.raises(InvalidInput) as exc:
        accounts.redeem(db, coop, token, PASSWORD, now=issued + dt.timedelta(days=7))
    assert "expired" in exc.value.message and m.password_hash is None
    assert accounts.redeem(db, coop, token, PASSWORD, now=issued + dt.timedelta(days=7, seconds=-1)) is m


def test_a_reset_lasts_twenty_four_hours(db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    issued = NOW
    token = accounts.create_reset(db, OPERATOR, coop, m, now=issued)
    with pytest.raises(InvalidInput, match="expired"):
        accounts.redeem(db, coop, token, PASSWORD, now=issued + dt.timedelta(hours=24))


def test_unknown_and_foreign_tokens_are_refused(db: Session, keys: KeyStore) -> None:
    here, there = make_coop(db, keys), make_coop(db, keys)
    token = accounts.create_invitation(db, OPERATOR, there, make_member(db, there), now=NOW)
    for bad in ("not-a-token", "", token):
        with pytest.raises(InvalidInput) as exc:
            accounts.redeem(db, here, bad, PASSWORD, now=NOW)
        assert exc.value.field == "token" and "not valid" in exc.value.message


def test_a_too_short_new_password_does_not_spend_the_token(db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    token = accounts.create_invitation(db, OPERATOR, coop, m, now=NOW)
    with pytest.raises(InvalidInput, match="at least 10"):
        accounts.redeem(db, coop, token, "short", now=NOW)
    assert accounts.redeem(db, coop, token, PASSWORD, now=NOW) is m


def test_a_new_reset_makes_the_older_unused_one_worthless(db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    old = accounts.create_reset(db, OPERATOR, coop, m, now=NOW)
    new = accounts.create_reset(db, OPERATOR, coop, m, now=NOW)
    with pytest.raises(InvalidInput, match="already been used"):
        accounts.redeem(db, coop, old, PASSWORD, now=NOW)
    assert accounts.redeem(db, coop, new, PASSWORD, now=NOW) is m


def test_accepting_an_invitation_does_not_admit_an_applicant(db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop, status="applicant")
    accounts.redeem(db, coop, accounts.create_invitation(db, OPERATOR, coop, m, now=NOW), PASSWORD, now=NOW)
    assert m.status == "applicant"
    with pytest.raises(Unauthenticated, match="applicant"):
        accounts.authenticate(db, coop, m.email, PASSWORD)
    members.change_status(db, OPERATOR, coop, m, "active", now=NOW)
    assert accounts.authenticate(db, coop, m.email, PASSWORD) is m


def test_only_the_secretary_or_operator_issues_tokens_and_never_for_departed_members(
        db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    m, other = make_member(db, coop), make_member(db, coop)
    with pytest.raises(PermissionDenied):
        accounts.create_invitation(db, as_member(other), coop, m, now=NOW)
    secretary = make_member(db, coop, role="secretary")
    assert accounts.create_invitation(db, as_member(secretary), coop, m, now=NOW)
    members.change_status(db, OPERATOR, coop, m, "departed", now=NOW)
    with pytest.raises(Conflict, match="departed"):
        accounts.create_invitation(db, OPERATOR, coop, m, now=NOW)


# -- nobody acts as another member ----------------------------------------------------------------

def test_an_invitation_is_refused_for_a_member_who_already_has_a_password(db: Session, keys: KeyStore) -> None:
    """Shown to the secretary, it would let them choose the member's password and log in as them."""
    coop = make_coop(db, keys)
    m, secretary = make_member(db, coop), make_member(db, coop, role="secretary")
    accounts.set_password(db, OPERATOR, m, PASSWORD, now=NOW)
    for actor in (as_member(secretary), OPERATOR):
        with pytest.raises(Conflict, match="already has a password"):
            accounts.create_invitation(db, actor, coop, m, now=NOW)
    assert db.scalars(select(AccountToken).where(AccountToken.member_id == m.id)).all() == []


def test_no_member_is_handed_another_members_reset_token_a_secretary_mails_it_to_them(
        db: Session, keys: KeyStore) -> None:
    from coop.models import OutboxMessage

    coop = make_coop(db, keys)
    m, secretary = make_member(db, coop), make_member(db, coop, role="secretary")
    admin = make_member(db, coop, role="admin")
    accounts.set_password(db, OPERATOR, m, PASSWORD, now=NOW)
    for actor in (as_member(secretary), as_member(admin), as_member(m)):
        with pytest.raises(PermissionDenied, match="own email"):
            accounts.create_reset(db, actor, coop, m, now=NOW)
    message = accounts.mail_reset(db, as_member(secretary), coop, m, lambda token: f"/c/{coop.slug}/reset/{token}",
                                  now=NOW)
    assert message.to_address == m.email and message.member_id == m.id
    assert message.link.startswith(f"/c/{coop.slug}/reset/")
    assert db.scalars(select(OutboxMessage).where(OutboxMessage.member_id == m.id)).all() == [message]
    token = message.link.rsplit("/", 1)[1]
    assert accounts.redeem(db, coop, token, PASSWORD + "new", now=NOW).id == m.id  # the member's own link works
    with pytest.raises(PermissionDenied):
        accounts.mail_reset(db, as_member(m), coop, secretary, lambda token: token, now=NOW)


def test_an_invitation_issued_before_the_member_set_a_password_no_longer_works(db: Session, keys: KeyStore) -> None:
    """The secretary saw the link; once the member has chosen a password, it must not let
    anyone choose another."""
    coop = make_coop(db, keys)
    m, secretary = make_member(db, coop), make_member(db, coop, role="secretary")
    token = accounts.create_invitation(db, as_member(secretary), coop, m, now=NOW)
    accounts.set_password(db, as_member(m), m, PASSWORD, now=NOW)
    with pytest.raises(InvalidInput, match="no longer works|already been used"):
        accounts.redeem(db, coop, token, "the secretary's choice", now=NOW)
    assert accounts.authenticate(db, coop, m.email, PASSWORD) is m


def test_an_invitation_whose_member_set_a_password_meanwhile_is_refused_even_if_unspent(
        db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    token = accounts.create_invitation(db, OPERATOR, coop, m, now=NOW)
    m.password_hash = accounts.hash_password(PASSWORD)  # set behind the tokens' back (an old release)
    db.flush()
    with pytest.raises(InvalidInput, match="has already set a password"):
        accounts.redeem(db, coop, token, "the secretary's choice", now=NOW)
    assert accounts.authenticate(db, coop, m.email, PASSWORD) is m


def test_a_secretary_cannot_make_invite_suspend_or_depart_an_admin_but_an_admin_can(
        db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    secretary, admin = make_member(db, coop, role="secretary"), make_member(db, coop, role="admin")
    with pytest.raises(PermissionDenied, match="only an admin may make someone an admin"):
        members.add_member(db, as_member(secretary), coop, "Mallory", "mallory@example.org", role="admin", now=NOW)
    invited = members.add_member(db, OPERATOR, coop, "New Admin", "new.admin@example.org", role="admin",
                                 status="active", now=NOW)
    with pytest.raises(PermissionDenied, match="only an admin may invite an admin"):
        accounts.create_invitation(db, as_member(secretary), coop, invited, now=NOW)
    for status in ("suspended", "departed"):
        with pytest.raises(PermissionDenied, match="only an admin may change the membership of an admin"):
            members.change_status(db, as_member(secretary), coop, admin, status, now=NOW)
    assert admin.status == "active"
    # An admin may do all of it; a secretary still manages members and secretaries.
    assert accounts.create_invitation(db, as_member(admin), coop, invited, now=NOW)
    members.add_member(db, as_member(admin), coop, "Second Admin", "second@example.org", role="admin", now=NOW)
    members.change_status(db, as_member(admin), coop, invited, "suspended", now=NOW)
    other_secretary = make_member(db, coop, role="secretary")
    members.change_status(db, as_member(secretary), coop, other_secretary, "suspended", now=NOW)


# -- concurrency, on PostgreSQL -----------------------------------------------------------------

@pytest.fixture(scope="module")
def committed_url() -> Iterator[str]:
    """A database of its own, migrated, for a test whose transactions must really commit."""
    base = os.environ.get("COOP_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("set COOP_TEST_POSTGRES_URL to run")
    with throwaway_database(base, "coop_accounts") as target:
        upgrade(target)
        yield target


@pytest.mark.postgres
def test_two_concurrent_redemptions_of_one_token_set_the_password_once(committed_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(committed_url)
    with Session(engine, expire_on_commit=False) as s:
        coop = make_coop(s, KeyStore(tmp_path))
        m = make_member(s, coop)
        token = accounts.create_invitation(s, OPERATOR, coop, m, now=NOW)
        s.commit()
    first = Session(engine)
    first_coop = first.merge(coop)
    accounts.redeem(first, first_coop, token, "first password", now=NOW)  # holds the row lock
    first_pid = first.execute(text("SELECT pg_backend_pid()")).scalar_one()
    outcome: dict[str, object] = {}

    def second_request() -> None:
        with Session(engine) as second:
            try:
                accounts.redeem(second, second.merge(coop), token, "second password", now=NOW)
                second.commit()
                outcome["second"] = "redeemed"
            except InvalidInput as exc:
                outcome["second"] = exc.message

    thread = threading.Thread(target=second_request)
    thread.start()
    # Wait (bounded) until the second UPDATE is queued behind the first's row lock, so the
    # test exercises the database's refusal rather than an ordinary "already used" read.
    with engine.connect() as watcher:
        for _ in range(3000):
            blocked = watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
                {"pid": first_pid}).scalar_one()
            if blocked:
                break
            time.sleep(0.01)  # not Event().wait: a timed wait never returns under libfaketime
        else:
            pytest.fail("the second redemption never waited for the first")
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert outcome["second"] == "this link has already been used; ask the secretary for a new one"
    with Session(engine) as s:
        assert accounts.authenticate(s, s.merge(coop), m.email, "first password").id == m.id
    engine.dispose()


# -- what a new password ends ----------------------------------------------------------------

def _token(db: Session, coop, m) -> int:  # type: ignore[no-untyped-def]
    from coop.services import tokens

    row, _ = tokens.create_token(db, OPERATOR, coop, m, ["read"], name="integration", now=NOW)
    return row.id


def test_a_changed_or_reset_password_ends_sessions_and_revokes_tokens_with_an_audit_trail(
        db: Session, keys: KeyStore) -> None:
    from coop.models import ApiToken

    coop = make_coop(db, keys)
    m = make_member(db, coop)
    accounts.set_password(db, OPERATOR, m, PASSWORD, now=NOW)
    first = _token(db, coop, m)
    generation = m.session_generation
    accounts.set_password(db, as_member(m), m, PASSWORD + "2", now=NOW)
    assert m.session_generation == generation + 1
    assert db.get(ApiToken, first).revoked_at == NOW
    revoked = db.scalars(select(AuditEvent).where(AuditEvent.action == "api_token.revoked",
                                                  AuditEvent.object_id == first)).one()
    assert revoked.actor_id == m.id and revoked.details["reason"] == "password_changed"
    second = _token(db, coop, m)
    accounts.redeem(db, coop, accounts.create_reset(db, OPERATOR, coop, m, now=NOW), PASSWORD + "3",
                    now=NOW + dt.timedelta(hours=1))
    assert m.session_generation == generation + 2
    assert db.get(ApiToken, second).revoked_at == NOW + dt.timedelta(hours=1)


def test_a_first_password_ends_nothing_the_operator_made_for_the_member(db: Session, keys: KeyStore) -> None:
    from coop.models import ApiToken

    coop = make_coop(db, keys)
    m = make_member(db, coop)
    made = _token(db, coop, m)
    accounts.redeem(db, coop, accounts.create_invitation(db, OPERATOR, coop, m, now=NOW), PASSWORD,
                    now=NOW + dt.timedelta(hours=1))
    assert db.get(ApiToken, made).revoked_at is None and m.session_generation == 0


def test_ending_sessions_counts_every_concurrent_logout(db: Session, keys: KeyStore) -> None:
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    assert m.session_generation == 0
    # Another request's logout, committed since this session read the member: the increment
    # is the database's, not a read-modify-write of the stale 0.
    db.execute(text("UPDATE members SET session_generation = 5 WHERE id = :id"), {"id": m.id})
    accounts.end_sessions(db, m)
    assert m.session_generation == 6

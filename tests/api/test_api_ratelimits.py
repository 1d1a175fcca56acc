"""The API's rate limits: keyed on the token or the account where there is one, counting
failures (not successes), and generous to requests without a token. No test sleeps through
a window: counts start empty in each test's app, and the window test moves the limiter's
clock."""

from __future__ import annotations

import threading

import limits.storage.memory
import pytest

from coop.services import accounts
from coop.services.actor import Actor
from tests.api.conftest import make_token
from tests.clock import NOW
from tests.factories import make_coop, make_member
from webui.limiter import BUDGETS, Limiter, SweptMemoryStorage, TooManyRequests

PASSWORD = "correct horse battery"
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.7"}


@pytest.fixture
def coop(db, keys):
    return make_coop(db, keys)


@pytest.fixture
def member(db, coop):
    m = make_member(db, coop, hourly_rate="20.00")
    accounts.set_password(db, Actor.operator(), m, PASSWORD, now=NOW)
    return m


def limits_of(app, **settings):
    """The app's limits, with some budgets made small for the test."""
    app.extensions["coop.limiter"] = Limiter(settings)


def sign_in(api, coop, email, password, **kw):
    return api.post(f"/api/v1/coops/{coop.slug}/tokens",
                    json={"email": email, "password": password, "scopes": ["read"]}, **kw)


# -- tokens ------------------------------------------------------------------------------------

def test_a_valid_token_keeps_working_while_bad_tokens_from_the_same_address_are_refused(db, coop, member, api):
    token = make_token(db, coop, member, "read")
    url = f"/api/v1/coops/{coop.slug}/members"
    for i in range(20):
        assert api.get(url, token=f"coop_pat_guess{i}").status_code == 401
    refused = api.get(url, token="coop_pat_guess-more")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert api.get(url, token=token).status_code == 200
    assert api.get(url, token="coop_pat_guess-again").status_code == 429


def test_bad_tokens_are_counted_per_client_address(coop, api):
    url = f"/api/v1/coops/{coop.slug}/pay"
    for i in range(21):
        api.get(url, token=f"coop_pat_guess{i}")
    assert api.get(url, token="coop_pat_guess-more").status_code == 429
    assert api.get(url, token="coop_pat_guess-more", environ_base=ELSEWHERE).status_code == 401


def test_requests_per_token_are_limited(db, coop, member, api, app):
    limits_of(app, COOP_API_TOKEN_LIMIT=3)
    token = make_token(db, coop, member, "read")
    url = f"/api/v1/coops/{coop.slug}/members"
    assert [api.get(url, token=token).status_code for _ in range(4)] == [200, 200, 200, 429]
    other = make_token(db, coop, member, "read")
    assert api.get(url, token=other).status_code == 200  # a budget per token, not per address


# -- without a token ---------------------------------------------------------------------------

def test_requests_without_a_token_are_limited_per_client_address(db, coop, member, api, app):
    limits_of(app, COOP_API_ANONYMOUS_LIMIT=3)
    url = f"/api/v1/coops/{coop.slug}/pay"
    assert [api.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert int(api.get(url).headers["Retry-After"]) >= 1
    assert api.get(url, environ_base=ELSEWHERE).status_code == 200
    assert api.get(url, token=make_token(db, coop, member, "read")).status_code == 200


def test_the_default_budget_without_a_token_is_generous():
    assert BUDGETS["api.anonymous"].amount >= 300 and BUDGETS["api.anonymous"].seconds == 60


# -- passwords ---------------------------------------------------------------------------------

def test_successful_sign_ins_do_not_use_up_the_password_budget(coop, member, api):
    assert [sign_in(api, coop, member.email, PASSWORD).status_code for _ in range(15)] == [201] * 15


def test_ten_wrong_passwords_lock_the_account_even_for_the_right_one_with_retry_after(coop, member, api):
    for _ in range(10):
        assert sign_in(api, coop, member.email, "wrong wrong").status_code == 401
    r = sign_in(api, coop, member.email, PASSWORD)
    assert r.status_code == 429
    assert r.headers["Content-Type"] == "application/problem+json"
    assert 60 < int(r.headers["Retry-After"]) <= 15 * 60
    assert "failed sign-ins for this account" in r.get_json()["detail"]


def test_a_right_password_clears_the_accounts_count_of_failures(coop, member, api):
    for _ in range(3):
        for _ in range(9):
            assert sign_in(api, coop, member.email, "wrong wrong").status_code == 401
        assert sign_in(api, coop, member.email, PASSWORD).status_code == 201


def test_wrong_passwords_from_one_address_are_limited_across_accounts(coop, member, api, app):
    limits_of(app, COOP_LOGIN_FAILURES_PER_ADDRESS=5)
    for i in range(5):
        assert sign_in(api, coop, f"guess{i}@example.org", "wrong wrong").status_code == 401
    r = sign_in(api, coop, member.email, PASSWORD)
    assert r.status_code == 429 and "from your network address" in r.get_json()["detail"]
    assert sign_in(api, coop, member.email, PASSWORD, environ_base=ELSEWHERE).status_code == 201


# -- the limiter -------------------------------------------------------------------------------

class Clock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


def test_a_budget_frees_up_when_its_window_has_passed(monkeypatch):
    clock = Clock(1_000_000.0)
    monkeypatch.setattr(limits.storage.memory, "time", clock)  # the storage's clock, not time.time
    limiter = Limiter({"COOP_API_BAD_TOKEN_LIMIT": 2}, storage=SweptMemoryStorage(), clock=clock.time)
    limiter.take("api.bad_token", "192.0.2.1")
    clock.now += 20
    limiter.take("api.bad_token", "192.0.2.1")
    with pytest.raises(TooManyRequests) as refused:
        limiter.take("api.bad_token", "192.0.2.1")
    assert refused.value.retry_after == 41  # the first failure has left the minute's window then
    limiter.take("api.bad_token", "192.0.2.2")  # another key has its own budget
    clock.now += 40
    with pytest.raises(TooManyRequests):
        limiter.take("api.bad_token", "192.0.2.1")  # the window's last instant still counts it
    clock.now += 1
    limiter.take("api.bad_token", "192.0.2.1")
    with pytest.raises(TooManyRequests):
        limiter.take("api.bad_token", "192.0.2.1")


def test_expired_counts_are_forgotten_so_sprayed_keys_do_not_pile_up(monkeypatch):
    clock = Clock(1_000_000.0)
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    storage = SweptMemoryStorage(sweep_every=0)
    limiter = Limiter({}, storage=storage, clock=clock.time)
    for i in range(50):
        limiter.take("api.bad_token", f"198.51.100.{i}")
    assert len(storage.events) == 50
    clock.now += 61
    limiter.take("api.bad_token", "192.0.2.9")
    assert len(storage.events) == 1 and len(storage.locks) <= 1


def test_the_limiter_leaves_no_thread_that_keeps_the_process_alive():
    """limits' own memory storage starts a non-daemon timer thread on every burst of
    writes; under libfaketime (CI's run a year ahead) its timed wait never ended and the
    test process hung at exit."""
    before = {t.ident for t in threading.enumerate()}
    limiter = Limiter({})
    for i in range(5):
        limiter.take("api.anonymous", f"192.0.2.{i}")
        limiter.hit("login.account", "k")
    assert [t for t in threading.enumerate() if t.ident not in before and not t.daemon] == []


@pytest.mark.parametrize("value", ["0", "-3", "ten", "1.5"])
def test_a_limit_setting_that_is_not_a_positive_whole_number_is_refused_at_start(value):
    with pytest.raises(ValueError, match="COOP_API_TOKEN_LIMIT must be a whole number"):
        Limiter({"COOP_API_TOKEN_LIMIT": value})


# -- behind a reverse proxy --------------------------------------------------------------------

@pytest.mark.parametrize("proxy", [None, "10.1.2.3"])
def test_serve_reads_the_client_address_from_x_forwarded_for_only_behind_the_named_proxy(monkeypatch, tmp_path,
                                                                                         proxy):
    import waitress
    from click.testing import CliRunner

    from webui.cli import cli

    served = {}

    class Server:  # what waitress.create_server returns, minus the listening
        def run(self) -> None:
            pass

        def close(self) -> None:
            pass

    monkeypatch.setattr(waitress, "create_server", lambda app, **kw: served.update(kw) or Server())
    env = {"COOP_INSTANCE_DIR": str(tmp_path), "COOP_DATABASE_URL": f"sqlite:///{tmp_path}/coop.sqlite3",
           "COOP_BASE_URL": "https://coop.example.org", "COOP_TRUSTED_PROXY": proxy}
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    if proxy is None:  # every request's address is the connection's: no header is believed
        assert "trusted_proxy" not in served
    else:
        assert served["trusted_proxy"] == proxy and served["trusted_proxy_headers"] == {"x-forwarded-for"}
        assert served["trusted_proxy_count"] == 1 and served["clear_untrusted_proxy_headers"] is True

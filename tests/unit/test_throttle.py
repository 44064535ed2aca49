"""The rate limiter (accounts/throttle.py): the sliding window, keys, pruning, client IPs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from docket.accounts import throttle
from docket.accounts.models import ThrottleHit
from docket.core.errors import TooManyRequests, Unauthenticated
from docket.core.proxies import client_ip

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = T0):
        self.now = start

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr("docket.core.clock.now", lambda: fake.now)
    return fake


def _at(*seconds: float) -> list[datetime]:
    return [T0 + timedelta(seconds=s) for s in seconds]


def key(subject: str = "alice", limit: int = 3, window: int = 60) -> throttle.Key:
    return throttle.Key("test", subject, limit, window)


# --- the window alone ---------------------------------------------------------------------------


def test_under_the_limit_there_is_nothing_to_wait_for():
    assert throttle.retry_after([], 3, 60, T0) is None
    assert throttle.retry_after(_at(0, 1), 3, 60, T0 + timedelta(seconds=2)) is None


def test_at_the_limit_the_wait_ends_when_the_oldest_attempt_ages_out():
    now = T0 + timedelta(seconds=10)
    assert throttle.retry_after(_at(0, 5, 10), 3, 60, now) == 50


def test_over_the_limit_enough_attempts_must_age_out_to_get_below_it():
    # Five attempts against a limit of three: the third oldest (at 20 s) must go too.
    now = T0 + timedelta(seconds=40)
    assert throttle.retry_after(_at(0, 10, 20, 30, 40), 3, 60, now) == 40


def test_attempts_older_than_the_window_do_not_count():
    now = T0 + timedelta(seconds=60)
    assert throttle.retry_after(_at(0, 30, 59), 3, 60, now) is None  # the one at 0 is gone
    assert throttle.retry_after(_at(1, 30, 59), 3, 60, now) == 1


def test_the_wait_is_whole_seconds_rounded_up_and_at_least_one():
    now = T0 + timedelta(seconds=59, microseconds=900_000)
    assert throttle.retry_after(_at(0, 1, 2), 3, 60, now) == 1
    assert throttle.retry_after(_at(0.5, 1, 2), 3, 60, T0 + timedelta(seconds=2)) == 59


def test_the_window_slides_so_there_is_no_burst_at_a_boundary():
    # A fixed five-minute window would allow 3 at 4:59 and 3 more at 5:00.
    now = T0 + timedelta(seconds=300)
    assert throttle.retry_after(_at(299, 299.5, 299.9), 3, 300, now) == 299


# --- against the database ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_key_is_refused_after_limit_hits_until_the_first_ages_out(clock):
    k = key()
    for _ in range(3):
        assert throttle.check([k]) is None
        throttle.hit([k])
        clock.advance(10)
    assert throttle.check([k]) == 30  # hits at 0, 10, 20; now 30; window 60
    clock.advance(29)
    assert throttle.check([k]) == 1
    clock.advance(1)
    assert throttle.check([k]) is None
    throttle.hit([k])
    assert throttle.check([k]) == 10  # the hit at 10 s is now the oldest that matters


@pytest.mark.django_db
def test_enforce_raises_a_429_with_the_wait(clock):
    k = key(limit=1)
    throttle.enforce([k])
    throttle.hit([k])
    with pytest.raises(TooManyRequests) as caught:
        throttle.enforce([k])
    assert caught.value.status == 429
    assert caught.value.retry_after == 60
    assert caught.value.extra == {"retry_after": 60}


@pytest.mark.django_db
def test_take_counts_every_attempt_and_refuses_past_the_limit(clock):
    k = key(limit=2)
    throttle.take([k])
    throttle.take([k])
    with pytest.raises(TooManyRequests):
        throttle.take([k])
    assert ThrottleHit.objects.count() == 2  # a refused attempt is not recorded


@pytest.mark.django_db
def test_keys_are_independent_and_the_longest_wait_wins(clock):
    a, b = key("a", limit=1, window=60), key("b", limit=1, window=600)
    throttle.hit([a])
    assert throttle.check([key("c", limit=1)]) is None
    assert throttle.check([a]) == 60
    throttle.hit([b])
    assert throttle.check([a, b]) == 600
    assert throttle.check([throttle.Key("other", "a", 1, 60)]) is None


@pytest.mark.django_db
def test_reset_forgets_only_the_given_keys(clock):
    a, b = key("a", limit=1), key("b", limit=1)
    throttle.hit([a, b])
    throttle.reset([a])
    assert throttle.check([a]) is None
    assert throttle.check([b]) == 60


@pytest.mark.django_db
def test_a_limit_of_zero_turns_a_rule_off(clock, settings):
    settings.DOCKET_THROTTLE_ACCOUNT_FAILURES = 0
    off = throttle.login_account("alice")
    for _ in range(50):
        throttle.hit([off])
    assert throttle.check([off]) is None
    assert ThrottleHit.objects.count() == 0


@pytest.mark.django_db
def test_old_rows_are_pruned_when_a_hit_is_recorded(clock):
    throttle.hit([key("old")])
    clock.advance(3600 + 1)  # past the longest window (an hour)
    throttle.hit([key("new")])
    assert ThrottleHit.objects.count() == 1
    assert ThrottleHit.objects.get().at == clock.now


@pytest.mark.django_db
def test_no_username_address_or_ip_is_stored(clock, rf):
    request = rf.get("/", REMOTE_ADDR="203.0.113.9")
    throttle.hit(
        [
            throttle.login_account("alice"),
            throttle.reset_address("alice@example.com"),
            throttle.login_ip(request),
        ]
    )
    stored = " ".join(ThrottleHit.objects.values_list("key", flat=True))
    for secret in ("alice", "example", "203.0.113.9"):
        assert secret not in stored


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_from_many_connections_are_all_counted():
    k = key(limit=1000)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                throttle.hit([k])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ThrottleHit.objects.filter(key=k.digest).count() == 40


# --- the rules ---------------------------------------------------------------------------------


def test_account_keys_ignore_case_so_case_does_not_multiply_the_budget():
    assert throttle.login_account("Alice").digest == throttle.login_account("ALICE").digest
    assert throttle.reset_address("A@Example.com") == throttle.reset_address("a@example.COM")


def test_rules_read_their_limits_from_settings(settings):
    settings.DOCKET_THROTTLE_ACCOUNT_FAILURES, settings.DOCKET_THROTTLE_WINDOW_SECONDS = 4, 90
    assert throttle.login_account("x").limit == 4
    assert throttle.login_account("x").window == 90


def test_rules_with_the_same_subject_do_not_share_a_count(rf):
    request = rf.get("/", REMOTE_ADDR="203.0.113.9")
    digests = {throttle.login_ip(request).digest, throttle.bearer_ip(request).digest}
    assert len(digests) == 2


@pytest.mark.parametrize(
    ("ip", "subject"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("", ""),
    ],
)
def test_ipv6_clients_are_counted_by_their_64(ip, subject):
    assert throttle.ip_subject(ip) == subject


@pytest.mark.django_db
def test_a_failed_bearer_token_is_401_until_the_ip_is_over_its_limit(clock, rf, settings):
    settings.DOCKET_THROTTLE_IP_FAILURES = 3
    request = rf.get("/", REMOTE_ADDR="203.0.113.9")
    answers = [throttle.failed_bearer(request) for _ in range(4)]
    assert [type(a) for a in answers] == [Unauthenticated] * 3 + [TooManyRequests]
    assert ThrottleHit.objects.count() == 3
    other = rf.get("/", REMOTE_ADDR="203.0.113.10")
    assert isinstance(throttle.failed_bearer(other), Unauthenticated)


# --- the client's address -----------------------------------------------------------------------


def test_the_client_is_the_peer_when_no_proxy_is_trusted(rf, settings):
    settings.DOCKET_TRUSTED_PROXIES = []
    request = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_ip(request) == "203.0.113.9"


def test_forwarded_for_is_read_only_from_a_trusted_proxy(rf, settings):
    settings.DOCKET_TRUSTED_PROXIES = ["10.0.0.0/8"]
    via_proxy = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_ip(via_proxy) == "198.51.100.1"
    direct = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_ip(direct) == "203.0.113.9"


def test_a_direct_client_cannot_pose_as_a_trusted_proxy(rf, settings):
    # Its own header ends in a trusted address, but the peer is the client itself.
    settings.DOCKET_TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1, 10.0.0.2")
    assert client_ip(request) == "203.0.113.9"


def test_only_x_forwarded_for_is_read(rf, settings):
    settings.DOCKET_TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = rf.get(
        "/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_REAL_IP="1.1.1.1",
        HTTP_FORWARDED="for=1.1.1.2",
        HTTP_CF_CONNECTING_IP="1.1.1.3",
    )
    assert client_ip(request) == "10.0.0.2"


def test_a_forged_forwarded_for_does_not_hide_the_client(rf, settings):
    # The client sends its own X-Forwarded-For; the proxy appends the real address.
    settings.DOCKET_TRUSTED_PROXIES = ["10.0.0.2"]
    request = rf.get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8, 198.51.100.1"
    )
    assert client_ip(request) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_is_skipped(rf, settings):
    settings.DOCKET_TRUSTED_PROXIES = ["10.0.0.0/8", "::1"]
    request = rf.get(
        "/", REMOTE_ADDR="::1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1, 10.1.1.1, 10.0.0.3"
    )
    assert client_ip(request) == "198.51.100.1"


def test_garbage_in_forwarded_for_stops_the_walk(rf, settings):
    settings.DOCKET_TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, unknown")
    assert client_ip(request) == "10.0.0.2"
    empty = rf.get("/", REMOTE_ADDR="10.0.0.2")
    assert client_ip(empty) == "10.0.0.2"


def test_an_ipv4_mapped_peer_is_shown_as_ipv4(rf, settings):
    settings.DOCKET_TRUSTED_PROXIES = []
    assert client_ip(rf.get("/", REMOTE_ADDR="::ffff:203.0.113.9")) == "203.0.113.9"


def test_a_bad_trusted_proxy_setting_is_a_configuration_error(rf, settings):
    settings.DOCKET_TRUSTED_PROXIES = ["not-an-address"]
    with pytest.raises(ImproperlyConfigured, match="DOCKET_TRUSTED_PROXIES"):
        client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2"))

"""Sign-in throttling: ten failures for a username within 15 minutes refuse it (429
`rate_limited`, Retry-After) until the oldest leaves the window; a success forgets them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from loanledger.persistence.tables import ApiToken, SignInFailure
from loanledger.services import sign_in
from loanledger.services.retention import purge_expired
from tests.support.api import API

TOKENS = f"{API}/auth/tokens"


def _post(client, username: str, password: str):
    return client.post(TOKENS, json={"username": username, "password": password})


def test_ten_failures_refuse_the_username_even_with_the_right_password(staff, client, db):
    password = staff.create("clerk1", "clerk")
    for _ in range(10):
        assert _post(client, "clerk1", "wrong").status_code == 401
    refused = _post(client, "clerk1", password)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    error = refused.get_json()["errors"][0]
    assert (error["code"], error["field"]) == ("rate_limited", "username")
    wait = int(refused.headers["Retry-After"])
    assert 890 <= wait <= 900
    assert (
        refused.get_json()["detail"]
        == f"too many failed sign-ins for this username; try again in {wait} s"
    )
    assert db.scalar(select(func.count()).select_from(ApiToken)) == 0
    # refused attempts are not counted: the window does not grow while someone keeps trying
    assert db.scalar(select(func.count()).select_from(SignInFailure)) == 10
    staff.create("clerk2", "clerk")
    assert _post(client, "clerk2", "clerk2-password").status_code == 201


def test_a_success_forgets_the_earlier_failures(staff, client):
    password = staff.create("clerk1", "clerk")
    for _ in range(9):
        assert _post(client, "clerk1", "wrong").status_code == 401
    assert _post(client, "clerk1", password).status_code == 201
    for _ in range(9):
        assert _post(client, "clerk1", "wrong").status_code == 401
    assert _post(client, "clerk1", password).status_code == 201


def test_an_unknown_username_is_answered_like_a_wrong_password(client):
    answers = [_post(client, "nobody", "x") for _ in range(11)]
    assert [a.status_code for a in answers] == [401] * 10 + [429]
    assert answers[0].get_json()["detail"] == "unknown user or wrong password"


def test_an_unknown_username_costs_a_password_check_like_a_known_one(staff, client, monkeypatch):
    """The time of the answer must not tell which names exist: an unknown name runs the same
    password check (a hash of the same method and cost), not nothing (4 ms against 140 ms)."""
    from loanledger.services import identity

    staff.create("clerk1", "clerk")
    checked: list[str] = []
    real = identity.check_password_hash
    monkeypatch.setattr(
        identity, "check_password_hash", lambda h, p: checked.append(h) or real(h, p)
    )
    assert _post(client, "clerk1", "wrong").status_code == 401
    assert _post(client, "nobody", "wrong").status_code == 401
    known, unknown = checked
    method = lambda h: h.split("$", 1)[0]  # noqa: E731 - e.g. 'scrypt:32768:8:1'
    assert method(unknown) == method(known)


def test_the_oldest_failure_leaving_the_window_lets_one_more_attempt_in(staff, db):
    password = staff.create("clerk1", "clerk")
    t0 = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)
    for minute in range(10):
        assert sign_in.sign_in(db, "clerk1", "wrong", now=t0 + dt.timedelta(minutes=minute)) is None
    db.commit()
    try:
        sign_in.sign_in(db, "clerk1", password, now=t0 + dt.timedelta(minutes=5))
    except sign_in.TooManyAttempts as refused:
        assert refused.retry_after_seconds == 600  # the first failure counts until 08:15
    else:
        raise AssertionError("the eleventh attempt was let in")
    user = sign_in.sign_in(db, "clerk1", password, now=t0 + dt.timedelta(minutes=15))
    assert user is not None and user.username == "clerk1"
    db.commit()
    assert db.scalar(select(func.count()).select_from(SignInFailure)) == 0


def test_purge_drops_the_failures_that_no_longer_count(db):
    now = dt.datetime.now(dt.UTC)
    for minutes in (16, 15, 14):
        sign_in.sign_in(db, "someone", "x", now=now - dt.timedelta(minutes=minutes))
    db.commit()
    assert purge_expired(db, now)["sign_in_failures"] == 2
    db.commit()
    left = list(db.scalars(select(SignInFailure.failed_at)))
    assert len(left) == 1

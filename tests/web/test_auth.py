"""Sign-in with one-time links, sessions, CSRF, sign-out, headers, health and metrics."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from asnkarier.models import AuditLog, ConsoleLoginLink, ConsoleSession, utcnow
from asnkarier.services import console_auth
from asnkarier.services import sessions as console_sessions
from tests.web.conftest import Console
from web import security


def test_a_link_signs_in_once_and_is_stored_hashed(console: Console) -> None:
    officer = console.officer()
    token = console.link(officer)
    with console.sessions() as s:
        stored = s.scalars(select(ConsoleLoginLink.token_hash)).all()
    assert token not in stored
    assert console_auth.hash_token(token) in stored
    # Opening the link (as Telegram's preview would) does not use it.
    assert "tombol-masuk" in console.client.get(f"/masuk/{token}").text
    first = console.client.post(f"/masuk/{token}", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/"
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie
    assert "Beranda" in console.client.get("/").text
    again = TestClient(console.client.app).post(f"/masuk/{token}", follow_redirects=False)
    assert again.status_code == 403
    assert "tidak berlaku" in again.text


def test_an_expired_link_is_refused(console: Console) -> None:
    officer = console.officer()
    token = console.link(officer, now=utcnow() - dt.timedelta(minutes=11))
    response = console.client.post(f"/masuk/{token}", follow_redirects=False)
    assert response.status_code == 403
    assert console.client.get("/", follow_redirects=False).status_code == 303


def test_only_officers_get_links_and_at_most_five_an_hour(console: Console) -> None:
    with console.sessions.begin() as s:
        from tests.factories import make_employee

        plain = make_employee(s).id
    with pytest.raises(console_auth.ConsoleAuthError):
        console.link(plain)
    officer = console.officer()
    for _ in range(5):
        console.link(officer)
    with pytest.raises(console_auth.ConsoleAuthError, match="satu jam"):
        console.link(officer)


def test_a_post_without_csrf_token_is_refused(console: Console) -> None:
    console.sign_in(console.officer())
    form = {"teks": "Halo", "kunci": "semua", "nilai": "", "aksi": "kirim"}
    refused = console.client.post("/pengumuman", data=form, follow_redirects=False)
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    wrong = console.client.post(
        "/pengumuman", data={**form, "csrf_token": "x" * 43}, follow_redirects=False
    )
    assert wrong.status_code == 403
    ok = console.client.post(
        "/pengumuman", data={**form, "csrf_token": console.csrf()}, follow_redirects=False
    )
    assert ok.status_code == 303


def test_a_forged_cookie_is_not_a_session(console: Console) -> None:
    client = TestClient(console.client.app)
    client.cookies.set(security.COOKIE, "abc.def")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session_everywhere(console: Console) -> None:
    console.sign_in(console.officer())
    cookie = console.client.cookies.get(security.COOKIE)
    response = console.client.post(
        "/keluar", data={"csrf_token": console.csrf()}, follow_redirects=False
    )
    assert response.status_code == 303
    other = TestClient(console.client.app)
    other.cookies.set(security.COOKIE, cookie or "")
    assert other.get("/", follow_redirects=False).status_code == 303


def test_idle_and_absolute_expiry(console: Console) -> None:
    officer = console.officer()
    now = utcnow()
    with console.sessions.begin() as s:
        who = console_auth.officer(s, officer)
        assert who is not None
        token = console_sessions.start(s, who, now, absolute_minutes=60)
    with console.sessions.begin() as s:
        assert console_sessions.resume(s, token, now + dt.timedelta(minutes=29), idle_minutes=30)
        assert console_sessions.resume(s, token, now + dt.timedelta(minutes=58), idle_minutes=30)
        assert not console_sessions.resume(
            s, token, now + dt.timedelta(minutes=61), idle_minutes=30
        )
    with console.sessions.begin() as s:
        fresh = console_sessions.start(s, who, now, absolute_minutes=600)
    with console.sessions.begin() as s:
        assert not console_sessions.resume(
            s, fresh, now + dt.timedelta(minutes=31), idle_minutes=30
        )
        assert s.scalar(select(ConsoleSession).where(ConsoleSession.token_hash == fresh)) is None


def test_revoked_rights_end_the_session(console: Console) -> None:
    officer = console.officer(unit="DINKES", admin=False)
    console.sign_in(officer)
    assert console.client.get("/", follow_redirects=False).status_code == 200
    with console.sessions.begin() as s:
        console_auth.revoke_unit_operator(s, console.employee(officer), actor="test")
    assert console.client.get("/", follow_redirects=False).status_code == 303


def test_sign_in_is_audited(console: Console) -> None:
    officer = console.officer()
    console.sign_in(officer)
    with console.sessions() as s:
        actions = s.scalars(
            select(AuditLog.action).where(AuditLog.actor.startswith(f"web:{officer}:"))
        ).all()
    assert "console.sign_in" in actions


def test_security_headers_health_and_metrics(console: Console) -> None:
    page = console.client.get("/masuk")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in page.text
    assert "style=" not in page.text
    assert console.client.get("/health").json() == {"status": "ok", "db": True}
    assert "python_info" in console.client.get("/metrics").text
    assert console.client.get("/static/vendor/htmx.min.js").status_code in (200, 404)


def test_https_base_url_makes_the_cookie_secure(console: Console) -> None:
    from tests.web.conftest import console_settings
    from web.app import create_app

    app = create_app(
        console_settings(web_base_url="https://konsol.example.go.id"), console.sessions
    )
    client = TestClient(app, base_url="https://testserver")
    token = console.link(console.officer())
    response = client.post(f"/masuk/{token}", follow_redirects=False)
    assert "secure" in response.headers["set-cookie"].lower()


def test_without_a_secret_key_the_console_does_not_start(console: Console) -> None:
    from asnkarier.settings import Settings
    from web.app import create_app

    with pytest.raises(SystemExit, match="WEB_SECRET_KEY"):
        create_app(Settings(_env_file=None), console.sessions)  # type: ignore[call-arg]

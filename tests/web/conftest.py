"""Console fixtures: the app on the test database, officers, and a signed-in client."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import Employee, Role, utcnow
from asnkarier.services import console_auth
from asnkarier.settings import Settings
from tests.factories import make_employee
from web.app import create_app

SECRET = "test-secret-key-of-the-console-0123456789"
_chat = itertools.count(7_100_000)


def console_settings(**values: object) -> Settings:
    fields: dict[str, object] = {
        "web_secret_key": SECRET,
        "web_base_url": "http://testserver",
        "broadcast_approval_threshold": 3,
        **values,
    }
    return Settings(_env_file=None, **fields)  # type: ignore[call-arg]


@dataclass
class Console:
    client: TestClient
    sessions: sessionmaker[Session]
    settings: Settings

    def officer(self, *, unit: str = "BKPSDM", admin: bool = True, linked: bool = True) -> int:
        """A new officer (hr_admin, or operator of `unit`); their employee id."""
        with self.sessions.begin() as s:
            chat = next(_chat) if linked else None
            who = make_employee(
                s, unit_code=unit, chat_id=chat, role=Role.HR_ADMIN if admin else Role.EMPLOYEE
            )
            if not admin:
                console_auth.grant_unit_operator(s, who.nip, unit, actor="test")
            return who.id

    def link(self, employee_id: int, now: dt.datetime | None = None) -> str:
        with self.sessions.begin() as s:
            return console_auth.issue_link(
                s, employee_id, now or utcnow(), valid_minutes=10, per_hour=5, via="test"
            )

    def sign_in(self, employee_id: int, client: TestClient | None = None) -> TestClient:
        client = client or self.client
        token = self.link(employee_id)
        response = client.post(f"/masuk/{token}", follow_redirects=False)
        assert response.status_code == 303, response.text
        return client

    def csrf(self, client: TestClient | None = None) -> str:
        page = (client or self.client).get("/pengumuman/baru")
        marker = 'name="csrf_token" value="'
        start = page.text.index(marker) + len(marker)
        return page.text[start : page.text.index('"', start)]

    def employee(self, employee_id: int) -> Employee:
        with self.sessions() as s:
            found = s.get(Employee, employee_id)
            assert found is not None
            return found


@pytest.fixture
def console(sessions: sessionmaker[Session]) -> Iterator[Console]:
    settings = console_settings()
    with TestClient(create_app(settings, sessions)) as client:
        yield Console(client, sessions, settings)

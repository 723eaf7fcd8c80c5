"""Moderator accounts for tests: made through the admin API, logged in like a browser would."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class ModeratorHandle:
    """An account made for one test: its password, an API token client, and a login helper."""

    id: str
    email: str
    password: str
    api: str
    token_client: httpx.Client
    opened: list[httpx.Client]

    def opened_client(self) -> httpx.Client:
        """A fresh client with no credentials, closed after the test."""
        client = httpx.Client(base_url=self.api, timeout=30)
        self.opened.append(client)
        return client

    def login(self) -> httpx.Client:
        """A client holding a session cookie, sending the session's CSRF token on changes."""
        client = login_client(self.api, self.email, self.password)
        self.opened.append(client)
        csrf = client.get("/v1/moderation/me").json()["csrf_token"]
        client.headers["X-CSRF-Token"] = csrf
        return client


def login_client(api: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=api, timeout=30)
    try:
        _login(client, email, password)
    except BaseException:
        client.close()
        raise
    return client


def _login(client: httpx.Client, email: str, password: str) -> None:
    page = client.get("/login")
    match = _CSRF_INPUT.search(page.text)
    assert match, page.text
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": match.group(1), "next": "/"},
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def make_moderator(api: str, admin: httpx.Client) -> Iterator[Any]:
    clients: list[httpx.Client] = []

    def make(sites: list[str] | None = None, is_admin: bool = False) -> ModeratorHandle:
        email = f"mod-{secrets.token_hex(4)}@example.org"
        password = "pw-" + secrets.token_urlsafe(12)
        created = admin.post(
            "/v1/admin/moderators",
            json={"email": email, "sites": sites or [], "admin": is_admin, "password": password},
        )
        assert created.status_code == 201, created.text
        account_id = created.json()["id"]
        token = admin.post(f"/v1/admin/moderators/{account_id}/tokens").json()["token"]
        client = httpx.Client(
            base_url=api, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        clients.append(client)
        return ModeratorHandle(account_id, email, password, api, client, clients)

    yield make
    for client in clients:
        client.close()

"""``/v1/admin/sites`` and ``/v1/admin/moderators``: managing sites and accounts (admin token)."""

from __future__ import annotations

import secrets
from typing import Any

import anyio
import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.datastructures import State
from litestar.exceptions import ClientException, NotFoundException

from service import accounts, sites
from service.auth import admin_guard
from service.context import Services
from service.schemas import (
    Account,
    ErrorDetail,
    ModeratorCreate,
    ModeratorOut,
    ModeratorUpdate,
    SiteCreate,
    SiteOut,
    SiteUpdate,
)
from service.store import Store
from service.validation import BodyError, decode_body

__all__ = ["AdminModeratorsController", "AdminSitesController", "ConflictError", "moderator_out"]


class ConflictError(ClientException):
    status_code = 409


class AdminSitesController(Controller):
    path = "/v1/admin/sites"
    tags = ["admin"]
    guards = [admin_guard]

    @post("/", status_code=201)
    async def create(self, request: Request[Any, Any, State], services: Services) -> SiteOut:
        """Create a site. The API key and webhook secret are in this answer and never again."""
        data = decode_body(await request.body(), SiteCreate)
        return sites.create_site(services.store, services.settings, data)

    @get("/", sync_to_thread=True)
    def list_sites(self, services: Services) -> list[SiteOut]:
        return [sites.site_out(s) for s in services.store.list_sites()]

    @get("/{site_id:str}", sync_to_thread=True)
    def get_site(self, site_id: str, services: Services) -> SiteOut:
        site = services.store.get_site(site_id)
        if site is None:
            raise NotFoundException(f"No site {site_id!r}")
        return sites.site_out(site)

    @patch("/{site_id:str}")
    async def update(
        self, site_id: str, request: Request[Any, Any, State], services: Services
    ) -> SiteOut:
        data = decode_body(await request.body(), SiteUpdate)
        try:
            return sites.update_site(services.store, services.settings, site_id, data)
        except sites.SiteNotFoundError:
            raise NotFoundException(f"No site {site_id!r}") from None

    @post("/{site_id:str}/rotate-key", status_code=200, sync_to_thread=True)
    def rotate_key(self, site_id: str, services: Services) -> SiteOut:
        """A new API key; the old one stops working at once."""
        try:
            return sites.rotate_key(services.store, site_id)
        except sites.SiteNotFoundError:
            raise NotFoundException(f"No site {site_id!r}") from None


def moderator_out(account: Account, password: str = "", token: str = "") -> ModeratorOut:
    return ModeratorOut(
        id=account.id,
        email=account.email,
        admin=account.admin,
        sites=account.sites,
        disabled=account.disabled,
        created_at=account.created_at,
        password=password,
        token=token,
    )


def _check_sites(store: Store, site_ids: list[str]) -> None:
    unknown = [s for s in site_ids if store.get_site(s) is None]
    if unknown:
        raise BodyError(
            "The body has invalid fields",
            [ErrorDetail(field="sites", message=f"No site {', '.join(unknown)}")],
        )


class AdminModeratorsController(Controller):
    path = "/v1/admin/moderators"
    tags = ["admin"]
    guards = [admin_guard]

    @post("/", status_code=201)
    async def create(self, request: Request[Any, Any, State], services: Services) -> ModeratorOut:
        """Create an account; a generated password is in this answer and never again."""
        data = decode_body(await request.body(), ModeratorCreate)
        _check_sites(services.store, data.sites)
        password = data.password or secrets.token_urlsafe(15)
        try:
            account = await anyio.to_thread.run_sync(
                accounts.create_account,
                services.store,
                data.email,
                password,
                data.sites,
                data.admin,
            )
        except accounts.AccountExistsError:
            raise ConflictError(f"An account for {data.email} exists already") from None
        return moderator_out(account, password="" if data.password else password)

    @get("/", sync_to_thread=True)
    def list_accounts(self, services: Services) -> list[ModeratorOut]:
        return [moderator_out(a) for a in services.store.list_accounts()]

    @patch("/{account_id:str}")
    async def update(
        self, account_id: str, request: Request[Any, Any, State], services: Services
    ) -> ModeratorOut:
        data = decode_body(await request.body(), ModeratorUpdate)
        store = services.store
        account = store.get_account(account_id)
        if account is None:
            raise NotFoundException(f"No account {account_id!r}")
        changes: dict[str, Any] = {}
        if data.sites is not None:
            _check_sites(store, data.sites)
            changes["sites"] = sorted(set(data.sites))
        if data.admin is not None:
            changes["admin"] = data.admin
        if data.disabled is not None:
            changes["disabled"] = data.disabled
        if data.password is not None:
            changes["password_hash"] = await anyio.to_thread.run_sync(
                accounts.hash_password, data.password
            )
        updated = msgspec.structs.replace(account, **changes)
        store.save_account(updated)
        if data.disabled:
            store.revoke_account_tokens(account.id)
        if data.disabled or data.password is not None:
            # whoever logged in with the old password (perhaps the reason for the change)
            # must not stay logged in
            store.revoke_account_sessions(account.id)
        return moderator_out(updated)

    @post("/{account_id:str}/tokens", status_code=201, sync_to_thread=True)
    def issue_token(self, account_id: str, services: Services) -> ModeratorOut:
        """A new moderation API token for the account, shown once."""
        account = services.store.get_account(account_id)
        if account is None:
            raise NotFoundException(f"No account {account_id!r}")
        return moderator_out(account, token=accounts.issue_api_token(services.store, account))

"""``/v1/admin/sites``: managing sites with the admin token."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException

from service import sites
from service.auth import admin_guard
from service.context import Services
from service.schemas import SiteCreate, SiteOut, SiteUpdate
from service.validation import decode_body

__all__ = ["AdminSitesController"]


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

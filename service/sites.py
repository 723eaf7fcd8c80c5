"""Site (tenant) operations shared by the admin API and the command line."""

from __future__ import annotations

import msgspec

from service.netguard import CallbackURLError, check_callback_url
from service.schemas import ErrorDetail, SiteCreate, SiteOut, SitePublic, SiteUpdate
from service.settings import Settings
from service.store import Store
from service.validation import BodyError

__all__ = ["SiteNotFoundError", "create_site", "rotate_key", "site_out", "update_site"]


class SiteNotFoundError(LookupError):
    """No site has that id."""


def site_out(site: SitePublic, api_key: str = "", webhook_secret: str = "") -> SiteOut:
    return SiteOut(
        id=site.id,
        name=site.name,
        url=site.url,
        callback_url=site.callback_url,
        created_at=site.created_at,
        config=site.config,
        api_key=api_key,
        webhook_secret=webhook_secret,
    )


def _check_urls(settings: Settings, url: str | None, callback_url: str | None) -> None:
    details = []
    if url is not None and not url.startswith(("http://", "https://")):
        details.append(ErrorDetail(field="url", message="Must start with http:// or https://"))
    if callback_url:
        try:
            check_callback_url(callback_url, settings.allow_private_callbacks)
        except CallbackURLError as exc:
            details.append(ErrorDetail(field="callback_url", message=str(exc)))
    if details:
        raise BodyError("The site has invalid fields", details)


def create_site(store: Store, settings: Settings, data: SiteCreate) -> SiteOut:
    """Create a site; the answer holds the API key and webhook secret, shown only this once."""
    _check_urls(settings, data.url, data.callback_url)
    site, api_key = store.create_site(data.name, data.url, data.callback_url, data.config)
    return site_out(site, api_key=api_key, webhook_secret=site.webhook_secret)


def update_site(store: Store, settings: Settings, site_id: str, data: SiteUpdate) -> SiteOut:
    _check_urls(settings, data.url, data.callback_url)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    updated = store.modify_site(site_id, lambda site: msgspec.structs.replace(site, **changes))
    if updated is None:
        raise SiteNotFoundError(site_id)
    return site_out(updated)


def rotate_key(store: Store, site_id: str) -> SiteOut:
    api_key = store.rotate_api_key(site_id)
    site = store.get_site(site_id)
    if api_key is None or site is None:
        raise SiteNotFoundError(site_id)
    return site_out(site, api_key=api_key)

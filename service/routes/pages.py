"""HTML pages for moderators: the review queue at ``/moderate``."""

from __future__ import annotations

from litestar import get
from litestar.response import Redirect, Template

from service import moderation
from service.accounts import Principal
from service.context import Services

__all__ = ["home", "moderate_page"]


@get("/moderate", sync_to_thread=True, include_in_schema=False)
def moderate_page(services: Services, page_moderator: Principal) -> Template:
    """The queue page; the script fetches items from the moderation API."""
    return Template(
        template_name="moderate.html",
        context={
            "account": page_moderator.account,
            "csrf_token": page_moderator.csrf,
            "sites": moderation.counts(services.store, page_moderator),
        },
    )


@get("/", sync_to_thread=False, include_in_schema=False)
def home() -> Redirect:
    return Redirect(path="/moderate")

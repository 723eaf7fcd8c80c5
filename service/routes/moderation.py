"""``/v1/moderation``: the review queue, item detail, decisions, undo, bulk, audit."""

from __future__ import annotations

import msgspec
from litestar import Controller, get

from service.accounts import Principal
from service.routes.admin import moderator_out
from service.schemas import ModeratorOut

__all__ = ["MeOut", "ModerationController"]


class MeOut(msgspec.Struct):
    """Who is logged in, and the CSRF token their page sends with every change."""

    account: ModeratorOut
    via: str
    csrf_token: str


class ModerationController(Controller):
    path = "/v1/moderation"
    tags = ["moderation"]

    @get("/me", sync_to_thread=False)
    def me(self, moderator: Principal) -> MeOut:
        return MeOut(
            account=moderator_out(moderator.account), via=moderator.via, csrf_token=moderator.csrf
        )

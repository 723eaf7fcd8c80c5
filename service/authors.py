"""Who an author is across comments of a site."""

from __future__ import annotations

import hashlib

from service.schemas import Author

__all__ = ["author_key"]


def author_key(author: Author) -> str:
    """A stable, non-reversible key per author: their email, else their IP; '' when neither."""
    identity = author.email.strip().lower() or author.ip or ""
    return hashlib.sha256(identity.encode()).hexdigest()[:24] if identity else ""

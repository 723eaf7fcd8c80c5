"""Checks: small units that look at comments and report findings. The policy decides."""

from workers.checks.base import Check, CheckContext

__all__ = ["Check", "CheckContext"]

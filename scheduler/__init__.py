"""Due-time decisions: which targets are due, claiming them, and what is stuck."""

from scheduler.tick import DueTarget, TickResult, claim_due, expire_unapproved, find_stuck, tick

__all__ = ["DueTarget", "TickResult", "claim_due", "expire_unapproved", "find_stuck", "tick"]

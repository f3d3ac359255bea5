"""Per-platform variants: the text one platform gets instead of the post's main text.

A PIO writes one main text and, where a platform needs something else (X's 280, a Mastodon
instance's own limit, Instagram's hashtags), a variant for that platform. The text actually
published for a target is computed here and nowhere else, by :func:`text_for_target`; the
worker's publish path, the previews and the duplicate check all call it.

Each account's own limit (a Mastodon instance's ``max_characters``) is read and kept on the
account when it is connected or checked (:func:`store_account_limits`) and applied when a
post is queued (:func:`check_texts`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy.orm import Session

from content_queue.errors import ValidationFailed
from content_queue.footer import apply_footer  # issue 10 guard: the agency footer
from content_queue.models import Post, PostTarget, PostVariant, SocialAccount
from content_queue.platforms import PLATFORMS, RULES, MediaFacts, check_post

#: A variant is at most as long as the longest text any platform accepts.
MAX_VARIANT = 63206
#: The largest limit an instance may announce that we believe (Mastodon forks allow a lot).
MAX_ACCOUNT_LIMIT = 100_000
#: Platforms whose text limit is set per account (per server), not per platform.
PER_ACCOUNT_LIMITS = frozenset({"mastodon"})


def clean_variants(raw: Any) -> dict[str, str]:
    """``{"x": "...", "mastodon": "..."}`` checked: known platforms, text values; blank
    variants are dropped (the main text is used)."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, Mapping):
        raise ValidationFailed('variants must be an object such as {"x": "shorter text"}.',
                               code="invalid_variants", fields={"variants": "An object."})
    out: dict[str, str] = {}
    for platform, text in raw.items():
        if platform not in PLATFORMS:
            raise ValidationFailed(
                f"variants: {platform!r} is not a platform; use one of {', '.join(PLATFORMS)}.",
                code="invalid_variants", fields={"variants": f"Unknown platform {platform!r}."})
        if text is None:
            continue
        if not isinstance(text, str):
            raise ValidationFailed(f"variants.{platform} must be text.", code="invalid_variants",
                                   fields={"variants": f"{platform}: text."})
        if len(text) > MAX_VARIANT:
            raise ValidationFailed(f"The {RULES[platform].label} text is longer than any "
                                   "platform accepts.", code="text_too_long",
                                   fields={"variants": {platform: "Too long."}})
        if text.strip():
            out[platform] = text.replace("\r\n", "\n")
    return out


def variants_of(post: Post) -> dict[str, str]:
    return {v.platform: v.text for v in getattr(post, "variants", ())}


def text_for_platform(post: Post, platform: str) -> str:
    for variant in getattr(post, "variants", ()):
        if variant.platform == platform and variant.text.strip():
            return variant.text
    return post.text


def text_for_target(post: Post, target: PostTarget) -> str:
    """The text published on ``target``'s account: its platform's variant, else the main text
    (with the agency footer where the account's limit leaves room; issue 10 guard)."""
    account = target.account
    return apply_footer(post, text_for_platform(post, account.platform), account.platform,
                        account_max_chars(account))


def account_max_chars(account: SocialAccount) -> int | None:
    """The account's own text limit, when its platform has one per account and it is known."""
    if account.platform in PER_ACCOUNT_LIMITS and account.max_characters:
        return account.max_characters
    return None


def limit_of(account: SocialAccount) -> int:
    return account_max_chars(account) or RULES[account.platform].max_chars


def store_account_limits(account: SocialAccount, facts: Mapping[str, Any] | None) -> bool:
    """Keep what a connector learned about the account's limits (``max_characters`` in
    :class:`~content_queue.ports.AccountInfo.extra` or ``LinkedAccount.limits``). Returns
    True when something changed."""
    value = (facts or {}).get("max_characters")
    if account.platform not in PER_ACCOUNT_LIMITS or isinstance(value, bool):
        return False
    try:
        number = int(value)
    except (TypeError, ValueError):
        return False
    if not 1 <= number <= MAX_ACCOUNT_LIMIT or number == account.max_characters:
        return False
    account.max_characters = number
    return True


def check_texts(text: str, variants: Mapping[str, str], accounts: Iterable[SocialAccount],
                media: Sequence[MediaFacts] = ()) -> None:
    """Every account's rules against the text it will get (its variant, its own limit)."""
    problems: list[tuple[str, Any]] = []
    seen: set[tuple[str, int | None]] = set()
    for account in sorted(accounts, key=lambda a: (a.platform, a.id)):
        limit = account_max_chars(account)
        if (account.platform, limit) in seen:
            continue
        seen.add((account.platform, limit))
        own = variants.get(account.platform)
        for problem in check_post(account.platform, own if own is not None else text, media,
                                  max_chars=limit):
            where = f"variant:{account.platform}" if own is not None else "text"
            if limit is not None and problem.rule == "text_too_long":
                problem = type(problem)(problem.platform, problem.rule,
                                        f"{problem.message[:-1]} on @{account.handle}'s server.")
            problems.append((where, problem))
    if problems:
        fields: dict[str, Any] = {}
        for where, problem in problems:
            if where == "text":
                fields.setdefault("text", []).append(problem.message)
            else:
                fields.setdefault("variants", {}).setdefault(where.split(":", 1)[1], []).append(
                    problem.message)
        raise ValidationFailed(" ".join(p.message for _, p in problems), code=problems[0][1].rule,
                               fields=fields)


def save_variants(session: Session, post: Post, variants: Mapping[str, str],
                  accounts: Iterable[SocialAccount], *, now: datetime) -> None:
    """Store ``variants`` for the platforms the post goes to (others are not kept)."""
    platforms = {a.platform for a in accounts}
    for platform, text in sorted(variants.items()):
        if platform in platforms:
            session.add(PostVariant(agency_id=post.agency_id, post_id=post.id, platform=platform,
                                    text=text, created_at=now, updated_at=now))
    session.flush()

"""What the platforms will charge for posts and campaigns, estimated before anything is sent.

X bills API posting per post (as of 2026), more when the post carries a link; the other
platforms charge nothing per post. Tenfour shows the estimate on the campaign page, the compose
page and in the API so an agency sees the bill before it schedules a campaign, not after.

The price table comes from configuration (``X_PRICE_PER_POST``, ``X_PRICE_PER_LINK_POST``) and
is passed in as a mapping: this module never reads settings itself.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session
from twitter_text import extract_urls

from content_queue.models import Post, PostTarget, SocialAccount
from content_queue.platforms import PLATFORMS, RULES
from content_queue.states import Status

CURRENCY = "USD"
#: Targets that may still be sent (and billed): not published, canceled or being sent now.
UNSENT = frozenset({Status.DRAFT, Status.AWAITING_APPROVAL, Status.SCHEDULED, Status.FAILED,
                    Status.EXPIRED})
#: Platform → (price key for a plain post, price key for a post with a link).
PRICE_KEYS: dict[str, tuple[str, str]] = {"x": ("x_price_per_post", "x_price_per_link_post")}


def has_link(text: str) -> bool:
    """Whether X will wrap something in the text as a t.co link (bare domains count too)."""
    return bool(extract_urls(text))


def format_usd(amount: Decimal) -> str:
    """``$0.20``, ``$0.015``, ``$1,234.50``: cents always, fractions of a cent when they matter."""
    cents = amount.quantize(Decimal("0.01"))
    if cents == amount:
        return f"${cents:,.2f}"
    fine = amount.quantize(Decimal("0.0001")).normalize()
    return f"${fine:,f}"


def _label(platform: str) -> str:
    return RULES[platform].label if platform in RULES else platform


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(frozen=True)
class CostLine:
    """``posts`` posts on ``platform`` at ``unit_price`` each (0 where there is no charge)."""

    platform: str
    posts: int
    unit_price: Decimal
    with_link: bool = False

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.posts

    @property
    def charged(self) -> bool:
        return self.platform in PRICE_KEYS

    def describe(self) -> str:
        """``3 posts with a link × $0.20``."""
        what = _plural(self.posts, "post") + (" with a link" if self.with_link else "")
        return f"{what} × {format_usd(self.unit_price)}"

    def to_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "posts": self.posts,
                "unit_price": float(self.unit_price), "subtotal": float(self.subtotal),
                "with_link": self.with_link}


@dataclass(frozen=True)
class Estimate:
    lines: tuple[CostLine, ...] = ()
    currency: str = CURRENCY

    @property
    def total(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), Decimal("0"))

    @property
    def posts(self) -> int:
        return sum(line.posts for line in self.lines)

    @property
    def charged_lines(self) -> tuple[CostLine, ...]:
        return tuple(line for line in self.lines if line.charged)

    @property
    def free_platforms(self) -> list[str]:
        """Labels of the platforms in the estimate that charge nothing per post."""
        return [_label(line.platform) for line in self.lines if not line.charged]

    def platform_charges(self) -> list[tuple[str, str, str]]:
        """Per charging platform: its label, its subtotal and how it adds up, e.g.
        ``("X", "$0.63", "3 posts with a link × $0.20 + 2 posts × $0.015")``."""
        by_platform: dict[str, list[CostLine]] = defaultdict(list)
        for line in self.charged_lines:
            by_platform[line.platform].append(line)
        return [(_label(p), format_usd(sum((l.subtotal for l in lines), Decimal("0"))),
                 " + ".join(l.describe() for l in lines))
                for p, lines in by_platform.items()]

    def charge_sentences(self) -> list[str]:
        """``Estimated X charges: $0.63 — 3 posts with a link × $0.20 + 2 posts × $0.015``."""
        return [f"Estimated {label} charges: {subtotal} — {how}"
                for label, subtotal, how in self.platform_charges()]

    def summary(self) -> str:
        """One plain sentence (or two) for a page or a log line."""
        if not self.lines:
            return "Nothing left to send, so no platform charges."
        parts = self.charge_sentences()
        if self.free_platforms:
            parts.append(f"{', '.join(self.free_platforms)}: no per-post charge")
        return ". ".join(parts) + "."

    def to_dict(self) -> dict[str, Any]:
        return {"currency": self.currency, "total": float(self.total),
                "lines": [line.to_dict() for line in self.lines]}


def unit_price(prices: Mapping[str, Any], key: str) -> Decimal:
    """One price from the table, exact (``Decimal``); a missing or negative price is a bug."""
    try:
        value = prices[key]
    except KeyError:
        raise ValueError(f"the price table has no {key!r}") from None
    price = Decimal(str(value))  # str(): 0.015 stays 0.015, not 0.01499999…
    if price < 0:
        raise ValueError(f"{key} is negative ({value})")
    return price


def estimate_post_cost(platforms_and_texts: Iterable[tuple[str, str]],
                       prices: Mapping[str, Any]) -> Estimate:
    """The charges for sending each ``(platform, text)`` once; one pair per target account."""
    counts: Counter[tuple[str, bool]] = Counter()
    for platform, text in platforms_and_texts:
        link = platform in PRICE_KEYS and has_link(text)
        counts[(platform, link)] += 1
    lines: list[CostLine] = []
    def charged_first(platform: str) -> tuple[bool, int]:
        known = PLATFORMS.index(platform) if platform in PLATFORMS else len(PLATFORMS)
        return platform not in PRICE_KEYS, known

    order = sorted({p for p, _ in counts}, key=charged_first)
    for platform in order:
        if platform in PRICE_KEYS:
            plain_key, link_key = PRICE_KEYS[platform]
            for link, key in ((True, link_key), (False, plain_key)):
                if counts[(platform, link)]:
                    lines.append(CostLine(platform, counts[(platform, link)],
                                          unit_price(prices, key), with_link=link))
        else:
            lines.append(CostLine(platform, counts[(platform, False)], Decimal("0")))
    return Estimate(tuple(lines))


def estimate_campaign_costs(session: Session, campaign_ids: Iterable[int],
                            prices: Mapping[str, Any]) -> dict[int, Estimate]:
    """Each campaign's estimate over the targets it may still send, in one query."""
    ids = list(campaign_ids)
    pairs: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    if ids:
        rows = session.execute(
            select(Post.campaign_id, SocialAccount.platform, Post.text)
            .join(PostTarget, PostTarget.post_id == Post.id)
            .join(SocialAccount, SocialAccount.id == PostTarget.account_id)
            .where(Post.campaign_id.in_(ids),
                   PostTarget.status.in_([s.value for s in UNSENT]))
        )
        for campaign_id, platform, text in rows:
            pairs[campaign_id].append((platform, text))
    return {i: estimate_post_cost(pairs[i], prices) for i in ids}


def estimate_campaign_cost(session: Session, campaign_id: int,
                           prices: Mapping[str, Any]) -> Estimate:
    return estimate_campaign_costs(session, [campaign_id], prices)[campaign_id]

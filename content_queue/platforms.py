"""Pure per-platform rules: text limits and how each platform counts, images, alt text.

No network here: the compose page and the API check a post against these rules before anything
is queued, and connectors call the same functions before sending a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import regex
from twitter_text import parse_tweet

from content_queue.ports import RuleViolation

HASHTAG_RE = re.compile(r"(?:^|\s)#\w+", re.UNICODE)


def count_codepoints(text: str) -> int:
    return len(text)


def count_graphemes(text: str) -> int:
    """Bluesky counts user-perceived characters (extended grapheme clusters)."""
    return len(regex.findall(r"\X", text))


def count_x_weighted(text: str) -> int:
    """X's weighted length (twitter-text v3: URLs 23, CJK and emoji 2, most Latin 1)."""
    return parse_tweet(text).weightedLength


def count_mastodon(text: str) -> int:
    """Mastodon counts every URL as 23 characters, like X, but everything else as 1."""
    urls = re.findall(r"https?://\S+", text)
    return len(re.sub(r"https?://\S+", "", text)) + 23 * len(urls)


@dataclass(frozen=True)
class PlatformRules:
    name: str
    label: str
    max_chars: int
    counter: Callable[[str], int]
    counting_note: str
    max_images: int
    max_alt_text: int
    max_image_bytes: int
    requires_media: bool = False
    max_hashtags: int | None = None
    #: Bluesky also caps the UTF-8 size of the text (3,000 bytes), whatever the grapheme count.
    max_bytes: int | None = None
    image_types: frozenset[str] = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

    def count(self, text: str) -> int:
        return self.counter(text)


MB = 1024 * 1024

RULES: dict[str, PlatformRules] = {
    "sandbox": PlatformRules(
        "sandbox", "Sandbox", 500, count_codepoints, "characters", 4, 1500, 5 * MB
    ),
    "x": PlatformRules(
        "x", "X", 280, count_x_weighted,
        "weighted characters (links count 23, emoji and CJK count 2)", 4, 1000, 5 * MB,
        # GIFs need X's chunked upload, which Tenfour does not do yet.
        image_types=frozenset({"image/jpeg", "image/png", "image/webp"}),
    ),
    "facebook": PlatformRules(
        "facebook", "Facebook", 63206, count_codepoints, "characters", 10, 1000, 10 * MB
    ),
    "instagram": PlatformRules(
        "instagram", "Instagram", 2200, count_codepoints, "characters", 10, 1000, 8 * MB,
        requires_media=True, max_hashtags=30, image_types=frozenset({"image/jpeg"}),
    ),
    "mastodon": PlatformRules(
        "mastodon", "Mastodon", 500, count_mastodon, "characters (links count 23)", 4, 1500,
        16 * MB,
    ),
    "bluesky": PlatformRules(
        "bluesky", "Bluesky", 300, count_graphemes, "characters (graphemes)", 4, 2000,
        2_000_000, image_types=frozenset({"image/jpeg", "image/png", "image/webp"}),
        max_bytes=3000,
    ),
}

PLATFORMS = tuple(RULES)


def rules_for(platform: str, *, max_chars: int | None = None) -> PlatformRules:
    """The rules of ``platform``; ``max_chars`` overrides the limit (a Mastodon instance's own)."""
    try:
        rules = RULES[platform]
    except KeyError:
        raise ValueError(f"unknown platform {platform!r}") from None
    if max_chars is not None and max_chars != rules.max_chars:
        rules = replace(rules, max_chars=max_chars)
    return rules


@dataclass(frozen=True)
class MediaFacts:
    """What the rules need to know about one attached image."""

    mime_type: str
    size: int
    alt_text: str


def check_post(
    platform: str,
    text: str,
    media: Sequence[MediaFacts] = (),
    *,
    max_chars: int | None = None,
) -> list[RuleViolation]:
    """Every rule ``text`` and ``media`` break on ``platform``; empty when the post is fine."""
    rules = rules_for(platform, max_chars=max_chars)
    out: list[RuleViolation] = []

    def refuse(rule: str, message: str) -> None:
        out.append(RuleViolation(platform, rule, f"{rules.label}: {message}"))

    if not text.strip() and not media:
        refuse("text_empty", "the post has no text.")
    length = rules.count(text)
    if length > rules.max_chars:
        refuse(
            "text_too_long",
            f"the text is {length} {rules.counting_note}; the limit is {rules.max_chars} "
            f"({length - rules.max_chars} over).",
        )
    if rules.max_bytes is not None and length <= rules.max_chars:
        size = len(text.encode("utf-8"))
        if size > rules.max_bytes:
            refuse("text_too_many_bytes",
                   f"the text takes {size} bytes; the limit is {rules.max_bytes} "
                   f"({size - rules.max_bytes} over). Emoji and non-Latin letters take 2 to 4 "
                   "bytes each, joined emoji (families, flags) up to 25.")
    if rules.max_hashtags is not None:
        tags = len(HASHTAG_RE.findall(text))
        if tags > rules.max_hashtags:
            refuse("too_many_hashtags", f"{tags} hashtags; the limit is {rules.max_hashtags}.")
    if rules.requires_media and not media:
        refuse("media_required", "every post needs an image.")
    if len(media) > rules.max_images:
        refuse("too_many_images", f"{len(media)} images; the limit is {rules.max_images}.")
    for i, item in enumerate(media, start=1):
        if not item.alt_text.strip():
            refuse("alt_text_missing", f"image {i} has no alt text (required for accessibility).")
        elif len(item.alt_text) > rules.max_alt_text:
            refuse(
                "alt_text_too_long",
                f"image {i}'s alt text is {len(item.alt_text)} characters; "
                f"the limit is {rules.max_alt_text}.",
            )
        if item.mime_type not in rules.image_types:
            refuse("image_type", f"image {i} is {item.mime_type}, which it does not accept.")
        if item.size > rules.max_image_bytes:
            refuse(
                "image_too_large",
                f"image {i} is {item.size / MB:.1f} MB; the limit is "
                f"{rules.max_image_bytes / MB:.0f} MB.",
            )
    return out

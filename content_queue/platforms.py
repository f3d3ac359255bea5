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


# --- where a platform's API may be reached (the outbound allow-list) ---------------------------

#: The hosts each platform's API really lives on. ``*.example.org`` matches any sub-domain.
#: Configured base URLs, the simulator and PLATFORM_ALLOWED_HOSTS add to these.
API_HOSTS: dict[str, tuple[str, ...]] = {
    "x": ("api.x.com", "api.twitter.com", "upload.x.com", "upload.twitter.com"),
    "facebook": ("graph.facebook.com",),
    "instagram": ("graph.facebook.com", "graph.instagram.com"),
    "mastodon": ("mastodon.social",),
    "bluesky": ("bsky.social", "*.host.bsky.network"),
    "sandbox": (),
}

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_RE = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$"
                      r"|^\[[0-9a-f:.]+\](:\d{1,5})?$")


def url_host(url: str) -> str | None:
    """``host`` or ``host:port`` (lowercase, the scheme's default port left out) of an http(s)
    URL; None for anything else (other schemes, user names in the URL, no host)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return host if port in (None, _DEFAULT_PORTS[parts.scheme]) else f"{host}:{port}"


def host_matches(host: str, pattern: str) -> bool:
    pattern = pattern.strip().lower()
    if pattern.startswith("*."):
        name, _, _port = host.partition(":")
        return ":" not in pattern and name.endswith(pattern[1:]) and len(name) > len(pattern) - 1 \
            and not _port
    return host == pattern


def url_allowed(url: str, allowed: Sequence[str]) -> bool:
    host = url_host(url)
    return host is not None and any(host_matches(host, p) for p in allowed)


def allowed_hosts(default_base_urls: "dict[str, str] | None" = None,
                  extra: "dict[str, Sequence[str]] | None" = None,
                  simulator_url: str | None = None) -> dict[str, tuple[str, ...]]:
    """Per platform: its real API hosts, the host of its configured base URL, the simulator's
    address (the product's own, configured by the operator) and any ``extra`` ("*" = every
    platform)."""
    out: dict[str, tuple[str, ...]] = {}
    sim = url_host(simulator_url) if simulator_url else None
    for platform in API_HOSTS:
        hosts = list(API_HOSTS[platform])
        base = (default_base_urls or {}).get(platform)
        for candidate in (url_host(base) if base else None, sim):
            if candidate:
                hosts.append(candidate)
        hosts.extend((extra or {}).get(platform, ()))
        hosts.extend((extra or {}).get("*", ()))
        out[platform] = tuple(dict.fromkeys(h.lower() for h in hosts))
    return out


def parse_allowed_hosts(value: str | None) -> dict[str, tuple[str, ...]]:
    """``PLATFORM_ALLOWED_HOSTS``: comma-separated ``platform=host[:port]`` (or a bare host for
    every platform), e.g. ``mastodon=social.example.gov,bluesky=*.pds.example.org``."""
    out: dict[str, list[str]] = {}
    for item in (value or "").replace(";", ",").split(","):
        item = item.strip().lower()
        if not item:
            continue
        platform, _, host = item.rpartition("=")
        platform = platform.strip() or "*"
        host = host.strip()
        if platform != "*" and platform not in API_HOSTS:
            raise ValueError(f"PLATFORM_ALLOWED_HOSTS: {platform!r} is not a platform; use one of "
                             f"{', '.join(API_HOSTS)}.")
        if "://" in host or "/" in host or not _HOST_RE.match(host):
            raise ValueError(f"PLATFORM_ALLOWED_HOSTS: {host!r} is not a host name (write "
                             "social.example.gov or pds.example.org:8443, without https:// or a path).")
        out.setdefault(platform, []).append(host)
    return {k: tuple(v) for k, v in out.items()}


def host_refusal(platform: str, url: str) -> str:
    """The plain-words refusal for a base URL outside the allow-list."""
    host = url_host(url) or url
    label = RULES[platform].label if platform in RULES else platform
    return (f"Tenfour may contact {label} only at the addresses its operator allowed, and "
            f"{host} is not one of them. Ask whoever runs Tenfour to add it to "
            f"PLATFORM_ALLOWED_HOSTS (for example {platform}={host}) if it is the real server.")


#: Characters a handle never needs and that would change a URL it is put in.
_HANDLE_BAD = re.compile(r"[/\\?#%&=\s\x00-\x1f\x7f]|\.\.")


def handle_problem(handle: str) -> str | None:
    """Why ``handle`` cannot be an account name (it goes into request paths), or None."""
    if not handle or len(handle) > 200:
        return "Give the account's handle (up to 200 characters)."
    if _HANDLE_BAD.search(handle):
        return ("A handle has only letters, digits and . _ - @ : (no slashes, spaces, "
                "question marks or percent signs).")
    return None


def instance_problem(instance: str) -> str | None:
    """Why a Mastodon server name cannot be used (it becomes the API's URL), or None."""
    value = (instance or "").strip().lower()
    if "://" in value:
        return None if url_host(value) and not value.split("://", 1)[1].strip("/").count("/") \
            else "Give the server's address, such as mastodon.social."
    value = value.lstrip("@").split("@")[-1]
    if not value or not _HOST_RE.match(value) or value.startswith("*"):
        return "Give the server's address, such as mastodon.social."
    return None

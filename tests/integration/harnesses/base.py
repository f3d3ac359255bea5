"""What the connector contract suite needs to know about one platform.

Each platform adds ``tests/integration/harnesses/<platform>.py`` with ``HARNESS = Harness(...)``;
``test_connector_contract.py`` runs every contract test against every harness it finds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, Callable

from content_queue.ports import PlatformConnector, PublishResult


@dataclass(frozen=True)
class Harness:
    platform: str
    #: Build a connector for a fresh account whose API base is the running simulator at ``sim_url``.
    make_connector: Callable[[str], PlatformConnector]
    #: A substring of the path of the request that creates a post (to aim faults at it).
    post_path: str
    #: Text that breaks the platform's length rule.
    too_long_text: str
    #: Alt texts the simulator stored for the images of ``result`` (reads ``/_sim/posts``).
    stored_alt_texts: Callable[[Any, PublishResult], list[str]]
    #: MIME type of images to attach (Instagram takes JPEG only).
    image_mime: str = "image/png"
    #: Platforms that need an image on every post (Instagram).
    requires_media: bool = False
    notes: dict[str, str] = field(default_factory=dict)


def make_image(mime: str = "image/png", size: tuple[int, int] = (64, 48),
               color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", size, color).save(buf, format="JPEG" if mime == "image/jpeg" else "PNG")
    return buf.getvalue()

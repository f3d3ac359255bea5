"""Optional JSON persistence, so a demo feed survives a simulator restart.

Only durable data is saved (posts, media, revocations, the clock, the id
counter); the request log, faults and rate windows are per-run by nature.
Writes go to a temporary file in the same directory, are fsynced, then
``os.replace``d over the target, so a crash never leaves a half-written file.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator.state import SimState, StoredMedia, StoredPost

FORMAT_VERSION = 1


def state_to_json(state: SimState) -> dict[str, Any]:
    with state.lock:
        return {
            "version": FORMAT_VERSION,
            "next_id": state.next_id,
            "clock_offset": state.clock_offset,
            "revoked": {platform: sorted(tokens) for platform, tokens in state.revoked.items()},
            "posts": [
                {
                    "platform": p.platform,
                    "id": p.id,
                    "handle": p.handle,
                    "text": p.text,
                    "created_at": p.created_at.isoformat(),
                    "path": p.path,
                    "media_ids": p.media_ids,
                    "reply_to_id": p.reply_to_id,
                    "idempotency_key": p.idempotency_key,
                    "clock_at_creation": p.clock_at_creation,
                    "extra": p.extra,
                }
                for by_id in state.posts.values()
                for p in by_id.values()
            ],
            "media": [
                {
                    "platform": m.platform,
                    "id": m.id,
                    "mime_type": m.mime_type,
                    "data": base64.b64encode(m.data).decode("ascii"),
                    "alt_text": m.alt_text,
                    "created_at": m.created_at.isoformat(),
                    "extra": m.extra,
                }
                for by_id in state.media.values()
                for m in by_id.values()
            ],
        }


def load_into(state: SimState, data: dict[str, Any]) -> None:
    """Replace ``state``'s durable data with ``data`` (without firing ``on_change``)."""
    with state.lock:
        state.next_id = int(data.get("next_id", state.next_id))
        state.clock_offset = float(data.get("clock_offset", 0.0))
        state.revoked = {platform: set(tokens) for platform, tokens in data.get("revoked", {}).items()}
        state.posts = {}
        for raw in data.get("posts", []):
            post = StoredPost(
                platform=raw["platform"],
                id=raw["id"],
                handle=raw["handle"],
                text=raw["text"],
                created_at=datetime.fromisoformat(raw["created_at"]),
                path=raw["path"],
                media_ids=list(raw.get("media_ids", [])),
                reply_to_id=raw.get("reply_to_id"),
                idempotency_key=raw.get("idempotency_key"),
                clock_at_creation=float(raw.get("clock_at_creation", 0.0)),
                extra=dict(raw.get("extra", {})),
            )
            state.posts.setdefault(post.platform, {})[post.id] = post
        state.reindex()
        state.media = {}
        for raw in data.get("media", []):
            media = StoredMedia(
                platform=raw["platform"],
                id=raw["id"],
                mime_type=raw["mime_type"],
                data=base64.b64decode(raw["data"]),
                alt_text=raw.get("alt_text", ""),
                created_at=datetime.fromisoformat(raw["created_at"]),
                extra=dict(raw.get("extra", {})),
            )
            state.media.setdefault(media.platform, {})[media.id] = media


def save_state(state: SimState, path: str | os.PathLike[str]) -> None:
    """Write atomically: temp file in the same directory, fsync, then rename over ``path``."""
    target = Path(path)
    payload = json.dumps(state_to_json(state), ensure_ascii=False)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def attach_file(state: SimState, path: str | os.PathLike[str]) -> None:
    """Load ``path`` into ``state`` if it exists, then save to it after every durable write."""
    target = Path(path)
    if target.exists() and target.stat().st_size > 0:
        load_into(state, json.loads(target.read_text(encoding="utf-8")))
    state.on_change = lambda changed: save_state(changed, target)

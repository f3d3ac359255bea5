"""What the approval pages show of a post: one preview per account, with the text that account
will really get (:func:`content_queue.variants.text_for_target`) counted the platform's way."""

from __future__ import annotations

from dataclasses import dataclass

from content_queue.models import Post
from content_queue.platforms import RULES
from content_queue.states import Status
from content_queue.variants import limit_of, text_for_target


@dataclass(frozen=True)
class Preview:
    target_id: int
    platform: str
    label: str
    handle: str
    status: str
    text: str
    length: int
    limit: int
    counting: str

    @property
    def over(self) -> bool:
        return self.length > self.limit


def previews_for(post: Post) -> list[Preview]:
    out = []
    for target in post.targets:
        if target.status == Status.CANCELED.value:
            continue
        account = target.account
        rules = RULES.get(account.platform)
        text = text_for_target(post, target)
        out.append(Preview(
            target_id=target.id, platform=account.platform,
            label=rules.label if rules else account.platform, handle=account.handle,
            status=target.status, text=text,
            length=rules.count(text) if rules else len(text),
            limit=limit_of(account) if rules else len(text),
            counting=rules.counting_note if rules else "characters"))
    return out

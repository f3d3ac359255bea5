"""The reaper's look at the publish queue, on the real Redis: the messages waiting there, so
targets not yet started during a long burst are not re-sent as if lost."""

from __future__ import annotations

from workers import tasks


def test_the_publish_backlog_is_the_messages_waiting_in_the_publish_queue(celery_client,
                                                                         monkeypatch) -> None:
    monkeypatch.setattr(tasks, "current_app", celery_client)
    assert tasks.publish_backlog() == 0  # an empty queue (Redis has no key for it yet)
    for chunk in ([[1, None]], [[2, None], [3, None]], [[4, None]]):
        celery_client.send_task("tenfour.publish_targets", args=(chunk,), queue="publish")
    celery_client.send_task("tenfour.poll_engagement", queue="default")  # not publishing
    assert tasks.publish_backlog() == 3

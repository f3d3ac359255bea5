"""``/metrics`` in the Prometheus text format (prometheus-client).

Tenfour runs as many processes (gunicorn workers, Celery workers, one or more schedulers), so
counters kept in memory would each see a part. Every figure here is read at scrape time from
the shared truth instead: the database (targets by platform, status and reason; lateness of
recent posts; pauses; notifications) and Redis through the ``BrokerProbe`` port (queue lengths,
the scheduler's heartbeat). Any process's ``/metrics`` gives the same answer.

Metrics (all gauges unless marked):

- ``tenfour_targets{platform,status}``: post targets in each status.
- ``tenfour_targets_due{platform}``: scheduled targets whose time has come, not yet claimed.
- ``tenfour_targets_claimed{platform}``: targets claimed by a scheduler and not finished
  (``publishing``).
- ``tenfour_targets_published_total{platform}`` (counter): targets ever published.
- ``tenfour_targets_failed{platform,reason}``: targets now ``failed``, by error code.
- ``tenfour_targets_held{platform}``: targets held by an incident pause.
- ``tenfour_targets_unconfirmed{platform}``: targets whose outcome a person must check.
- ``tenfour_pauses_active``: incident pauses in force.
- ``tenfour_publish_lateness_seconds`` (gauge histogram): published-at minus due-at of the
  targets published in the last hour.
- ``tenfour_queue_depth{queue}``: messages waiting in the broker's publish and default queues.
- ``tenfour_scheduler_heartbeat_age_seconds``: seconds since a scheduler last finished a tick.
- ``tenfour_notifications_undelivered{state}``: notifications still pending or given up on.
- ``tenfour_up{component}``: 1 when ``database`` / ``broker`` answered this scrape, else 0.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Callable, Iterator

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from content_queue.db import Database
from content_queue.models import Notification, Pause, PostTarget, SocialAccount
from web.common.probe import BrokerProbe
from web.common.state import get_state

bp = Blueprint("metrics", __name__)
log = logging.getLogger(__name__)

#: Upper bounds (seconds) of the lateness buckets: the precision goal is 0.1 s at p99.
LATENESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)
LATENESS_WINDOW = timedelta(hours=1)
LATENESS_SAMPLE = 50_000


class TenfourCollector:
    def __init__(self, db: Database, probe: BrokerProbe | None,
                 clock: Callable[[], datetime]) -> None:
        self.db, self.probe, self.clock = db, probe, clock

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        up = GaugeMetricFamily("tenfour_up", "1 when the component answered this scrape.",
                               labels=["component"])
        try:
            yield from self._database_metrics(now)
            up.add_metric(["database"], 1)
        except SQLAlchemyError as exc:
            log.warning("metrics: the database did not answer: %s", exc)
            up.add_metric(["database"], 0)
        try:
            yield from self._broker_metrics(now)
            up.add_metric(["broker"], 1)
        except Exception as exc:  # noqa: BLE001 - any broker client error
            log.warning("metrics: the broker did not answer: %s", exc)
            up.add_metric(["broker"], 0)
        yield up

    def _database_metrics(self, now: datetime) -> Iterator[Metric]:
        session = self.db.session(write=False)
        try:
            by_status = session.execute(
                select(SocialAccount.platform, PostTarget.status, PostTarget.error_code,
                       func.count())
                .select_from(PostTarget)
                .join(SocialAccount, SocialAccount.id == PostTarget.account_id)
                .group_by(SocialAccount.platform, PostTarget.status, PostTarget.error_code)
            ).all()
            due = session.execute(
                select(SocialAccount.platform, func.count())
                .select_from(PostTarget)
                .join(SocialAccount, SocialAccount.id == PostTarget.account_id)
                .where(PostTarget.status == "scheduled", PostTarget.next_attempt_at <= now)
                .group_by(SocialAccount.platform)).all()
            lateness = session.execute(
                select(PostTarget.scheduled_at, PostTarget.published_at)
                .where(PostTarget.status == "published",
                       PostTarget.published_at >= now - LATENESS_WINDOW)
                .limit(LATENESS_SAMPLE)).all()
            pauses = session.scalar(select(func.count()).select_from(Pause)
                                    .where(Pause.resumed_at.is_(None))) or 0
            undelivered = session.execute(
                select(Notification.delivery_state, func.count())
                .where(Notification.delivery_state.in_(("pending", "failed")))
                .group_by(Notification.delivery_state)).all()
        finally:
            session.rollback()
            session.close()
        yield from _status_metrics(by_status)
        due_family = GaugeMetricFamily("tenfour_targets_due",
                                       "Scheduled targets whose time has come, not yet claimed.",
                                       labels=["platform"])
        for platform, count in due:
            due_family.add_metric([platform], count)
        yield due_family
        yield _lateness_histogram(lateness)
        yield GaugeMetricFamily("tenfour_pauses_active", "Incident pauses in force.",
                                value=pauses)
        pending = GaugeMetricFamily("tenfour_notifications_undelivered",
                                    "Notifications not yet sent (pending) or given up (failed).",
                                    labels=["state"])
        counts = dict(undelivered)
        for state in ("pending", "failed"):
            pending.add_metric([state], counts.get(state, 0))
        yield pending

    def _broker_metrics(self, now: datetime) -> Iterator[Metric]:
        if self.probe is None:
            raise RuntimeError("no broker configured")
        self.probe.ping()
        depth = GaugeMetricFamily("tenfour_queue_depth", "Messages waiting in a broker queue.",
                                  labels=["queue"])
        for queue, count in sorted(self.probe.queue_depths().items()):
            depth.add_metric([queue], count)
        beat = self.probe.scheduler_heartbeat()
        yield depth
        if beat is not None:
            yield GaugeMetricFamily("tenfour_scheduler_heartbeat_age_seconds",
                                    "Seconds since a scheduler last finished a tick.",
                                    value=max(0.0, (now - beat).total_seconds()))


def _status_metrics(rows) -> Iterator[Metric]:
    targets = GaugeMetricFamily("tenfour_targets", "Post targets in each status.",
                                labels=["platform", "status"])
    claimed = GaugeMetricFamily("tenfour_targets_claimed",
                                "Targets claimed and not finished (publishing).",
                                labels=["platform"])
    published = CounterMetricFamily("tenfour_targets_published",
                                    "Targets ever published.", labels=["platform"])
    failed = GaugeMetricFamily("tenfour_targets_failed", "Targets now failed, by error code.",
                               labels=["platform", "reason"])
    held = GaugeMetricFamily("tenfour_targets_held", "Targets held by an incident pause.",
                             labels=["platform"])
    unconfirmed = GaugeMetricFamily("tenfour_targets_unconfirmed",
                                    "Targets whose outcome a person must check.",
                                    labels=["platform"])
    per_status: dict[tuple[str, str], int] = defaultdict(int)
    for platform, status, code, count in rows:
        per_status[(platform, status)] += count
        if status == "failed":
            failed.add_metric([platform, code or "unknown"], count)
    platforms = sorted({p for p, _ in per_status})
    for (platform, status), count in sorted(per_status.items()):
        targets.add_metric([platform, status], count)
    for platform in platforms:
        claimed.add_metric([platform], per_status.get((platform, "publishing"), 0))
        published.add_metric([platform], per_status.get((platform, "published"), 0))
        held.add_metric([platform], per_status.get((platform, "held"), 0))
        unconfirmed.add_metric([platform], per_status.get((platform, "unconfirmed"), 0))
    yield from (targets, claimed, published, failed, held, unconfirmed)


def _lateness_histogram(rows) -> Metric:
    counts = [0] * len(LATENESS_BUCKETS)
    total, n = 0.0, 0
    for scheduled_at, published_at in rows:
        if scheduled_at is None or published_at is None:
            continue
        late = max(0.0, (published_at - scheduled_at).total_seconds())
        total += late
        n += 1
        for i, bound in enumerate(LATENESS_BUCKETS):
            if late <= bound:
                counts[i] += 1
    buckets = [(str(bound), count) for bound, count in zip(LATENESS_BUCKETS, counts)]
    buckets.append(("+Inf", n))
    return GaugeHistogramMetricFamily(
        "tenfour_publish_lateness_seconds",
        "Published-at minus due-at of the targets published in the last hour.",
        buckets=buckets, gsum_value=total)


@bp.route("/metrics")
def metrics():
    state = get_state()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TenfourCollector(state.db, state.probe, state.clock))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})

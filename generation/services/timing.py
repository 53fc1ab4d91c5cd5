"""Progress and time left for the customer's pages, from the session's own job and the timings
of recent jobs."""

import heapq
import statistics
from datetime import datetime
from typing import Any, NamedTuple, cast

from django.db.models import QuerySet

from generation.models import GenerationJob
from sessions_app.models import PhotoSession

from .plans import candidates_per_style

State = PhotoSession.State


IN_PROGRESS = (State.QUEUED, State.TRAINING, State.GENERATING)


# The panel's phase while a delivered session has one style made again.
REGENERATING = "regenerating"
# Jobs that make more portraits for a delivered gallery: one style again, or extra styles.
AFTER_DELIVERY = (GenerationJob.Kind.REGENERATION, GenerationJob.Kind.ADDON)


# How many recently finished jobs of a kind an estimate is taken from.
RECENT_JOBS = 20


class JobTiming(NamedTuple):
    """What recent jobs of one kind took: seconds to get going (loading the model, caching the
    photos), then seconds per step or image."""

    overhead: float
    per_unit: float

    def seconds(self, units: int) -> float:
        return self.overhead + units * self.per_unit


def job_timing(kind: str) -> JobTiming | None:
    """The median timing of the recent succeeded jobs of `kind` (a regeneration counts as a
    generation: both make images); None until one has finished."""
    images = (GenerationJob.Kind.GENERATION, *AFTER_DELIVERY)
    # The filter leaves out nulls, which the columns' types cannot say.
    rows = cast(
        "QuerySet[GenerationJob, tuple[float, int, datetime, datetime]]",
        GenerationJob.objects.filter(
            kind__in=images if kind in images else [kind],
            state=GenerationJob.State.SUCCEEDED,
            seconds_per_unit__isnull=False,
            started_at__isnull=False,
            finished_at__isnull=False,
            progress_total__gt=0,
        )
        .order_by("-finished_at", "-id")
        .values_list("seconds_per_unit", "progress_total", "started_at", "finished_at")[
            :RECENT_JOBS
        ],
    )
    if not rows:
        return None
    overheads = [
        max(0.0, (finished - started).total_seconds() - total * per_unit)
        for per_unit, total, started, finished in rows
    ]
    return JobTiming(
        overhead=statistics.median(overheads), per_unit=statistics.median(r[0] for r in rows)
    )


class _Timings(dict[str, JobTiming | None]):
    """job_timing by kind, each looked up once per progress answer."""

    def __missing__(self, kind: str) -> JobTiming | None:
        self[kind] = job_timing(kind)
        return self[kind]


def _job_seconds_left(job: GenerationJob, timings: _Timings) -> tuple[float | None, bool]:
    """Seconds until `job` is done once a machine runs it, and whether that was measured on
    this very job (its own speed) rather than taken from recent jobs."""
    if job.state == GenerationJob.State.RUNNING:
        eta = job.eta_seconds()
        if eta is not None:
            return float(eta), True
    timing = timings[job.kind]
    if timing is None:
        return None, False
    return timing.seconds(max(0, job.progress_total - job.progress_done)), False


def _queue_wait(job: GenerationJob, timings: _Timings) -> tuple[float | None, bool]:
    """Seconds until a studio machine takes the queued `job`, and whether measured.

    The running jobs finish, then the jobs ahead in the queue run one after another on
    whichever machine is free first; as many machines as are busy now (one when none is).
    """
    free_at = []
    measured = True
    for other in GenerationJob.objects.filter(state=GenerationJob.State.RUNNING):
        seconds, was_measured = _job_seconds_left(other, timings)
        if seconds is None:
            return None, False
        free_at.append(seconds)
        measured = measured and was_measured
    free_at = free_at or [0.0]
    heapq.heapify(free_at)
    ahead = GenerationJob.objects.filter(
        state=GenerationJob.State.QUEUED, created_at__lt=job.created_at
    ).order_by("created_at", "id")
    for other in ahead:
        seconds, _ = _job_seconds_left(other, timings)
        if seconds is None:
            return None, False
        heapq.heapreplace(free_at, free_at[0] + seconds)
        measured = False
    return free_at[0], measured


def session_latest_job(*, photo_session: PhotoSession) -> GenerationJob | None:
    return photo_session.generation_jobs.order_by("-created_at", "-id").first()


def latest_jobs_in_progress(*, user_id: int) -> dict[int, GenerationJob]:
    """The latest job of each of the user's sessions in progress, by session id: one query for
    a page that lists them all."""
    jobs = GenerationJob.objects.filter(
        photo_session__user_id=user_id, photo_session__state__in=IN_PROGRESS
    ).order_by("photo_session_id", "-created_at", "-id")
    latest: dict[int, GenerationJob] = {}
    for job in jobs:
        latest.setdefault(job.photo_session_id, job)
    return latest


def session_phase(*, photo_session: PhotoSession, job: GenerationJob | None) -> str:
    """What the customer is waiting for now: "queued" while a job waits for a machine,
    "training" or "generating" while one runs, "regenerating" while a delivered style is made
    again, otherwise the session's own state. `job` is the session's latest job (or None)."""
    if job is not None and job.kind in AFTER_DELIVERY and job.is_active:
        return REGENERATING
    if photo_session.state not in IN_PROGRESS:
        return photo_session.state
    if job is None or job.state == GenerationJob.State.QUEUED:
        return State.QUEUED
    if job.state == GenerationJob.State.RUNNING:
        return State.GENERATING if job.kind == GenerationJob.Kind.GENERATION else State.TRAINING
    return photo_session.state


def session_progress(*, photo_session: PhotoSession) -> dict[str, Any]:
    """What the progress panel and its JSON endpoint show: phase, step, queue place, ETA.

    Times are seconds: `start_seconds` until a machine takes a waiting job, `job_seconds` for
    the job itself, `eta_seconds` until the portraits are ready (None where something is not
    known yet). A time is "measured" when it comes from this session's own running job; other
    times come from what recent jobs took for the steps and images the plan asks for.
    """
    job = session_latest_job(photo_session=photo_session)
    phase = session_phase(photo_session=photo_session, job=job)
    data: dict[str, Any] = {
        "state": photo_session.state,
        "phase": phase,
        "job_state": job.state if job else None,
        "job_kind": job.kind if job else None,
        "done": 0,
        "total": 0,
        "percent": 0,
        "queue_position": None,
        "start_seconds": None,
        "start_measured": False,
        "job_seconds": None,
        "job_measured": False,
        "eta_seconds": None,
        "eta_measured": False,
        "finished": phase != REGENERATING and photo_session.state not in IN_PROGRESS,
    }
    if job is None:
        return data
    data.update(done=job.progress_done, total=job.progress_total, percent=job.percent)
    data["queue_position"] = job.queue_position()
    if data["finished"]:
        return data
    timings = _Timings()
    start: float | None = 0.0
    start_measured = True
    if job.state == GenerationJob.State.QUEUED:
        start, start_measured = _queue_wait(job, timings)
        data["start_seconds"] = None if start is None else round(start)
        data["start_measured"] = start_measured
    work, measured = _job_seconds_left(job, timings)
    data["job_seconds"] = None if work is None else round(work)
    data["job_measured"] = measured
    later: float | None = 0.0
    if job.kind == GenerationJob.Kind.TRAINING:
        # The portraits come after the training: every candidate the plan makes, at recent
        # jobs' pace.
        images = photo_session.styles.count() * candidates_per_style(photo_session.plan)
        generation = timings[GenerationJob.Kind.GENERATION]
        later = None if generation is None else generation.seconds(images)
    if start is not None and work is not None and later is not None:
        data["eta_seconds"] = round(start + work + later)
        data["eta_measured"] = start_measured and measured and not later
    return data

"""The candidates a generation job makes (prompts, seeds, likeness) and the best ones it
delivers."""

import hashlib
import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_noop

from generation.models import GenerationJob, Portrait
from sessions_app.models import PhotoSession, StylePack

from .erasure import Reason, portrait_erase
from .jobs import job_finish, session_move
from .notify import email_addon, email_customer, email_operators_shortfall
from .plans import LIKENESS_THRESHOLD, candidates_per_style, likeness_checked

State = PhotoSession.State


GENERATION_DONE = gettext_noop("generation done")


def generation_styles(*, job: GenerationJob) -> list[StylePack]:
    if job.kind == GenerationJob.Kind.REGENERATION:
        assert job.style is not None, "a regeneration names its style"
        return [job.style]
    if job.kind == GenerationJob.Kind.ADDON:
        assert job.order is not None, "extra styles come with their order"
        return list(job.order.styles.order_by("order", "id"))
    return list(job.photo_session.styles.order_by("order", "id"))


# A session with the natural look asks the model for the face as it is, and pushes away what
# portrait styles tend to add.
NATURAL_PROMPT = "natural unretouched skin texture, true-to-life features and proportions"


NATURAL_NEGATIVE = (
    "retouched, airbrushed, beautified, smoothed skin, heavy makeup, slimmed face, "
    "enlarged eyes, plastic skin"
)


def style_prompts(*, photo_session: PhotoSession, style: StylePack) -> tuple[str, str]:
    """The prompt and the negative prompt for one style of a session."""
    prompt = style.prompt_template.format(
        token=photo_session.subject_token, class_word=photo_session.class_word
    )
    negative = style.negative_prompt
    if photo_session.natural:
        prompt = f"{prompt}, {NATURAL_PROMPT}"
        negative = f"{negative}, {NATURAL_NEGATIVE}" if negative else NATURAL_NEGATIVE
    return prompt, negative


def candidate_add(*, job: GenerationJob, style: StylePack) -> Portrait:
    """One more candidate for a style whose candidates fell short, with a new seed."""
    taken = job.portraits.filter(style=style).aggregate(last=Max("index"))["last"]
    prompt, _negative = style_prompts(photo_session=job.photo_session, style=style)
    return Portrait.objects.create(
        job=job,
        style=style,
        photo_session=job.photo_session,
        index=(taken if taken is not None else -1) + 1,
        seed=secrets.randbelow(2**31 - 1),
        prompt=prompt,
    )


def candidates_short(*, job: GenerationJob) -> list[StylePack]:
    """The styles that need another candidate: fewer pass than the plan promises and the
    extra budget (as many again as the plan promises) is not spent."""
    if not likeness_checked():
        return []
    plan = job.photo_session.plan
    short = []
    for style in generation_styles(job=job):
        made = job.portraits.filter(style=style).exclude(image="")
        passing = made.filter(likeness__gte=LIKENESS_THRESHOLD).count()
        extra = made.count() - candidates_per_style(plan)
        if passing < plan.images_per_style and extra < plan.images_per_style:
            short.append(style)
    return short


def portraits_choose(*, job: GenerationJob) -> dict[str, list[int]]:
    """Keep the best candidates of each style by likeness, as many as the plan promises;
    every other candidate is deleted undelivered, and one with no face, several faces or a
    score under the threshold is never delivered. Returns the styles that fell short."""
    if not likeness_checked():
        return {}
    promised = job.photo_session.plan.images_per_style
    shortfall: dict[str, list[int]] = {}
    for style in generation_styles(job=job):
        candidates = sorted(
            job.portraits.filter(style=style).exclude(image=""),
            key=lambda p: -(p.likeness if p.likeness is not None else -1),
        )
        keep = [
            p for p in candidates if p.likeness is not None and p.likeness >= LIKENESS_THRESHOLD
        ][:promised]
        for candidate in candidates:
            if candidate not in keep:
                portrait_erase(portrait=candidate, reason=Reason.SUPERSEDED)
        if len(keep) < promised:
            shortfall[str(style.pk)] = [len(keep), promised]
    GenerationJob.objects.filter(pk=job.pk).update(shortfall=shortfall)
    job.shortfall = shortfall
    if shortfall:
        # Operators hear of it at once: a model that rarely looks like its customer is bad.
        transaction.on_commit(lambda: email_operators_shortfall(job.pk), robust=True)
    return shortfall


@transaction.atomic
def portraits_plan(*, job: GenerationJob) -> list[Portrait]:
    """The portraits this job makes, each with its recorded seed (created once, reused)."""
    photo_session = job.photo_session
    plan = photo_session.plan
    portraits = []
    for style in generation_styles(job=job):
        prompt, _negative = style_prompts(photo_session=photo_session, style=style)
        for index in range(candidates_per_style(plan)):
            portrait, _ = Portrait.objects.get_or_create(
                job=job,
                style=style,
                index=index,
                defaults={
                    "photo_session": photo_session,
                    "seed": secrets.randbelow(2**31 - 1),
                    "prompt": prompt,
                },
            )
            portraits.append(portrait)
    return portraits


def portrait_store(
    *,
    portrait: Portrait,
    png: bytes,
    preview_webp: bytes,
    size: tuple[int, int],
    likeness: float | None = None,
) -> Portrait:
    portrait.image.save(f"{portrait.pk}.png", ContentFile(png), save=False)
    portrait.preview.save(f"{portrait.pk}.webp", ContentFile(preview_webp), save=False)
    portrait.width, portrait.height = size
    portrait.sha256 = hashlib.sha256(png).hexdigest()
    portrait.likeness = likeness
    portrait.save(
        update_fields=["image", "preview", "width", "height", "sha256", "likeness", "updated_at"]
    )
    return portrait


@transaction.atomic
def generation_finish(*, job_id: int) -> None:
    """Generation done: the session is delivered and the customer told; a regeneration
    replaces the style's earlier portraits."""
    job = GenerationJob.objects.select_for_update().get(pk=job_id)
    photo_session = PhotoSession.objects.select_for_update().get(pk=job.photo_session_id)
    if job.state != GenerationJob.State.RUNNING:
        return
    job.progress_done = job.progress_total
    job_finish(job=job, state=GenerationJob.State.SUCCEEDED)
    if job.kind == GenerationJob.Kind.REGENERATION:
        for old in Portrait.objects.filter(photo_session=photo_session, style=job.style).exclude(
            job=job
        ):
            portrait_erase(portrait=old, reason=Reason.REQUEST)
        return
    if job.kind == GenerationJob.Kind.ADDON:
        # Delivered into the same gallery: the styles are the session's from now on.
        assert job.order_id is not None, "extra styles come with their order"
        photo_session.styles.add(*generation_styles(job=job))
        order_id = job.order_id
        transaction.on_commit(lambda: email_addon(order_id, "addon_ready"))
        return
    session_move(photo_session, State.DELIVERED, cause=f"{GENERATION_DONE} #{job.pk}")
    transaction.on_commit(lambda: email_customer(photo_session.pk, "ready"))

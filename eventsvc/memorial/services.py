"""The memorial: honorees, community tributes and their moderation, candles, stored photos.

A tribute is pending until an organiser approves it; only approved tributes of visible
honorees are ever shown or served. Photos are cleaned by ``photos.clean_photo`` and stored under
the instance folder with random names (``instance/uploads/memorial/<32 hex>.jpg``); the database
keeps the path relative to the uploads folder ("memorial/<name>.jpg").
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select, update

from eventsvc.core.audit import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError, NotFound
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.mail.services import queue_mail, render_mail
from eventsvc.memorial.models import Honoree, Tribute, TributeStatus
from eventsvc.memorial.photos import clean_photo
from eventsvc.security import find_by_token, link_token, token_hash

logger = logging.getLogger(__name__)

#: The longest tribute message, in characters.
MESSAGE_MAX_LENGTH = 2000
#: Folder of memorial photos, relative to the uploads folder; also the prefix of stored paths.
PHOTO_FOLDER = "memorial"
PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")


@dataclass(frozen=True)
class TributeData:
    """What a visitor writes; already validated and normalised by the form."""

    message: str
    author_name: str | None = None
    is_anonymous: bool = False
    relation: str = ""
    contact: str | None = None
    language: str = "en"


@dataclass(frozen=True)
class TributeOutcome:
    """The tribute a submission ended in; is_duplicate when it repeats an earlier one."""

    tribute: Tribute
    is_duplicate: bool = False


@dataclass(frozen=True)
class HonoreeData:
    """What organisers write about an honoree."""

    name: str
    slug: str = ""
    born_year: int | None = None
    died_year: int | None = None
    summary_en: str = ""
    summary_es: str | None = None
    story_en: str = ""
    story_es: str | None = None
    is_founder: bool = False


# --- photos -----------------------------------------------------------------------------------


def uploads_folder() -> Path:
    """Return the folder that holds uploaded files (instance/uploads)."""
    return Path(current_app.instance_path) / "uploads"


def photo_file(path: str) -> Path | None:
    """Return the file of a stored photo path, or None when the path is not one of ours."""
    folder, _sep, name = path.partition("/")
    if folder != PHOTO_FOLDER or not PHOTO_NAME.match(name):
        return None
    return uploads_folder() / PHOTO_FOLDER / name


def store_photo(data: bytes) -> str:
    """Clean an uploaded photo, write it under a random name and return its stored path."""
    config = current_app.config
    photo = clean_photo(
        data,
        max_bytes=config["MEMORIAL_PHOTO_MAX_BYTES"],
        max_side=config["MEMORIAL_PHOTO_MAX_SIDE"],
    )
    folder = uploads_folder() / PHOTO_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{photo.extension}"
    (folder / name).write_bytes(photo.data)
    return f"{PHOTO_FOLDER}/{name}"


def delete_photo(path: str | None) -> None:
    """Remove a stored photo's file, if it is one of ours and still there."""
    file = photo_file(path) if path else None
    if file is not None:
        file.unlink(missing_ok=True)


def public_photo(name: str) -> Path | None:
    """Return the file of a photo the public may see: an approved tribute's or a portrait."""
    if not PHOTO_NAME.match(name):
        return None
    path = f"{PHOTO_FOLDER}/{name}"
    approved = (
        select(Tribute.id)
        .join(Tribute.honoree)
        .where(
            Tribute.photo_path == path,
            Tribute.status == TributeStatus.approved,
            Honoree.is_visible.is_(True),
        )
    )
    portrait = select(Honoree.id).where(Honoree.portrait_path == path, Honoree.is_visible.is_(True))
    if db.session.scalar(approved.limit(1)) is None and db.session.scalar(portrait) is None:
        return None
    return photo_file(path)


# --- the public pages -------------------------------------------------------------------------


def visible_honorees() -> list[Honoree]:
    """Return the honorees shown on the memorial page, in the organisers' order."""
    query = (
        select(Honoree)
        .where(Honoree.is_visible.is_(True))
        .order_by(Honoree.sort_order, Honoree.name, Honoree.id)
    )
    return list(db.session.scalars(query))


def get_visible_honoree(slug: str) -> Honoree | None:
    """Return the visible honoree with slug, or None."""
    return db.session.scalar(
        select(Honoree).where(Honoree.slug == slug, Honoree.is_visible.is_(True))
    )


def approved_tributes(honoree: Honoree, *, page: int = 1, per_page: int = 10) -> Pagination:
    """Return one page of the honoree's approved tributes, newest first."""
    query = (
        select(Tribute)
        .where(Tribute.honoree_id == honoree.id, Tribute.status == TributeStatus.approved)
        .order_by(Tribute.submitted_dt.desc(), Tribute.id.desc())
    )
    return db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False, count=True)


# --- tributes ---------------------------------------------------------------------------------


def normalise_message(message: str) -> str:
    """Return the message as stored: Unix line breaks, no trailing spaces, no long gaps."""
    text = unicodedata.normalize("NFC", message).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def tribute_hash(honoree: Honoree, message: str) -> str:
    """Return the content hash that spots the same message sent twice to the same honoree."""
    folded = " ".join(normalise_message(message).casefold().split())
    return hashlib.sha256(f"{honoree.id}\n{folded}".encode()).hexdigest()


def submit_tribute(
    honoree: Honoree, data: TributeData, *, photo: bytes | None = None
) -> TributeOutcome:
    """Record a pending tribute (with its cleaned photo); a repeat of an earlier one is not kept."""
    if not honoree.is_visible:
        raise NotFound("not_found", _("We could not find this person's page."))
    message = normalise_message(data.message)
    if not message:
        raise DomainError("empty", _("Write a few words for your tribute."))
    if len(message) > MESSAGE_MAX_LENGTH:
        raise DomainError("too_long", _("Please keep your message to 2,000 characters or fewer."))
    content_hash = tribute_hash(honoree, message)
    earlier = db.session.scalar(
        select(Tribute)
        .where(Tribute.honoree_id == honoree.id, Tribute.content_hash == content_hash)
        .limit(1)
    )
    if earlier is not None:
        logger.info("tribute duplicate of %s for honoree %s ignored", earlier.id, honoree.id)
        return TributeOutcome(earlier, is_duplicate=True)
    photo_path = store_photo(photo) if photo else None
    tribute = Tribute(
        honoree=honoree,
        author_name=(data.author_name or "").strip() or None,
        is_anonymous=data.is_anonymous,
        relation=(data.relation or "").strip(),
        message=message,
        photo_path=photo_path,
        contact=(data.contact or "").strip() or None,
        language=data.language if data.language in current_app.config["LANGUAGES"] else "en",
        status=TributeStatus.pending,
        content_hash=content_hash,
    )
    if tribute.contact and _EMAIL.fullmatch(tribute.contact):
        tribute.delete_token_salt = secrets.token_hex(16)
        tribute.delete_token_hash = token_hash(tribute_delete_token(tribute))
    db.session.add(tribute)
    db.session.flush()
    if tribute.delete_token_hash:
        _mail_delete_link(tribute)
    logger.info("tribute %s submitted for honoree %s", tribute.id, honoree.id)
    return TributeOutcome(tribute)


# --- the author's own deletion link --------------------------------------------------------------

TRIBUTE_DELETE = "tribute-delete"
#: A contact that is an email address gets the deletion link (a phone number cannot).
_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")


def tribute_delete_token(tribute: Tribute) -> str:
    """Return the token of the link that lets a tribute's author delete it."""
    return link_token(current_app.config["SECRET_KEY"], TRIBUTE_DELETE, tribute.delete_token_salt)


def tribute_for_delete_token(token: str) -> Tribute | None:
    """Return the tribute whose deletion link carries token, or None."""
    return find_by_token(Tribute.delete_token_hash, token)


def _mail_delete_link(tribute: Tribute) -> None:
    """Send the author a receipt with the link that deletes the tribute at any time."""
    base = current_app.config["BASE_URL"].rstrip("/")
    subject, text, html = render_mail(
        "tribute_received",
        language=tribute.language,
        tribute=tribute,
        honoree=tribute.honoree,
        delete_url=f"{base}/memorial/tributes/delete/{tribute_delete_token(tribute)}",
    )
    queue_mail(
        to=tribute.contact,
        subject=subject,
        body_text=text,
        body_html=html,
        language=tribute.language,
        kind="tribute_received",
        tribute_id=tribute.id,
    )


def delete_own_tribute(tribute: Tribute) -> None:
    """Delete a tribute at its author's request, with its photo and its mail; audited, no words."""
    tribute = _lock_tribute(tribute)
    photo, tribute_id, honoree_id = tribute.photo_path, tribute.id, tribute.honoree_id
    db.session.delete(tribute)
    db.session.flush()
    delete_photo(photo)
    record_audit(
        "tribute.delete",
        actor_label="author",
        object_type="tribute",
        object_id=tribute_id,
        details={"honoree_id": honoree_id, "had_photo": bool(photo)},
    )
    logger.info("tribute %s deleted by its author", tribute_id)


def _lock_tribute(tribute: Tribute) -> Tribute:
    """Lock the tribute's row for the rest of the transaction and reload it."""
    query = select(Tribute).where(Tribute.id == tribute.id)
    if db.session.get_bind().dialect.name != "sqlite":  # SQLite serialises writers anyway
        query = query.with_for_update()
    return db.session.scalars(query.execution_options(populate_existing=True)).one()


def approve_tribute(tribute: Tribute, *, actor, now: datetime | None = None) -> Tribute:
    """Publish a tribute on its honoree's page."""
    tribute = _lock_tribute(tribute)
    if tribute.status == TributeStatus.approved:
        raise DomainError("already_approved", _("This tribute is already published."))
    tribute.approve(actor, now or utc_now())
    record_audit("tribute.approve", actor=actor, object_type="tribute", object_id=tribute.id)
    db.session.flush()
    logger.info("tribute %s approved", tribute.id)
    return tribute


def reject_tribute(
    tribute: Tribute, *, actor, note: str = "", now: datetime | None = None
) -> Tribute:
    """Keep a tribute off the page (or take a published one down), with an optional note."""
    tribute = _lock_tribute(tribute)
    if tribute.status == TributeStatus.rejected:
        raise DomainError("already_rejected", _("This tribute is already rejected."))
    tribute.reject(actor, now or utc_now(), note.strip())
    record_audit("tribute.reject", actor=actor, object_type="tribute", object_id=tribute.id)
    db.session.flush()
    logger.info("tribute %s rejected", tribute.id)
    return tribute


def edit_tribute(
    tribute: Tribute, *, author_name: str | None, relation: str, message: str, actor
) -> list[str]:
    """Correct a tribute's text (typos); log which fields changed; return their names."""
    tribute = _lock_tribute(tribute)
    message = normalise_message(message)
    if not message:
        raise DomainError("empty", _("A tribute cannot be empty."))
    if len(message) > MESSAGE_MAX_LENGTH:
        raise DomainError("too_long", _("Please keep your message to 2,000 characters or fewer."))
    new = {
        "author_name": (author_name or "").strip() or None,
        "relation": relation.strip(),
        "message": message,
    }
    changed = [field for field, value in new.items() if getattr(tribute, field) != value]
    if not changed:
        return []
    before = {field: len(getattr(tribute, field) or "") for field in changed}
    for field in changed:
        setattr(tribute, field, new[field])
    # The log says what changed and by how much, never the words (they may name people).
    record_audit(
        "tribute.edit",
        actor=actor,
        object_type="tribute",
        object_id=tribute.id,
        details={
            "fields": changed,
            "length_before": before,
            "length_after": {field: len(new[field] or "") for field in changed},
        },
    )
    db.session.flush()
    logger.info("tribute %s edited: %s", tribute.id, ", ".join(changed))
    return changed


def tributes_by_status(status: TributeStatus, *, limit: int = 200) -> list[Tribute]:
    """Return tributes in a moderation state: the oldest pending first, else the newest."""
    order = (
        (Tribute.submitted_dt, Tribute.id)
        if status == TributeStatus.pending
        else (Tribute.submitted_dt.desc(), Tribute.id.desc())
    )
    query = select(Tribute).where(Tribute.status == status).order_by(*order).limit(limit)
    return list(db.session.scalars(query))


def moderation_counts() -> dict[TributeStatus, int]:
    """Return how many tributes are in each moderation state."""
    rows = db.session.execute(select(Tribute.status, func.count()).group_by(Tribute.status)).all()
    counts = dict.fromkeys(TributeStatus, 0)
    counts.update({status: int(n) for status, n in rows})
    return counts


# --- candles ----------------------------------------------------------------------------------


def light_candle(honoree: Honoree) -> int:
    """Add one candle to a visible honoree, race-free; return the new count."""
    result = db.session.execute(
        update(Honoree)
        .where(Honoree.id == honoree.id, Honoree.is_visible.is_(True))
        .values(candle_count=Honoree.candle_count + 1)
        .returning(Honoree.candle_count)
    ).scalar_one_or_none()
    if result is None:
        raise NotFound("not_found", _("We could not find this person's page."))
    db.session.expire(honoree, ["candle_count"])
    return int(result)


# --- honorees (organisers) --------------------------------------------------------------------


def slugify(text: str) -> str:
    """Return a URL slug: "Aidê Arana" → "aide-arana"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80]


def all_honorees() -> list[Honoree]:
    """Return every honoree, hidden ones included, in the organisers' order."""
    return list(
        db.session.scalars(select(Honoree).order_by(Honoree.sort_order, Honoree.name, Honoree.id))
    )


def _check_honoree(data: HonoreeData, slug: str, honoree_id: int | None) -> None:
    if not slug:
        raise DomainError("slug_missing", _("Give the page address a few letters or numbers."))
    if data.born_year and data.died_year and data.died_year < data.born_year:
        raise DomainError("years_ordered", _("The year of passing is before the year of birth."))
    taken = db.session.scalar(select(Honoree.id).where(Honoree.slug == slug))
    if taken is not None and taken != honoree_id:
        raise DomainError("slug_taken", _("Another honoree already has this page address."))


def _apply(honoree: Honoree, data: HonoreeData, slug: str) -> list[str]:
    values = {
        "name": data.name.strip(),
        "slug": slug,
        "born_year": data.born_year,
        "died_year": data.died_year,
        "summary_en": data.summary_en.strip(),
        "summary_es": (data.summary_es or "").strip() or None,
        "story_en": data.story_en.strip(),
        "story_es": (data.story_es or "").strip() or None,
        "is_founder": data.is_founder,
    }
    changed = [k for k, v in values.items() if getattr(honoree, k, None) != v]
    for key in changed:
        setattr(honoree, key, values[key])
    return changed


def create_honoree(data: HonoreeData, *, actor, portrait: bytes | None = None) -> Honoree:
    """Add an honoree at the end of the memorial page."""
    slug = slugify(data.slug or data.name)
    _check_honoree(data, slug, None)
    last = db.session.scalar(select(func.max(Honoree.sort_order)))
    honoree = Honoree(sort_order=(last or 0) + 1, is_visible=True)
    _apply(honoree, data, slug)
    if portrait:
        honoree.portrait_path = store_photo(portrait)
    db.session.add(honoree)
    db.session.flush()
    record_audit("honoree.create", actor=actor, object_type="honoree", object_id=honoree.id)
    logger.info("honoree %s created", honoree.id)
    return honoree


def update_honoree(
    honoree: Honoree,
    data: HonoreeData,
    *,
    actor,
    portrait: bytes | None = None,
    remove_portrait: bool = False,
) -> list[str]:
    """Change an honoree's names, years and texts, and their portrait; return what changed."""
    slug = slugify(data.slug or data.name)
    _check_honoree(data, slug, honoree.id)
    changed = _apply(honoree, data, slug)
    if portrait or remove_portrait:
        old = honoree.portrait_path
        honoree.portrait_path = store_photo(portrait) if portrait else None
        if old and old != honoree.portrait_path:
            delete_photo(old)
        changed.append("portrait_path")
    if changed:
        record_audit(
            "honoree.update",
            actor=actor,
            object_type="honoree",
            object_id=honoree.id,
            details={"fields": changed},
        )
        db.session.flush()
        logger.info("honoree %s updated: %s", honoree.id, ", ".join(changed))
    return changed


def move_honoree(honoree: Honoree, *, offset: int, actor) -> None:
    """Move an honoree up (offset -1) or down (+1) the page; renumber everyone from 1."""
    order = all_honorees()
    index = order.index(honoree)
    target = min(max(index + offset, 0), len(order) - 1)
    if target == index:
        return
    order.insert(target, order.pop(index))
    for position, each in enumerate(order, start=1):
        each.sort_order = position
    record_audit(
        "honoree.reorder",
        actor=actor,
        object_type="honoree",
        object_id=honoree.id,
        details={"from": index + 1, "to": target + 1},
    )
    db.session.flush()


def set_honoree_visibility(honoree: Honoree, *, is_visible: bool, actor) -> None:
    """Show or hide an honoree (and their tributes) on the public pages."""
    if honoree.is_visible == is_visible:
        return
    honoree.is_visible = is_visible
    record_audit(
        "honoree.show" if is_visible else "honoree.hide",
        actor=actor,
        object_type="honoree",
        object_id=honoree.id,
    )
    db.session.flush()
    logger.info("honoree %s %s", honoree.id, "shown" if is_visible else "hidden")

"""The memorial's public pages: the honorees, one honoree with their tributes, candles, photos."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale

from eventsvc.errors import DomainError
from eventsvc.extensions import db, limiter
from eventsvc.i18n import _
from eventsvc.memorial.forms import CandleForm, TributeForm, read_upload
from eventsvc.memorial.models import Honoree
from eventsvc.memorial.photos import PhotoError
from eventsvc.memorial.services import (
    approved_tributes,
    delete_own_tribute,
    get_visible_honoree,
    light_candle,
    public_photo,
    submit_tribute,
    tribute_for_delete_token,
    visible_honorees,
)
from eventsvc.security import limit_failed_lookups
from eventsvc.web import keep_private

logger = logging.getLogger(__name__)

bp = Blueprint("memorial", __name__, url_prefix="/memorial")

#: Uploaded photos are served as plain images: never a document, never run, never framed.
PHOTO_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Content-Disposition": "inline",
    "Cache-Control": "public, max-age=3600",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@bp.app_template_global()
def memorial_photo_url(path: str | None) -> str | None:
    """Return the URL of a stored memorial photo (uploads) or a static image path."""
    if not path:
        return None
    folder, _sep, name = path.partition("/")
    if folder == "memorial":
        return url_for("memorial.photo", name=name)
    return url_for("static", filename=path)


@bp.app_template_global()
def memorial_initials(name: str) -> str:
    """Return up to two initials of a name, for the placeholder portrait."""
    words = [w for w in name.split() if w[:1].isalpha()]
    return "".join(w[0] for w in (words[:1] + words[-1:] if len(words) > 1 else words)).upper()


@bp.app_template_global()
def memorial_date(value: datetime) -> str:
    """Return a date in the coalition's time zone, written the visitor's way."""
    local = value.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    return format_date(local.date(), format="long", locale=str(get_locale()))


@bp.get("", strict_slashes=False)
def index():
    """Show the honorees and the founders' honour roll."""
    honorees = visible_honorees()
    return render_template(
        "memorial/index.html",
        honorees=honorees,
        founders=[h for h in honorees if h.is_founder],
    )


def _load(slug: str) -> Honoree:
    return get_visible_honoree(slug) or abort(404)


def _render_honoree(honoree: Honoree, form: TributeForm | None = None, status: int = 200):
    page = request.args.get("page", 1, type=int)
    tributes = approved_tributes(
        honoree, page=page, per_page=current_app.config["MEMORIAL_TRIBUTES_PER_PAGE"]
    )
    if page > 1 and not tributes.items:
        abort(404)
    return (
        render_template(
            "memorial/honoree.html",
            honoree=honoree,
            tributes=tributes,
            form=form or TributeForm(),
            candle_form=CandleForm(),
        ),
        status,
    )


@bp.get("/<slug>")
def honoree(slug: str):
    """Show one honoree: their story, approved tributes (newest first), the tribute form."""
    return _render_honoree(_load(slug))


def _thank_you(honoree: Honoree):
    flash(
        _(
            "Thank you for your tribute. It will appear on this page once an organiser has "
            "reviewed it."
        ),
        "success",
    )
    return redirect(url_for("memorial.honoree", slug=honoree.slug), code=303)


@bp.post("/<slug>/tributes")
@limiter.limit(lambda: current_app.config["MEMORIAL_TRIBUTE_RATE_LIMIT"])
def submit(slug: str):
    """Take a tribute: it waits for an organiser before anyone sees it."""
    honoree = _load(slug)
    form = TributeForm()
    if form.is_submitted() and form.is_bot:
        # Answer as if it worked, so the bot learns nothing; keep nothing.
        logger.info("tribute for honoree %s dropped by the honeypot", honoree.id)
        return _thank_you(honoree)
    if form.validate_on_submit():
        photo = read_upload(form.photo, current_app.config["MEMORIAL_PHOTO_MAX_BYTES"])
        try:
            submit_tribute(honoree, form.to_data(str(get_locale())), photo=photo)
        except PhotoError as e:
            db.session.rollback()
            form.photo.errors = [*form.photo.errors, e.message]
        except DomainError as e:
            db.session.rollback()
            form.message.errors = [*form.message.errors, e.message]
        else:
            db.session.commit()
            return _thank_you(honoree)
    return _render_honoree(honoree, form, status=400)


@bp.post("/<slug>/candle")
@limiter.limit(lambda: current_app.config["MEMORIAL_CANDLE_RATE_LIMIT"])
def candle(slug: str):
    """Light a candle for an honoree: a count, nothing about who lit it."""
    honoree = _load(slug)
    if CandleForm().validate_on_submit():
        light_candle(honoree)
        db.session.commit()
        flash(_("Thank you. Your candle is lit for %(name)s.", name=honoree.name), "success")
    return redirect(url_for("memorial.honoree", slug=slug, _anchor="candle"), code=303)


@bp.get("/photos/<name>")
def photo(name: str):
    """Serve a photo the public may see (an approved tribute's or a portrait), as an image only."""
    file = public_photo(name)
    if file is None or not file.is_file():
        abort(404)
    response = send_file(file, mimetype="image/jpeg", conditional=True, max_age=3600)
    response.headers.update(PHOTO_HEADERS)
    return response


@bp.route("/tributes/delete/<token>", methods=["GET", "POST"])
@limit_failed_lookups
def delete_tribute(token: str):
    """Let a tribute's author delete it: GET shows one button, POST deletes (mail scanners GET)."""
    tribute = tribute_for_delete_token(token)
    if tribute is None:
        page = render_template("memorial/tribute_delete.html", state="invalid")
        return keep_private(current_app.make_response((page, 404)))
    if request.method == "POST":
        delete_own_tribute(tribute)
        db.session.commit()
        page = render_template("memorial/tribute_delete.html", state="deleted")
        return keep_private(current_app.make_response(page))
    page = render_template("memorial/tribute_delete.html", state="ask", honoree=tribute.honoree)
    return keep_private(current_app.make_response(page))

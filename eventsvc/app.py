"""The application factory."""

from __future__ import annotations

import logging
import os

from flask import Flask

from eventsvc.web import register_security_headers


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app: config, extensions, blueprints, errors, templates, security, CLI, logging."""
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "EVENTSVC_INSTANCE_PATH"
    )
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=os.path.abspath(instance_path) if instance_path else None,
    )
    from eventsvc.config import load_config
    from eventsvc.i18n import AppRequest

    app.request_class = AppRequest
    load_config(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_mail_renderers(app)
    register_errors(app)
    register_input_checks(app)
    register_templating(app)
    register_security_headers(app)
    register_cli(app)
    configure_logging(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the extensions created in extensions.py."""
    import eventsvc.models  # noqa: F401  (every model mapped before the first query)
    from eventsvc.extensions import babel, csrf, db, limiter, login_manager, migrate
    from eventsvc.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per area."""
    from eventsvc.admin import bp as admin_bp
    from eventsvc.auth.views import bp as auth_bp
    from eventsvc.checkin.views import api as api_bp
    from eventsvc.checkin.views import bp as checkin_bp
    from eventsvc.events.views import bp as events_bp
    from eventsvc.events.views import feeds as feeds_bp
    from eventsvc.membership.views import bp as membership_bp
    from eventsvc.memorial.views import bp as memorial_bp
    from eventsvc.rsvps.views import bp as rsvps_bp
    from eventsvc.rsvps.views import event_rsvps as event_rsvps_bp
    from eventsvc.site.views import bp as site_bp

    app.register_blueprint(site_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(rsvps_bp)
    app.register_blueprint(event_rsvps_bp)
    app.register_blueprint(membership_bp)
    app.register_blueprint(memorial_bp)
    app.register_blueprint(checkin_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)


def register_mail_renderers(app: Flask) -> None:
    """Tell the outbox which domain writes each kind of message it makes when sending."""
    from eventsvc.auth.services import render_invitation_mail
    from eventsvc.mail.services import register_renderer
    from eventsvc.membership.services import render_member_mail
    from eventsvc.rsvps.mail import render_rsvp_mail

    register_renderer(app, "staff_invite", render_invitation_mail)
    register_renderer(app, "member_", render_member_mail)
    register_renderer(app, "rsvp_", render_rsvp_mail)


def register_errors(app: Flask) -> None:
    """Install the error pages."""
    from eventsvc.errors import register_error_handlers

    register_error_handlers(app)


def register_input_checks(app: Flask) -> None:
    """Refuse paths, query strings and form fields that no database can store."""
    from eventsvc.inputs import register_input_checks as register

    register(app)


def register_templating(app: Flask) -> None:
    """Give every template the hotline, the organisation's name and the language switch."""
    from flask_babel import get_locale

    from eventsvc.events.display import format_event_when
    from eventsvc.i18n import _l
    from eventsvc.names import register_name_filters
    from eventsvc.site.services import tel_uri

    register_name_filters(app)
    language_names = {"en": "English", "es": "Español"}
    site_name = _l("15 Years of Immigrant Justice")
    app.jinja_env.globals["format_event_when"] = format_event_when

    @app.context_processor
    def site_context():
        hotline = app.config["HOTLINE"]
        return {
            "hotline": hotline,
            "hotline_tel": tel_uri(hotline),
            "org_name": app.config["ORG_NAME"],
            "founded_year": app.config["FOUNDED_YEAR"],
            "site_name": site_name,
            "current_locale": str(get_locale()),
            "language_names": {code: language_names[code] for code in app.config["LANGUAGES"]},
        }


def register_cli(app: Flask) -> None:
    """Add the `flask eventsvc …` commands."""
    from eventsvc.cli import eventsvc_cli

    app.cli.add_command(eventsvc_cli)


def configure_logging(app: Flask) -> None:
    """Log to stderr at LOG_LEVEL outside tests; gunicorn and systemd collect it.

    No line names anybody: the request, rate-limit and exception lines of werkzeug,
    Flask-Limiter and Flask are rewritten (addresses truncated, private links redacted), and
    outside tests every handler of the root logger scrubs what any other library writes.
    """
    from eventsvc.logs import REDACTED_LOGGERS, install_filter

    for name in REDACTED_LOGGERS:
        install_filter(logging.getLogger(name))
    install_filter(app.logger)  # "Exception on <path>" and its traceback
    if app.testing:
        return
    level = getattr(logging, str(app.config["LOG_LEVEL"]).upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("eventsvc").setLevel(level)
    for handler in logging.getLogger().handlers:
        install_filter(handler)

"""The organisers' back office: one blueprint (blueprint.py), one module per area."""

import eventsvc.admin.attendees  # noqa: F401
import eventsvc.admin.audit  # noqa: F401
import eventsvc.admin.events  # noqa: F401
import eventsvc.admin.membership  # noqa: F401
import eventsvc.admin.memorial  # noqa: F401
import eventsvc.admin.messages  # noqa: F401
import eventsvc.admin.staff  # noqa: F401
from eventsvc.admin import views  # noqa: F401  (each area module adds its pages to the blueprint)
from eventsvc.admin.blueprint import bp

__all__ = ["bp"]

"""Import every model so that db.metadata describes the whole schema (Alembic, create_all)."""

from eventsvc.auth import models as auth_models  # noqa: F401
from eventsvc.checkin import models as checkin_models  # noqa: F401
from eventsvc.core import models as core_models  # noqa: F401
from eventsvc.events import models as events_models  # noqa: F401
from eventsvc.mail import models as mail_models  # noqa: F401
from eventsvc.membership import models as membership_models  # noqa: F401
from eventsvc.memorial import models as memorial_models  # noqa: F401
from eventsvc.rsvps import models as rsvps_models  # noqa: F401

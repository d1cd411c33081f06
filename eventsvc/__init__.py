"""eventsvc: the anniversary event series service."""

from eventsvc.app import create_app

__all__ = ["create_app"]

"""`manage.py runserver`: Django's development server served by daphne (autoreload, Channels'
convention), with the ASGI lifespan start-up and shutdown daphne itself does not run."""

from __future__ import annotations

from daphne.management.commands.runserver import Command as DaphneRunserverCommand

from luthien_site.daphne_server import LifespanServer


class Command(DaphneRunserverCommand):  # type: ignore[misc]  # daphne is untyped
    """daphne's `runserver`, serving through `LifespanServer`."""

    server_cls = LifespanServer

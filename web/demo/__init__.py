"""Demo office for a first `make run`: users, file plan, Leitweg-ID routes and ~60 cases of the shipped
procedures in every state, simulated over the last weeks with the engine's clock (`akte demo load`).

Only on an installation without other users: as soon as a login exists that is not a demo user, nothing is
loaded. Loading again creates only what is missing (an interrupted load resumes). The passwords are printed in
the README; change them (or do not load the demo) on a real installation.
"""

from __future__ import annotations

from web.demo.loader import DemoResult, load_demo
from web.demo.people import DEMO_PASSWORD, DEMO_USERS

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DemoResult", "load_demo"]

"""`akte demo load`: users, plan, routes, then every demo case played on a clock set back in time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from accounts.models import UserAccount
from accounts.users import NewUser, create_user
from core.bootstrap import Services, bootstrap
from core.clock import FrozenClock
from engine.deploy import procedures
from engine.handlers import HandlerRegistry
from intake.routing import import_routes, parse_routes_csv
from records.fileplan import import_plan, parse_plan_csv
from web.demo.people import DEMO_PASSWORD, DEMO_PLAN, DEMO_ROUTES, DEMO_USERS
from web.demo.runner import DemoCase, exists, play, run_jobs
from web.demo.scenarios import all_cases

Progress = Callable[[int, int], None]  # (cases played, cases to play)


@dataclass(frozen=True)
class DemoResult:
    users_created: int
    cases_created: int
    skipped: str | None = None  # why nothing was loaded
    missing_procedures: tuple[str, ...] = ()  # shipped procedures not deployed: their cases were left out


def _create_people(services: Services) -> int | str:
    """Missing demo users, plan and routes; the reason to stop when someone else already works here."""
    known = {user.login for user in DEMO_USERS}
    with services.db.unit_of_work() as uow:
        logins = set(uow.session.scalars(select(UserAccount.login)))
        strangers = sorted(logins - known)
        if strangers:
            return f"users other than the demo users exist ({', '.join(strangers[:3])}); demo not loaded"
        created = 0
        for user in DEMO_USERS:
            if user.login in logins:
                continue
            create_user(uow, services.clock, NewUser(login=user.login, display_name=user.name, roles=user.roles,
                                                     units=user.units, groups=user.groups, password=DEMO_PASSWORD,
                                                     clearance="confidential"))
            created += 1
        import_plan(uow, parse_plan_csv(DEMO_PLAN, "demo-plan.csv"))
        import_routes(uow, services.clock, parse_routes_csv(DEMO_ROUTES, "demo-routes.csv"))
        uow.commit()
    return created


def load_demo(services: Services, *, on_case: Progress | None = None,
              cases: Sequence[DemoCase] | None = None) -> DemoResult:
    """Load the demo office (see the package docstring); `on_case(done, total)` reports progress."""
    people = _create_people(services)
    if isinstance(people, str):
        return DemoResult(0, 0, skipped=people)
    with services.db.unit_of_work() as uow:
        deployed = {key for key, _name, _fields in procedures(uow)}
    wanted = list(all_cases() if cases is None else cases)
    missing = tuple(sorted({case.process_key for case in wanted} - deployed))
    playable = [case for case in wanted if case.process_key in deployed and not exists(services, case)]
    playable.sort(key=lambda case: -case.started_days_ago)
    now = services.clock.now()
    clock = FrozenClock(now)
    simulation = bootstrap(services.settings, clock=clock, handlers=HandlerRegistry())
    try:
        for done, case in enumerate(playable, start=1):
            play(simulation, clock, now, case)
            if on_case is not None:
                on_case(done, len(playable))
        clock.set(now)
        run_jobs(simulation)
    finally:
        simulation.db.dispose()
    return DemoResult(people, len(playable), missing_procedures=missing)

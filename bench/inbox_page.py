"""The rendered inbox page for `bench.inbox`'s workload: `/inbox` through the Flask test client, per sample.

Accounts for all 5,000 bench users are written in one bulk insert (role caseworker, a unit, 3 groups; the
page's delegate list is drawn from them, so it is as long as in a real office). A sampled actor's account
has the actor's groups; when a login is sampled twice with different groups, its group memberships are
rewritten before that sample (outside the timing) so every page asks exactly the headline query. Each actor
signs in through `/sign-in` once (its own test client, so its own session cookie); then one GET per sample
is timed from request to the full body. Every response must be 200 and list the same task ids, in the same
order, and the same view count as `engine.inbox.inbox()` for that actor and query. Full (generation 2)
garbage collections inside the timed requests are counted and printed: they set the page's p95.
"""

from __future__ import annotations

import gc
import random
import re
import statistics
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, insert, select

from accounts.models import Membership, UserAccount
from accounts.passwords import hash_password
from bench.inbox import GROUPS, NOW, SURNAMES, USERS, Workload
from core.bootstrap import Services, bootstrap
from core.clock import FrozenClock
from core.db import Database
from core.settings import load_settings
from engine.actors import TaskActor
from engine.inbox import COUNT_LIMIT, VIEWS, InboxQuery, inbox
from records.access import Confidentiality
from web.app import create_app, freeze_startup_objects

PASSWORD = "bench-inbox-password"
UNITS = [f"unit-{n:02d}" for n in range(10)]
FIRST_NAMES = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans", "Ida", "Jonas", "Katrin", "Lukas"]
TASK_ID = re.compile(r'<input type="checkbox" name="task" value="([0-9a-f-]{36})" form="bulk"')
COUNT = re.compile(r'<span class="count">([^<]*)</span>')  # the view tabs, in VIEWS order
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
WARM_UP = 20


@dataclass(frozen=True)
class Expected:
    """What the page must show for one sample: the task ids of the page, in order, and the view's count."""

    task_ids: list[str]
    count: int


def page_params(query: InboxQuery) -> dict[str, str]:
    """The `/inbox` query parameters that ask `query` (the page takes one case field and pages of 50)."""
    if len(query.fields) > 1:
        raise ValueError("the inbox page filters by at most one case field")
    if query.limit != 50:
        raise ValueError("the inbox page shows pages of 50")
    params = {"view": query.view, "sort": query.sort}
    if query.descending:
        params["desc"] = "1"
    optional = {"procedure": query.procedure, "due_from": query.due_from and query.due_from.isoformat(),
                "due_to": query.due_to and query.due_to.isoformat(),
                "priority": None if query.priority is None else str(query.priority), "q": query.text,
                "cursor": query.cursor}
    params.update({name: value for name, value in optional.items() if value})
    for name, value in query.fields.items():
        params["field"], params["value"] = name, value
    return params


def account_groups(samples: Iterable[tuple[TaskActor, InboxQuery]], seed: int = 29) -> dict[str, frozenset[str]]:
    """Every bench user's groups: 3 random ones, or a sampled actor's (its first sample's)."""
    rng = random.Random(seed)
    groups = {login: frozenset(rng.sample(GROUPS, 3)) for login in USERS}
    first: dict[str, frozenset[str]] = {}
    for actor, _query in samples:
        first.setdefault(actor.name, actor.groups)
    return {**groups, **first}


def create_accounts(db: Database, groups: dict[str, frozenset[str]]) -> None:
    """All accounts and their memberships in bulk (one argon2 hash shared: hashing 5,000 would take minutes)."""
    hashed = hash_password(PASSWORD)
    with db.unit_of_work() as uow:
        uow.session.execute(insert(UserAccount), [
            {"login": login, "display_name": f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {SURNAMES[n % len(SURNAMES)]}"
             f" ({login})", "email": None, "password_hash": hashed, "clearance": int(Confidentiality.INTERNAL),
             "active": True, "locale": "de", "created_at": NOW, "password_changed_at": NOW}
            for n, login in enumerate(groups)])
        ids = dict(uow.session.execute(select(UserAccount.login, UserAccount.id)).tuples().all())
        memberships = []
        for n, (login, codes) in enumerate(groups.items()):
            memberships += [{"user_id": ids[login], "kind": "role", "code": "caseworker"},
                            {"user_id": ids[login], "kind": "unit", "code": UNITS[n % len(UNITS)]}]
            memberships += [{"user_id": ids[login], "kind": "group", "code": code} for code in sorted(codes)]
        uow.session.execute(insert(Membership), memberships)
        uow.commit()


def set_groups(db: Database, login: str, groups: frozenset[str]) -> None:
    with db.unit_of_work() as uow:
        user_id = uow.session.scalars(select(UserAccount.id).where(UserAccount.login == login)).one()
        uow.session.execute(delete(Membership).where(Membership.user_id == user_id, Membership.kind == "group"))
        uow.session.execute(insert(Membership), [{"user_id": user_id, "kind": "group", "code": code}
                                                 for code in sorted(groups)])
        uow.commit()


def sign_in(app: Flask, login: str) -> FlaskClient:
    """A test client with `login`'s session, signed in through the sign-in form."""
    client = app.test_client()
    form = client.get("/sign-in")
    token = CSRF.search(form.get_data(as_text=True))
    assert form.status_code == 200 and token, form.status
    response = client.post("/sign-in", data={"login": login, "password": PASSWORD, "csrf_token": token.group(1)})
    assert response.status_code == 302, (login, response.status, response.get_data(as_text=True)[:500])
    return client


def expected(services: Services, actor: TaskActor, query: InboxQuery) -> Expected:
    with services.db.unit_of_work() as uow:
        page = inbox(uow, actor, query)
    return Expected([row.id for row in page.rows], page.counts[query.view])


def check(body: str, query: InboxQuery, want: Expected, url: str) -> None:
    """The page lists exactly the query's tasks, in order, and shows the view's count."""
    shown = TASK_ID.findall(body)
    assert shown == want.task_ids, f"{url}: page lists {len(shown)} tasks, the query {len(want.task_ids)}"
    counts = [count.strip() for count in COUNT.findall(body)]
    assert len(counts) == len(VIEWS), f"{url}: {len(counts)} view counts on the page"
    shown_count = counts[VIEWS.index(query.view)]
    capped = want.count > COUNT_LIMIT and shown_count in (f"{COUNT_LIMIT}+", str(COUNT_LIMIT + 1))
    assert shown_count == str(want.count) or capped, f"{url}: count {shown_count} ≠ {want.count}"


def measure_page(workload: Workload) -> list[float]:
    """Milliseconds per sample for the full `/inbox` response (sign-in and checks not timed)."""
    with tempfile.TemporaryDirectory(prefix="akte-bench-page-") as folder:
        settings = load_settings(database_url=workload.url, data_dir=Path(folder), blob_url=f"file://{folder}/blobs")
        clock = FrozenClock(NOW)
        services = bootstrap(settings, clock=clock)
        try:
            return _measure(services, clock, workload)
        finally:
            services.db.dispose()


class FullCollections:
    """Python's full (generation 2) garbage collections that happen while a timed request runs."""

    def __init__(self) -> None:
        self.timing = False
        self.pauses: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2 or not self.timing:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((time.perf_counter() - self._started) * 1000)

    def summary(self, requests: int) -> str:
        if not self.pauses:
            return f"no full garbage collection in {requests} requests"
        return (f"{len(self.pauses)} full garbage collections in {requests} requests, {sum(self.pauses):.0f} ms "
                f"in all, max {max(self.pauses):.0f} ms")


def _measure(services: Services, clock: FrozenClock, workload: Workload) -> list[float]:
    groups = account_groups(workload.samples)
    began = time.perf_counter()
    create_accounts(services.db, groups)
    app = create_app(services=services)
    freeze_startup_objects()  # as `akte serve` does
    run = PageRun(services, clock, groups, {actor.name: sign_in(app, actor.name) for actor, _ in workload.samples})
    print(f"  page: {len(groups)} accounts written, {len(run.clients)} signed in "
          f"({time.perf_counter() - began:.1f} s)", flush=True)
    for actor, query in workload.samples[:WARM_UP]:
        run.request(actor, query)
    gc.callbacks.append(run.collections)
    try:
        timings, checked = zip(*(run.request(actor, query, timed=True) for actor, query in workload.samples),
                               strict=True)
    finally:
        gc.callbacks.remove(run.collections)
    rows = sum(len(want.task_ids) for want in checked)
    assert rows > 0, "no page listed a task"
    print(f"  page: {len(checked)} pages checked against inbox(), {rows / len(checked):.1f} rows each on average; "
          f"body {statistics.median(run.sizes) / 1024:.0f} KiB (median); {run.collections.summary(len(checked))}",
          flush=True)
    return list(timings)


@dataclass
class PageRun:
    services: Services
    clock: FrozenClock
    groups: dict[str, frozenset[str]]  # each account's current groups
    clients: dict[str, FlaskClient]  # signed in, by login
    collections: FullCollections = field(default_factory=FullCollections)
    sizes: list[int] = field(default_factory=list)

    def request(self, actor: TaskActor, query: InboxQuery, *, timed: bool = False) -> tuple[float, Expected]:
        """GET the page of `query` as `actor`: milliseconds to the full body, and what was checked."""
        if self.groups[actor.name] != actor.groups:
            set_groups(self.services.db, actor.name, actor.groups)
            self.groups[actor.name] = actor.groups
        self.clock.set(query.now)
        want = expected(self.services, actor, query)
        url = "/inbox?" + urlencode(page_params(query))
        client = self.clients[actor.name]
        self.collections.timing = timed
        started = time.perf_counter()
        response = client.get(url)
        body = response.get_data(as_text=True)
        elapsed = (time.perf_counter() - started) * 1000
        self.collections.timing = False
        assert response.status_code == 200, f"{url}: {response.status}"
        check(body, query, want, url)
        if timed:
            self.sizes.append(len(body.encode()))
        return elapsed, want

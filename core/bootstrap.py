"""The one place that wires everything: builds the services from `Settings`.

`web.app.create_app` and the `akte` CLI call `bootstrap()`; nothing is wired at import time. This module is
the single, declared exception to the layer rule (core may not import the layers above it otherwise).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

from core.clock import Clock, SystemClock
from core.db import Database
from core.settings import Settings, load_settings
from engine.context import EngineContext
from engine.handlers import DEFAULT_REGISTRY, HandlerRegistry
from engine.instances import instance_state
from engine.resources import instance_data, instance_signers, instance_template
from engine.workflow.runtime import SpiffRuntime
from integrations.cards import FakeCardManufacturer, order_card
from integrations.payment import FakePaymentProvider, collect_fee
from integrations.treasury import FakeTreasury, order_payment
from records.casehandlers import file_follow_up, letter
from records.context import RecordsContext
from records.handlers import attach_document, close_case_handler
from records.letters import Letterhead
from search.context import SearchContext
from search.extract import ExtractionLimits
from search.factory import open_search_index
from storage.factory import open_blob_store


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    clock: Clock
    engine: EngineContext
    records: RecordsContext
    search: SearchContext


def bootstrap(
    settings: Settings | None = None, *, clock: Clock | None = None, handlers: HandlerRegistry | None = None
) -> Services:
    settings = settings or load_settings()
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    runtime = SpiffRuntime(settings.script_timeout_seconds, settings.workflow_cache_size)
    registry = handlers or DEFAULT_REGISTRY
    engine = EngineContext(
        runtime=runtime, handlers=registry, clock=clock,
        max_model_bytes=settings.max_model_bytes,
        message_buffer=timedelta(seconds=settings.message_buffer_seconds),
    )
    secret = settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None
    blobs = open_blob_store(settings.blob_url, access_key=settings.s3_access_key, secret_key=secret)
    records = RecordsContext(clock=clock, blobs=blobs, max_upload_bytes=settings.max_upload_bytes,
                             process_state=instance_state)
    registry.register_transactional("akte.attach_document", partial(attach_document, records))
    registry.register_transactional("akte.close_case", partial(close_case_handler, records))
    register_procedure_handlers(registry, settings, records)
    limits = ExtractionLimits(timeout_seconds=settings.extract_timeout_seconds, max_pages=settings.extract_max_pages,
                              ocr_languages=settings.ocr_languages)
    search = SearchContext(index=open_search_index(settings.search_url, db), records=records, limits=limits)
    return Services(settings=settings, db=db, clock=clock, engine=engine, records=records, search=search)


def register_procedure_handlers(registry: HandlerRegistry, settings: Settings, records: RecordsContext) -> None:
    """Letters, follow-up dates and the outside systems the shipped procedures use. The payment provider, card
    manufacturer and treasury are the demo fakes (integrations/): a city plugs its own in here."""
    letterhead = Letterhead(authority=settings.letter_authority, office=settings.letter_office,
                            address=settings.letter_address, footer=settings.letter_footer)
    write_letter = partial(letter, records, letterhead, instance_template, instance_data)
    registry.register_transactional("akte.letter", write_letter)
    registry.register_transactional("akte.file_follow_up", partial(file_follow_up, records))
    registry.register("akte.payment", partial(collect_fee, FakePaymentProvider(records.clock)))
    registry.register("akte.card_order", partial(order_card, FakeCardManufacturer(records.clock)))
    registry.register_transactional("akte.payment_order",
                                    partial(order_payment, records, FakeTreasury(records.clock), instance_signers))


def secret_key(settings: Settings) -> str:
    """AKTE_SECRET_KEY, or a key generated once into DATA_DIR/secret_key (mode 0600)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key

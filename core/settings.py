"""The one settings object. Every `AKTE_*` environment variable is declared here, once, with its default.

Defaults are the embedded set-up of `make run`: SQLite file and filesystem store under `var/`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigurationError


class Settings(BaseSettings):
    """Validated, frozen configuration read from `AKTE_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="AKTE_", frozen=True, extra="ignore")

    data_dir: Path = Field(Path("var"), description="Folder for the embedded database, blobs and secrets.")
    database_url: str = Field(
        "sqlite:///var/akte.db",
        description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB.",
    )
    blob_url: str = Field("file://var/blobs", description="Document store: file://DIR or s3://BUCKET?endpoint=URL.")
    s3_access_key: str | None = Field(None, description="Access key for an s3:// AKTE_BLOB_URL (MinIO or S3).")
    s3_secret_key: SecretStr | None = Field(None, description="Secret key for an s3:// AKTE_BLOB_URL.")
    max_upload_bytes: int = Field(
        2 * 1024**3, ge=1, description="Largest document version accepted (bytes); larger uploads are refused."
    )
    search_url: str = Field("db", description="Full-text index: 'db' (the database's own) or http://ES:9200.")
    ocr_languages: str = Field("deu", pattern=r"^[a-z_]{3,}(\+[a-z_]{3,})*$",
                               description="Tesseract languages for OCR, e.g. deu or deu+eng.")
    extract_timeout_seconds: float = Field(120.0, gt=0, le=3600, description="Time limit to extract one document.")
    extract_max_pages: int = Field(200, ge=1, description="Pages of one document that are extracted (and OCRed).")
    einvoice_rules: Path | None = Field(None, description="Directory of the official EN 16931/XRechnung rules.")
    intake_max_bytes: int = Field(
        50 * 1024**2, ge=1024, description="Largest file the e-invoice intake takes (an e-mail may be twice as large)."
    )
    drop_dir: Path | None = Field(None, description="Watched drop folder for e-invoices (unset: none is watched).")
    drop_settle_seconds: float = Field(
        10.0, ge=0, le=3600, description="A dropped file is taken once it has not changed for this long."
    )
    imap_url: str | None = Field(None, description="Mailbox for e-invoices: imaps://HOST[:PORT] or imap://HOST[:PORT].")
    imap_user: str | None = Field(None, description="Login of the e-invoice mailbox.")
    imap_password: SecretStr | None = Field(None, description="Password of the e-invoice mailbox.")
    imap_folder: str = Field("INBOX", min_length=1, description="Folder read for new e-invoice messages.")
    imap_done_folder: str | None = Field(
        None, description="Folder messages are moved to once stored (unset: they are only marked as read)."
    )
    mail_poll_seconds: float = Field(300.0, gt=0, description="How often the worker reads the e-invoice mailbox.")
    invoice_process: str = Field(
        "rechnungseingang", min_length=1, description="Process started for each accepted e-invoice."
    )
    invoice_plan_code: str = Field(
        "20.30", min_length=1, description="File plan code of the intake inbox and accounts-payable files."
    )
    invoice_central_unit: str = Field(
        "21", min_length=1, max_length=64,
        description="Unit that owns the intake inbox and gets invoices with an unknown Leitweg-ID.",
    )
    invoice_central_group: str = Field(
        "kreditoren", min_length=1, max_length=255,
        description="Candidate group for invoices whose Leitweg-ID is not in the routing table.",
    )
    letter_authority: str = Field("Stadt Krefeld", min_length=1, description="Letterhead: the authority's name.")
    letter_office: str = Field("Der Oberbürgermeister", description="Letterhead: the line under the authority.")
    letter_address: str = Field("Von-der-Leyen-Platz 1 · 47798 Krefeld", description="Letterhead: postal address.")
    letter_footer: str = Field("Stadt Krefeld · Telefon 02151 86-0 · www.krefeld.de",
                               description="Footer on every page of a generated letter.")
    secret_key: str | None = Field(None, description="Flask secret; generated into DATA_DIR/secret_key if unset.")
    secure_cookies: bool = Field(
        True, description="Send the session cookie over HTTPS only (browsers also accept it on http://localhost)."
    )
    session_hours: float = Field(10.0, gt=0, le=24 * 30, description="How long a sign-in lasts without activity.")
    web_threads: int = Field(8, ge=1, le=256, description="Request threads of `akte serve` (waitress).")
    proxy_hops: int = Field(
        0, ge=0, le=5, description="Reverse proxies in front of akte whose X-Forwarded-For/-Proto are trusted."
    )
    host: str = Field("127.0.0.1", description="Address the web server binds to.")
    port: int = Field(5000, ge=1, le=65535, description="Port of the web server.")
    bpmn_dir: Path = Field(Path("bpmn"), description="Folder of shipped procedures deployed by `make run`.")
    max_model_bytes: int = Field(
        5 * 1024 * 1024, ge=1024, description="Largest BPMN/DMN/form file accepted for deployment."
    )
    script_timeout_seconds: float = Field(
        2.0, gt=0, le=60, description="Time limit for one script task or condition inside the sandbox."
    )
    workflow_cache_size: int = Field(
        256, ge=0, description="Running workflows kept deserialized in memory per process (0 disables)."
    )
    worker_poll_seconds: float = Field(1.0, gt=0, description="How often `akte worker` looks for due work.")
    message_buffer_seconds: int = Field(
        7 * 24 * 3600, ge=0, description="How long a message that arrived early waits for its catch event."
    )

    @field_validator("blob_url")
    @classmethod
    def _known_blob_store(cls, value: str) -> str:
        if not value.startswith(("file://", "s3://")):
            raise ValueError("must start with file:// or s3://")
        return value

    @field_validator("imap_url")
    @classmethod
    def _known_mail_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("imap://", "imaps://")):
            raise ValueError("must start with imap:// or imaps://")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("must start with sqlite: or postgresql")
        return value


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment (plus explicit overrides); invalid values raise ConfigurationError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "AKTE_" + str(first["loc"][0]).upper() if first["loc"] else "AKTE_*"
        raise ConfigurationError(f"invalid setting {name}: {first['msg']}") from exc


def known_environment_variables() -> set[str]:
    """Every AKTE_* variable the settings object reads (used to check deployment files)."""
    return {f"AKTE_{name.upper()}" for name in Settings.model_fields}

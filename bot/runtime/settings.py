"""Settings from the environment and an optional ``.env`` file (pydantic-settings).

Every variable is named exactly as in the README's configuration table.  A missing
or invalid value becomes one :class:`SettingsError` line naming the variable and
what it expects; the CLI prints it and exits with status 2.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.digest.narrative import DEFAULT_PROMPT

SLACK_API_DEFAULT = "https://slack.com/api/"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
# The databases the bot ships drivers for; PostgreSQL goes through psycopg 3, however spelled.
_SQLITE_SCHEMES = {"sqlite", "sqlite+pysqlite"}
_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg"}

# What each variable expects, for the one-line error message.
EXPECTED = {
    "SLACK_BOT_TOKEN": "a bot token starting with xoxb-",
    "SLACK_SIGNING_SECRET": "the signing secret from the app's Basic Information page",
    "SLACK_APP_TOKEN": "an app-level token starting with xapp- (Socket Mode)",
    "SLACK_API_URL": "an http(s) URL ending in /api/, such as https://slack.com/api/",
    "DATABASE_URL": (
        "a SQLite or PostgreSQL URL: sqlite:///path/to/factorybot.db, or postgresql://user:pw@host/db "
        "(postgres:// and postgresql+psycopg:// are the same)"
    ),
    "MLFLOW_TRACKING_URI": "an MLflow tracking URI such as http://mlflow:5000 or sqlite:///mlflow.db",
    "MLFLOW_WEBHOOK_SECRET": "the shared secret of the MLflow webhook (at least 16 characters)",
    "OPENAI_API_KEY": "an API key for an OpenAI-compatible server",
    "OPENAI_BASE_URL": "an http(s) URL of an OpenAI-compatible server",
    "OPENAI_MODEL": "the name of a chat model on that server, such as gpt-4o-mini",
    "OPENAI_TIMEOUT": "seconds to wait for the model, a number above 0 and at most 300",
    "FACTORY_DIGEST_CHANNEL": "a Slack channel ID such as C012ABC (the org-wide digest)",
    "FACTORY_DIGEST_PROMPT": "the instructions given to the model before the digest's figures (not empty)",
    "FACTORY_TIMEZONE": "an IANA time zone such as Europe/Paris",
    "FACTORY_ADMINS": "comma-separated Slack user IDs such as U012ABC,U034DEF",
    "FACTORY_POLICY_FILE": "the path of an existing policy YAML file",
    "FACTORY_SCHEDULER": "on or off",
    "FACTORY_LISTENER_THREADS": "a whole number from 1 to 256",
    "FACTORY_LEADER_RETRY_SECONDS": "seconds between a standby replica's tries to lead the scheduler, above 0 and at most 60",
}


class SettingsError(Exception):
    """A configuration problem, said in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(SLACK_API_DEFAULT, validation_alias="SLACK_API_URL")
    database_url: str = Field("sqlite:///factorybot.db", validation_alias="DATABASE_URL")
    mlflow_tracking_uri: str | None = Field(None, validation_alias="MLFLOW_TRACKING_URI")
    mlflow_webhook_secret: SecretStr | None = Field(None, validation_alias="MLFLOW_WEBHOOK_SECRET")
    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, validation_alias="OPENAI_BASE_URL")
    openai_model: str = Field("gpt-4o-mini", min_length=1, validation_alias="OPENAI_MODEL")
    openai_timeout: float = Field(20.0, gt=0, le=300, validation_alias="OPENAI_TIMEOUT")
    digest_channel: str | None = Field(None, pattern=r"^[CG][A-Z0-9]{2,}$", validation_alias="FACTORY_DIGEST_CHANNEL")
    digest_prompt: str = Field(DEFAULT_PROMPT, min_length=1, validation_alias="FACTORY_DIGEST_PROMPT")
    timezone: str = Field("UTC", validation_alias="FACTORY_TIMEZONE")
    admins: Annotated[tuple[str, ...], NoDecode] = Field((), validation_alias="FACTORY_ADMINS")
    policy_file: Path | None = Field(None, validation_alias="FACTORY_POLICY_FILE")
    scheduler: Literal["on", "off"] = Field("on", validation_alias=AliasChoices("FACTORY_SCHEDULER"))
    listener_threads: int = Field(16, ge=1, le=256, validation_alias="FACTORY_LISTENER_THREADS")
    after_ack_threads: int = Field(8, ge=1, le=256, validation_alias="FACTORY_AFTER_ACK_THREADS")
    # A replica that is not the scheduler's leader tries to become it this often: the takeover delay.
    leader_retry_seconds: float = Field(15.0, gt=0, le=60, validation_alias="FACTORY_LEADER_RETRY_SECONDS")

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xoxb-"):
            raise ValueError("bad prefix")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("bad prefix")
        return v

    @field_validator("mlflow_webhook_secret")
    @classmethod
    def _webhook_secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) < 16:
            raise ValueError("too short")
        return v

    @field_validator("slack_api_url", "openai_base_url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError("not an http(s) URL")
        return v if v.endswith("/") else v + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        """Heroku-style ``postgres://`` and plain ``postgresql://`` get the bundled driver,
        psycopg 3 (SQLAlchemy would look for psycopg2, which is not installed)."""
        try:
            scheme = make_url(v).drivername
        except ArgumentError as exc:
            raise ValueError("not a SQLAlchemy URL") from exc
        if scheme in _POSTGRES_SCHEMES:
            return "postgresql+psycopg://" + v.partition("://")[2]
        if scheme not in _SQLITE_SCHEMES:
            raise ValueError(f"unsupported database {scheme}")
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown zone") from exc
        return v

    @field_validator("admins", mode="before")
    @classmethod
    def _admins(cls, v: object) -> tuple[str, ...]:
        items = v.split(",") if isinstance(v, str) else list(v or ())
        ids = tuple(str(i).strip() for i in items if str(i).strip())
        bad = [i for i in ids if not _USER_ID.match(i)]
        if bad:
            raise ValueError(f"not a user ID: {bad[0]}")
        return ids

    @field_validator("policy_file")
    @classmethod
    def _policy_exists(cls, v: Path | None) -> Path | None:
        if v is not None and not v.is_file():
            raise ValueError(f"no such file: {v}")
        return v

    # -- derived values -------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_mlflow_uri(self) -> str:
        """``MLFLOW_TRACKING_URI``, or an embedded SQLite store beside the bot's database."""
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return f"sqlite:///{Path(url.database).resolve().parent / 'mlflow.db'}"
        return f"sqlite:///{Path('mlflow.db').resolve()}"

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    def missing_slack(self, *, socket_mode: bool | None = None, receiving: bool = True) -> list[str]:
        """The Slack variables still needed to connect (HTTP needs the signing secret); a process
        that only sends (``receiving=False``, the scheduler) needs only the bot token."""
        missing = []
        if self.slack_bot_token is None:
            missing.append("SLACK_BOT_TOKEN")
        if not receiving:
            return missing
        use_socket = self.slack_app_token is not None if socket_mode is None else socket_mode
        if use_socket and self.slack_app_token is None:
            missing.append("SLACK_APP_TOKEN")
        if not use_socket and self.slack_signing_secret is None:
            missing.append("SLACK_SIGNING_SECRET")
        return missing

    def masked(self) -> dict[str, str]:
        """The effective settings by variable name, secrets shown only by their last 4 characters."""
        out: dict[str, str] = {}
        for name, field in type(self).model_fields.items():
            env = field.validation_alias
            env = env.choices[0] if isinstance(env, AliasChoices) else env
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                raw = value.get_secret_value()
                shown = "****" + raw[-4:] if len(raw) > 12 else "****"
            elif value is None:
                shown = "(not set)"
            elif isinstance(value, tuple):
                shown = ",".join(value) or "(none)"
            else:
                shown = str(value)
            out[str(env)] = shown
        out["MLFLOW_TRACKING_URI"] = (
            self.mlflow_tracking_uri or f"{self.effective_mlflow_uri} (embedded default)"
        )
        out["DATABASE_URL"] = make_url(self.database_url).render_as_string(hide_password=True)
        return out


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning the first validation error into a one-line :class:`SettingsError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = str(err["loc"][0]) if err["loc"] else "?"
        env = _env_name(loc)
        raw = err.get("input")
        if env == "DATABASE_URL" and isinstance(raw, str):
            raw = _without_password(raw)
        shown = "" if env in _SECRET_VARS or raw is None or isinstance(raw, dict) else f", got {raw!r}"
        raise SettingsError(f"{env}: expected {EXPECTED.get(env, err['msg'])}{shown}") from None


_SECRET_VARS = {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "OPENAI_API_KEY", "MLFLOW_WEBHOOK_SECRET"}


def _without_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _env_name(loc: str) -> str:
    if loc.isupper():
        return loc
    field = Settings.model_fields.get(loc)
    if field is None:
        return loc.upper()
    alias = field.validation_alias
    return str(alias.choices[0] if isinstance(alias, AliasChoices) else alias)

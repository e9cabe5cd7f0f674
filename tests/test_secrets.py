"""Secrets kept secret (issue 11, item 7): weak link secrets refused with one line, a secret generated
once on the embedded default, private files, the Zalo token pair encrypted at rest (plain-text rows
from before still read, sealed at the next write), refresh tokens never on the command line, and
database passwords never printed nor handed to Prefect."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys

import pytest
from conftest import POSTGRES_URL, REPO, postgres_schema, require_postgres
from cryptography.fernet import Fernet
from sqlalchemy import text
from zalo_fake import ZaloFake

from commplan.cli import main
from commplan.ledger import Ledger
from commplan.ledger.engine import has_password, masked_url
from commplan.links import derived_key, feed_token
from commplan.notify.zalo_tokens import LedgerZaloTokens, ZaloLockedOut
from commplan.settings import SECRET_FILE, Settings, SettingsError, get_settings, weak_secret

STRONG = "Tq7vR2nX9pLw4KzB8mYc1HdF6sJa3GeU5tWo0ViN"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def fresh_settings(monkeypatch, tmp_path):
    """get_settings() from the environment the test sets, cache cleared before and after."""
    for name in ("COMMPLAN_LINK_SECRET", "COMMPLAN_DATABASE_URL", "COMMPLAN_TOKEN_KEY", "COMMPLAN_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COMMPLAN_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


# ---------------------------------------------------------------- the link secret


@pytest.mark.parametrize("secret", [
    "changeme", "bi-mat-thu-nghiem", "khoa-bi-mat-cua-so-tttt",  # short
    "changeme-changeme-changeme-changeme", "bi-mat-cua-so-thong-tin-va-truyen-thong", "secret" * 6,
    "Password-for-commplan-production-2026", "x" * 64, "ab" * 32, "0123456" * 6,  # placeholders, repeats
])
def test_a_weak_link_secret_is_refused_with_one_line_naming_the_variable(secret, fresh_settings, capsys):
    assert weak_secret(secret) is not None
    fresh_settings.setenv("COMMPLAN_LINK_SECRET", secret)
    with pytest.raises(SettingsError, match=r"^COMMPLAN_LINK_SECRET .*: ai cũng có thể đoán ra"):
        get_settings()
    assert main(["feed-url", "--unit", "buu-dien"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("lỗi: COMMPLAN_LINK_SECRET ") and err.count("\n") == 1
    assert secret not in err  # the weak secret itself is not echoed


def test_a_strong_secret_is_accepted():
    assert weak_secret(STRONG) is None
    assert Settings(link_secret=f"  {STRONG}\n").link_secret == STRONG


def test_on_the_embedded_default_a_secret_is_generated_once_private_and_never_printed(fresh_settings, tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["feed-url", "--unit", "buu-dien"]) == 0
    out, err = capsys.readouterr()
    secret = (data / SECRET_FILE).read_text().strip()
    assert weak_secret(secret) is None and mode(data / SECRET_FILE) == 0o600 and mode(data) == 0o700
    assert secret not in out + err and f"token={feed_token(secret, 'buu-dien')}" in out
    get_settings.cache_clear()
    assert main(["feed-url", "--unit", "buu-dien"]) == 0  # the same secret, the same address
    assert capsys.readouterr().out == out
    # a shared database: no file secret (every process must be given the same one)
    assert Settings(data_dir=data, database_url=POSTGRES_URL).signing_secret is None
    assert Settings(data_dir=data, link_secret=STRONG).signing_secret == STRONG


def test_every_purpose_has_its_own_key():
    keys = {purpose: derived_key(STRONG, purpose) for purpose in ("feed", "report", "session", "token-store")}
    assert len(set(keys.values())) == 4 and all(len(key) == 32 for key in keys.values())
    assert STRONG.encode() not in keys.values() and derived_key(STRONG, "session") != derived_key(STRONG + "x", "session")
    with pytest.raises(ValueError):
        derived_key(STRONG, "anything")


# ---------------------------------------------------------------- private files


def test_the_data_folder_the_sqlite_ledger_and_the_outbox_are_private(fresh_settings, tmp_path):
    from commplan.ledger.outbox import Claimed
    from commplan.notify.channels import FileChannel

    data = tmp_path / "data"
    with Ledger(f"sqlite:///{data / 'commplan.sqlite3'}"):
        pass
    assert mode(data) == 0o700 and mode(data / "commplan.sqlite3") == 0o600
    assert all(mode(p) & 0o077 == 0 for p in data.glob("commplan.sqlite3*"))  # -wal, -shm too
    channel = FileChannel("email", data / "outbox.jsonl")
    channel.send(Claimed(id=1, attempts=0, recipient="buu-dien", channel="email", address="a@example.gov.vn",
                         subject="s", body_text="t", body_html="t", body_sms="t"))
    assert mode(data / "outbox.jsonl") == 0o600


# ---------------------------------------------------------------- the Zalo token pair at rest


def raw_row(ledger) -> dict:
    with ledger.engine.connect() as connection:
        return dict(connection.execute(text("SELECT access_token, refresh_token FROM oauth_token")).mappings().one())


def test_the_zalo_pair_is_encrypted_at_rest_and_a_plain_text_row_is_sealed_at_its_next_write(ledger):
    key = Fernet.generate_key()
    with ZaloFake() as zalo:
        tokens = LedgerZaloTokens(ledger, zalo.app_id, zalo.secret_key, key=key, oauth_base=zalo.base)
        tokens.seed("refresh-plain-1", access_token="oa-plain-1", expires_in=90000)
        row = raw_row(ledger)
        assert "plain" not in str(row) and all(v.startswith("fernet:") for v in row.values())
        stored = tokens.status()
        assert stored is not None and (stored.access_token, tokens.current()) == ("oa-plain-1", "oa-plain-1")

        # a row as stored before encryption came: read as it is
        with ledger.engine.begin() as connection:
            connection.execute(text("UPDATE oauth_token SET access_token = 'oa-old', refresh_token = :r"),
                               {"r": zalo.refresh_token})
        assert tokens.current() == "oa-old"
        assert tokens.invalidate("oa-old") == zalo.access_token  # refreshed with the plain-text refresh token
        row = raw_row(ledger)
        assert all(v.startswith("fernet:") for v in row.values()) and zalo.refresh_token not in str(row)
        stored = tokens.status()
        assert stored is not None and stored.refresh_token == zalo.refresh_token

        # another key cannot open it: a clear line, nothing overwritten
        other = LedgerZaloTokens(ledger, zalo.app_id, zalo.secret_key, key=Fernet.generate_key(), oauth_base=zalo.base)
        with pytest.raises(ZaloLockedOut, match="được mã hóa bằng một khóa khác"):
            other.current()
        assert raw_row(ledger) == row


def test_the_token_key_comes_from_the_environment_or_from_the_link_secret(tmp_path):
    key = Fernet.generate_key().decode()
    assert Settings(token_key=key, link_secret=STRONG).token_store_key == key
    derived = Settings(link_secret=STRONG, database_url=POSTGRES_URL).token_store_key
    assert derived == Settings(link_secret=STRONG, data_dir=tmp_path).token_store_key and Fernet(derived)
    with pytest.raises(SettingsError, match=r"^chưa đặt COMMPLAN_TOKEN_KEY"):
        _ = Settings(database_url=POSTGRES_URL).token_store_key
    with pytest.raises(SettingsError, match=r"^COMMPLAN_TOKEN_KEY không phải khóa Fernet"):
        from pydantic import ValidationError

        from commplan.settings import settings_error

        try:
            Settings(token_key="changeme")
        except ValidationError as error:
            raise settings_error(error) from None


def zalo_token(url: str, zalo: ZaloFake, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "COMMPLAN_ZALO_APP_ID": zalo.app_id, "COMMPLAN_ZALO_SECRET_KEY": zalo.secret_key,
           "COMMPLAN_ZALO_OAUTH_BASE": zalo.base, "COMMPLAN_LINK_SECRET": STRONG}
    env.pop("COMMPLAN_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "commplan", "zalo-token", "--database", url, *args], env=env,
                          capture_output=True, text=True, timeout=120, input=stdin, check=False)


@pytest.mark.server  # the loopback Zalo OAuth server
def test_a_refresh_token_is_read_from_stdin_or_a_file_never_from_the_command_line(ledger, ledger_url, tmp_path):
    with ZaloFake() as zalo:
        literal = zalo_token(ledger_url, zalo, "--refresh-token", zalo.refresh_token)
        assert literal.returncode == 1 and literal.stdout == ""
        assert literal.stderr.startswith("lỗi: --refresh-token chỉ nhận `-`") and "`ps`" in literal.stderr
        assert literal.stderr.count("\n") == 1 and zalo.requests == []

        empty = zalo_token(ledger_url, zalo, "--refresh-token", "-", stdin="\n")
        assert empty.returncode == 1 and empty.stderr == "lỗi: --refresh-token: stdin trống\n"
        missing = zalo_token(ledger_url, zalo, "--refresh-token-file", str(tmp_path / "none"))
        assert missing.returncode == 1 and "không đọc được" in missing.stderr and "Traceback" not in missing.stderr

        first = zalo.refresh_token
        piped = zalo_token(ledger_url, zalo, "--refresh-token", "-", stdin=first + "\n")
        assert piped.returncode == 0, piped.stderr
        assert [r["used"] for r in zalo.refreshes] == [first]
        secret_file = tmp_path / "refresh-token"
        secret_file.write_text(zalo.refresh_token + "\n")
        from_file = zalo_token(ledger_url, zalo, "--refresh-token-file", str(secret_file))
        assert from_file.returncode == 0, from_file.stderr
    # sealed under the key derived from the link secret
    key = Settings(link_secret=STRONG, database_url=ledger_url).token_store_key
    stored = LedgerZaloTokens(ledger, zalo.app_id, zalo.secret_key, key=key).status()
    assert stored is not None and stored.refresh_token == zalo.refresh_token and zalo.refresh_token not in str(raw_row(ledger))


# ---------------------------------------------------------------- database passwords


def test_a_database_url_is_masked_and_refused_as_a_flow_parameter():
    from commplan.flows.tick import tick

    url = "postgresql+psycopg://commplan:Mk-9sd!3x@db.example.gov.vn:5432/commplan"
    assert masked_url(url) == "postgresql+psycopg://commplan:***@db.example.gov.vn:5432/commplan"
    assert has_password(url) and not has_password("postgresql+psycopg://commplan@db/commplan")
    with pytest.raises(ValueError, match="hãy đặt COMMPLAN_DATABASE_URL trong môi trường của worker"):
        tick.fn(database=url, as_of=dt.datetime(2021, 12, 10, tzinfo=dt.UTC))


@pytest.mark.postgres
@pytest.mark.server  # commplan run starts an ephemeral Prefect server
def test_commplan_run_never_prints_the_database_password_nor_hands_it_to_prefect(tmp_path):
    require_postgres()
    password = "Pw-7f3kQ9zLx2"  # trust auth: the server accepts it without checking
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COMMPLAN_"))}
    env["COMMPLAN_DATA_DIR"] = str(tmp_path / "data")
    with postgres_schema() as url:
        with_password = url.replace("postgres@", f"postgres:{password}@", 1)
        assert with_password != url
        result = subprocess.run([sys.executable, "-m", "commplan", "run", "--as-of", "2021-12-10",
                                 "--database", with_password], cwd=REPO, env=env, capture_output=True, text=True,
                                timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert password not in output and "postgres:***@" in result.stdout
    prefect_files = [p for p in (tmp_path / "data" / "prefect").rglob("*") if p.is_file()]
    assert prefect_files and not any(password.encode() in p.read_bytes() for p in prefect_files)

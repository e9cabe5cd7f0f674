"""A new channel is one module: `loopback_channel.py` (tests/) is written the way a channel is, and
registering it is the only other step. Through the normal code path (settings from the environment,
`notifier_for`, the outbox, the dry-run and tick texts) it is configured, routed, composed with the
body it declares, held for quiet hours and sent; no other module names a channel's own setting."""

from __future__ import annotations

import os
import re
from pathlib import Path

import loopback_channel
import pytest
from test_outbox import at, catalog, prepared  # noqa: F401 - shared plan, contacts and fixture

from commplan.notify import registry
from commplan.notify.addresses import Address, Route, routes_of
from commplan.notify.file_channel import FileChannel
from commplan.notify.setup import configured_channels, notifier_for
from commplan.plan.model import Contact
from commplan.render.preview import message_line
from commplan.settings import ChannelSettings, Settings, SettingsError
from commplan.tick import undelivered_markdown

SRC = Path(__file__).resolve().parents[1] / "src" / "commplan"


@pytest.fixture
def environment(monkeypatch):
    """No `COMMPLAN_*` variable from the test run's environment."""
    for name in [n for n in os.environ if n.startswith("COMMPLAN_")]:
        monkeypatch.delenv(name)
    return monkeypatch


def test_a_registered_module_is_configured_from_its_own_variable(environment, tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    with registry.registered(loopback_channel.CHANNEL):
        unset = configured_channels(settings)  # nothing configured: a file stand-in for it too, keeping its quiet hours
        assert isinstance(unset["loopback"], FileChannel) and unset["loopback"].quiet_hours
        environment.setenv("COMMPLAN_LOOPBACK_DIR", str(tmp_path / "box"))
        channels = configured_channels(settings)
        channel = channels["loopback"]
        assert list(channels) == ["loopback"] and isinstance(channel, loopback_channel.LoopbackChannel)
        assert channel.folder == tmp_path / "box"
        environment.setenv("COMMPLAN_LOOPBACK_DIR", "box")  # its own check, its own line
        with pytest.raises(SettingsError, match=r"^COMMPLAN_LOOPBACK_DIR must be an absolute path$"):
            configured_channels(settings)
    assert "loopback" not in configured_channels(Settings(data_dir=tmp_path / "data"))


def test_its_setting_may_be_given_to_settings_but_only_while_it_is_registered(environment, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", loopback_dir=tmp_path / "box")
    with registry.registered(loopback_channel.CHANNEL):
        assert list(configured_channels(settings)) == ["loopback"]
    with pytest.raises(SettingsError, match=r"^COMMPLAN_LOOPBACK_DIR không phải là thiết lập của commplan hay của kênh gửi nào đã đăng ký"):
        configured_channels(settings)  # a typo or a missing channel is not silently ignored


def test_it_is_routed_composed_held_for_quiet_hours_and_sent(environment, ledger, catalog, clock_at, tmp_path):
    box = tmp_path / "box"
    environment.setenv("COMMPLAN_LOOPBACK_DIR", str(box))
    settings = Settings(data_dir=tmp_path / "data")
    contact = Contact(email="bd@example.gov.vn", phone="0912000001", zalo="8400000001")
    with registry.registered(loopback_channel.CHANNEL):
        # on the phone chain between ZNS and SMS, as it declares
        assert routes_of(contact, {"zalo", "loopback", "sms"}) == [
            Route(Address("zalo", "8400000001"), (Address("loopback", "84912000001"), Address("sms", "84912000001")))]
        prepared(ledger, catalog, clock_at, "2022-03-10T22:00")
        night = notifier_for(ledger, catalog, settings).run(at("2022-03-10T22:00"))
        # buu-dien has a phone; viettel-post only email and Zalo, which are not configured
        assert (night.sent, night.held_for_quiet_hours, night.without_address) == (0, 1, ["viettel-post"])
        assert not box.exists()
        morning = notifier_for(ledger, catalog, settings).run(clock_at("2022-03-11T07:30"))
        assert morning.sent == 1
        [delivery] = ledger.deliveries()
        assert (delivery["channel"], delivery["address"], delivery["status"]) == ("loopback", "84912000001", "sent")
        [written] = box.iterdir()
        address, text = written.read_text(encoding="utf-8").split("\n", 1)
        assert address == "84912000001" and text.isascii() and "Bao cao tuan" in text  # the SMS body it declares
        # what people read names it by its label
        assert "qua Hộp thư thử (84912000001)" in message_line("Bưu điện", "loopback", "84912000001", "Nhắc việc")
        problem = {"name": "Bưu điện", "channel": "loopback", "address": "84912000001", "status": "unknown"}
        assert "qua Hộp thư thử" in "\n".join(undelivered_markdown([problem]))


@pytest.mark.parametrize("spec", registry.specs(), ids=lambda s: s.transport.__name__)
def test_every_channel_declares_its_settings_in_its_own_module(spec):
    assert spec.settings is not None and issubclass(spec.settings, ChannelSettings)
    assert spec.settings.__module__ == spec.transport.__module__ and spec.settings.model_fields


def _names(text: str, setting: str) -> bool:
    return bool(re.search(rf"\b{setting}\b|\bCOMMPLAN_{setting.upper()}\b", text))


def test_no_module_but_the_channels_own_names_its_settings():
    # `commplan zalo-token` seeds the Zalo token store: a Zalo feature, reading Zalo's settings
    zalo_features = {SRC / "cli" / "reminders.py"}
    owners = registry.setting_names()
    assert {"smtp_url", "zalo_app_id", "zns_template_id", "esms_api_key", "sms_apprise_url"} <= set(owners)
    assert not set(owners) & set(Settings.model_fields)  # the core settings declare none of them
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for setting, kind in owners.items():
            own = Path(registry.__file__).with_name(kind.__module__.rsplit(".", 1)[1] + ".py")
            allowed = path == own or (path in zalo_features and setting.startswith("zalo_"))
            if not allowed and _names(text, setting):
                offenders.append(f"{path.relative_to(SRC)}: {setting}")
    assert offenders == []


def test_the_grep_finds_a_setting_named_outside_its_module():
    assert _names("url = settings.smtp_url", "smtp_url") and _names("set COMMPLAN_ESMS_API_KEY", "esms_api_key")
    assert not _names("settings.smtp_url_x", "smtp_url")


# every channel variable as it was named when the settings lived in `Settings` (README, deployments)
VARIABLES = {
    "COMMPLAN_SMTP_URL": ("smtp_url", "mailto://smtp.example.gov.vn?from=nhacviec@example.gov.vn"),
    "COMMPLAN_ZALO_APP_ID": ("zalo_app_id", "123"), "COMMPLAN_ZALO_SECRET_KEY": ("zalo_secret_key", "s"),
    "COMMPLAN_ZALO_ACCESS_TOKEN": ("zalo_access_token", "t"), "COMMPLAN_ZALO_API_BASE": ("zalo_api_base", "http://a"),
    "COMMPLAN_ZALO_OAUTH_BASE": ("zalo_oauth_base", "http://o"), "COMMPLAN_ZNS_TEMPLATE_ID": ("zns_template_id", "9"),
    "COMMPLAN_ZNS_API_BASE": ("zns_api_base", "http://z"), "COMMPLAN_ZNS_DEVELOPMENT": ("zns_development", True),
    "COMMPLAN_ESMS_API_KEY": ("esms_api_key", "k"), "COMMPLAN_ESMS_SECRET_KEY": ("esms_secret_key", "s"),
    "COMMPLAN_ESMS_BRANDNAME": ("esms_brandname", "SOTTTT"), "COMMPLAN_ESMS_SANDBOX": ("esms_sandbox", True),
    "COMMPLAN_ESMS_API_BASE": ("esms_api_base", "http://e"), "COMMPLAN_SMS_APPRISE_URL": ("sms_apprise_url", "json://x/{phone}"),
}


@pytest.mark.parametrize("variable", VARIABLES)
def test_each_channel_variable_keeps_its_name(variable, environment, tmp_path):
    field, value = VARIABLES[variable]
    environment.setenv(variable, "true" if value is True else value)
    kind = registry.setting_names()[field]
    assert getattr(Settings(data_dir=tmp_path).channel(kind), field) == value
    assert getattr(Settings(data_dir=tmp_path, **{field: value}).channel(kind), field) == value  # or as a keyword


@pytest.mark.parametrize("variable, value, line", [
    ("COMMPLAN_ESMS_SANDBOX", "maybe", "^COMMPLAN_ESMS_SANDBOX: cần true hoặc false, nhưng gặp 'maybe'$"),
    ("COMMPLAN_SMTP_URL", "smtp://x", "^COMMPLAN_SMTP_URL phải là địa chỉ mailto:// hoặc mailtos://$"),
    ("COMMPLAN_SMTP_URL", "mailto://x", "^COMMPLAN_SMTP_URL cần có from=<địa chỉ người gửi>$"),
    ("COMMPLAN_SMS_APPRISE_URL", "json://x", "^COMMPLAN_SMS_APPRISE_URL cần có {phone} ở chỗ đặt số điện thoại người nhận$"),
])
def test_a_bad_channel_value_is_one_line_naming_its_variable(variable, value, line, environment, tmp_path):
    environment.setenv(variable, value)
    with pytest.raises(SettingsError, match=line):
        configured_channels(Settings(data_dir=tmp_path))

"""The channel registry: every channel declares everything once, in its own module, and every place
that names channels (setup, routes, the plan's `channels:` families, labels, stand-ins, the dry run's
text) reads it, so that a new channel is one module: a channel registered here appears everywhere."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import pytest
from test_outbox import CONTACTS, PLAN, at, catalog, prepared  # noqa: F401 - shared plan, contacts and fixture

from commplan.notify import registry
from commplan.notify.addresses import Address, Route, routes_of
from commplan.notify.channels import CHANNEL_NAMES
from commplan.notify.file_channel import FileChannel
from commplan.notify.notifier import Notifier
from commplan.notify.registry import Body, ChannelSpec, Family, Setup
from commplan.notify.registry import Contact as Field
from commplan.notify.setup import configured_channels
from commplan.plan.model import Contact
from commplan.render.preview import message_line
from commplan.settings import Settings
from commplan.tick import undelivered_markdown


@pytest.fixture
def bare_settings(tmp_path, monkeypatch):
    """Settings with no channel configured, whatever the environment of the test run holds."""
    for name in [n for n in os.environ if n.startswith("COMMPLAN_")]:
        monkeypatch.delenv(name)
    return Settings(data_dir=tmp_path / "data")


class Pager:
    """A channel that is in no module of the registry: it records what it is given."""

    name = "pager"
    idempotent = False
    quiet_hours = True

    def __init__(self):
        self.sent = []

    def send(self, delivery):
        self.sent.append(delivery)
        return f"pager:{delivery.id}"


def pager_spec(configured: bool) -> ChannelSpec:
    # between ZNS (20) and SMS (30) on the phone chain
    return ChannelSpec(transport=Pager, label="Máy nhắn tin", family=Family.SMS, body=Body.SMS, contact=Field.PHONE,
                       chain=25, stand_in=True, build=lambda setup: Pager() if configured else None)


def test_it_lists_the_channels_in_their_modules():
    assert {spec.transport.__module__.rsplit(".", 1)[1] for spec in registry.specs()} == set(registry.MODULES)
    assert list(registry.channels()) == ["zalo", "zns", "email", "sms"]
    assert [spec.name for spec in registry.phone_chain()] == ["zalo", "zns", "sms"]


@pytest.mark.parametrize("spec", registry.specs(), ids=lambda s: s.transport.__name__)
def test_every_channel_declares_everything(spec, bare_settings):
    assert isinstance(spec.name, str) and spec.name.isidentifier()
    assert isinstance(spec.label, str) and spec.label.strip()
    assert isinstance(spec.family, Family) and isinstance(spec.body, Body) and isinstance(spec.contact, Field)
    assert spec.chain is None or isinstance(spec.chain, int)
    # a phone rings through the phone chain; an address of its own (email) is a route of its own
    assert (spec.chain is not None) == (spec.contact is not Field.EMAIL)
    assert all(isinstance(flag, bool) for flag in (spec.idempotent, spec.dedup_same_day, spec.quiet_hours, spec.stand_in))
    assert not spec.dedup_same_day or spec.idempotent  # same-day de-duplication is a kind of de-duplication
    assert callable(spec.transport.send)
    assert spec.build(Setup(bare_settings)) is None  # not configured: not built


def test_providers_of_one_channel_agree_on_all_but_the_transport():
    for name, first in registry.channels().items():
        for spec in registry.specs():
            if spec.name == name:
                assert (spec.label, spec.family, spec.body, spec.contact, spec.chain, spec.stand_in, spec.quiet_hours) == (
                    first.label, first.family, first.body, first.contact, first.chain, first.stand_in, first.quiet_hours)


def test_every_family_of_the_plan_format_has_a_channel():
    assert {spec.family for spec in registry.specs()} == set(Family)


def test_the_file_stand_ins_follow_the_registry(bare_settings):
    channels = configured_channels(bare_settings)  # the embedded default (SQLite): stand-ins
    assert {name: type(c) for name, c in channels.items()} == dict.fromkeys(("zalo", "email", "sms"), FileChannel)
    assert {name: c.quiet_hours for name, c in channels.items()} == {
        name: registry.channels()[name].quiet_hours for name in channels}
    assert channels["sms"].quiet_hours and not channels["email"].quiet_hours


def test_a_registered_channel_gets_routes_labels_setup_and_family(bare_settings):
    contact = Contact(email="bd@example.gov.vn", phone="0912000001", zalo="8400000001")
    with registry.registered(pager_spec(configured=True)):
        assert routes_of(contact, {"zalo", "pager", "sms", "email"}) == [
            Route(Address("zalo", "8400000001"), (Address("pager", "84912000001"), Address("sms", "84912000001"))),
            Route(Address("email", "bd@example.gov.vn")),
        ]
        assert CHANNEL_NAMES["pager"] == "Máy nhắn tin" and "pager" in CHANNEL_NAMES
        assert "qua Máy nhắn tin (84912000001)" in message_line("Bưu điện", "pager", "84912000001", "Nhắc việc")
        problem = {"name": "Bưu điện", "channel": "pager", "address": "84912000001", "status": "unknown"}
        assert "qua Máy nhắn tin" in "\n".join(undelivered_markdown([problem]))
        assert registry.family("pager") is Family.SMS
        assert isinstance(configured_channels(bare_settings)["pager"], Pager)
    # gone again: nothing else named it
    assert "pager" not in CHANNEL_NAMES and routes_of(contact, {"pager"}) == []


def test_an_unconfigured_registered_channel_gets_a_file_stand_in(bare_settings):
    with registry.registered(pager_spec(configured=False)):
        channels = configured_channels(bare_settings)
    assert isinstance(channels["pager"], FileChannel) and channels["pager"].quiet_hours


def test_a_registered_channel_carries_reminders_with_the_body_it_declares(ledger, catalog, clock_at):
    prepared(ledger, catalog, clock_at)
    pager = Pager()
    with registry.registered(pager_spec(configured=True)):
        report = Notifier(ledger, catalog, {"pager": pager}).run(at("2022-03-10T15:00"))
        # buu-dien has a phone; viettel-post has only email and Zalo, which are not configured
        assert report.sent == 1 and [d.address for d in pager.sent] == ["84912000001"]
        delivery = pager.sent[0]
        assert delivery.body_sms and registry.text_of(delivery) == delivery.body_sms != delivery.body_text
    assert [(d["channel"], d["status"]) for d in ledger.deliveries()] == [("pager", "sent")]


def test_the_dry_run_text_is_the_body_each_channel_sends():
    from commplan.ledger.outbox import Claimed

    fields: dict[str, Any] = {f.name: "" for f in dataclasses.fields(Claimed)} | {"id": 1, "attempts": 0, "template_data": None,
                                                                  "attachment": None, "fallbacks": None, "send_window": None}
    for name, spec in registry.channels().items():
        delivery = Claimed(**(fields | {"channel": name, "body_text": "text", "body_html": "<p>html</p>", "body_sms": "sms"}))
        assert registry.text_of(delivery) == ("sms" if spec.body is Body.SMS else "text")


def test_a_persons_request_covers_every_channel_that_sends_to_their_address():
    import argparse

    from commplan.cli.data import _identity

    args = argparse.Namespace(phone="0912 000 001", email=None, zalo=None)
    assert _identity(args).channels == ("zns", "sms")
    with registry.registered(pager_spec(configured=True)):
        assert _identity(args).channels == ("zns", "sms", "pager")
    assert _identity(argparse.Namespace(phone=None, email="BD@example.gov.vn", zalo=None)).channels == ("email",)
    assert _identity(argparse.Namespace(phone=None, email=None, zalo="8400000001")).channels == ("zalo",)

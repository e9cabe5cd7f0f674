"""Reminders end to end, with real processes and the loopback servers of every channel:

- a sending process killed between claim and confirmation, then restarted: nothing sent twice, nothing lost;
- two worker processes draining one PostgreSQL outbox: each message requested once;
- a month of the seed plans run tick by tick through SMTP, Zalo OA, ZNS and eSMS: each step delivered
  once per route, quiet hours and Tết kept, a failing channel never holding up the others.

Each process and tick runs with the clock set to its instant (COMMPLAN_NOW), as a simulation must: an
instant far from the clock is a replay, which sends nothing.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import PLANS, UNITS_YAML, plan_yaml, require_postgres, weekly_report
from esms_fake import ESMSFake
from test_email_channel import smtp  # noqa: F401 - the aiosmtpd fixture
from zalo_fake import ZaloFake

from commplan.ledger import Ledger
from commplan.notify.addresses import normalise_phone, routes_of
from commplan.notify.notifier import VN
from commplan.notify.setup import notifier_for
from commplan.plan import load_catalog
from commplan.plan.model import QuietHours
from commplan.schedule.workdays import WorkCalendar
from commplan.settings import Settings
from commplan.tick import evaluate

pytestmark = pytest.mark.server  # commplan processes and every channel's loopback server

REPO = Path(__file__).resolve().parents[1]
CHANNELS = {"zalo", "zns", "sms", "email"}
ZNS_PARAMS = ("don_vi", "tinh_trang", "nhiem_vu", "han_chot", "so_nhiem_vu")
PLAN = weekly_report(extra="  reminders: {before: [1d], on_due: true, overdue_every: 2d, escalate_after: 5d}\n")


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=VN)


class Hold:
    """Wraps a fake's `answer`: the first request is accepted by the provider, then its answer is held
    back until released, so a test can kill the sender after the send and before the confirmation."""

    def __init__(self, fake):
        self.arrived, self.release, self.used = threading.Event(), threading.Event(), False
        self.inner = fake.answer
        fake.answer = self

    def __call__(self, *args):
        result = self.inner(*args)
        if not self.used:
            self.used = True
            self.arrived.set()
            self.release.wait(60)
        return result


def commplan(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "commplan", *args], cwd=REPO, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    return out


def write_units(folder: Path, contacts: str, extra_units: str = "", groups: str = "") -> None:
    units = UNITS_YAML.replace(
        "  - id: buu-dien\n    name: Bưu điện tỉnh Thử Nghiệm\n  - id: viettel-post\n    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm\n",
        contacts.lstrip("\n") + extra_units)
    (folder / "units.yaml").write_text(units.replace("groups:\n", "groups:\n" + groups), encoding="utf-8")


def at_clock(moment: str, env: dict) -> dict:
    """The environment of a process whose clock starts at `moment` (Vietnam time)."""
    return {**env, "COMMPLAN_NOW": f"{moment}+07:00"}


@pytest.mark.parametrize("channel", ["sms", "zalo"])
def test_a_sender_killed_between_claim_and_confirmation_neither_resends_nor_loses(channel, ledger_url, tmp_path):
    contact = '{phone: "0912000001"}' if channel == "sms" else '{zalo: "8400000002"}'
    write_units(tmp_path, f"""
  - id: buu-dien
    name: Bưu điện tỉnh Thử Nghiệm
    contacts: [{contact}]
  - id: viettel-post
    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm
""")
    (tmp_path / "plan.yaml").write_text(plan_yaml(PLAN), encoding="utf-8")
    catalog, _ = load_catalog([tmp_path], strict=True)
    with Ledger(ledger_url) as ledger:
        ledger.sync(catalog, now=at("2022-03-01T08:00"))
    with ESMSFake() as esms, ZaloFake(followers={"8400000002"}) as zalo:
        fake = esms if channel == "sms" else zalo
        hold = Hold(fake)
        env = {
            "COMMPLAN_DATA_DIR": str(tmp_path / "data"), "COMMPLAN_ZALO_ACCESS_TOKEN": zalo.access_token,
            "COMMPLAN_ZALO_API_BASE": zalo.base, "COMMPLAN_ESMS_API_KEY": "key-1", "COMMPLAN_ESMS_SECRET_KEY": "secret-1",
            "COMMPLAN_ESMS_BRANDNAME": "SOTTTT", "COMMPLAN_ESMS_SANDBOX": "true", "COMMPLAN_ESMS_API_BASE": esms.base,
        }
        remind = ("remind", "--plans", str(tmp_path), "--database", ledger_url, "--as-of")
        sender = commplan(*remind, "2022-03-10T09:00", env=at_clock("2022-03-10T09:00", env))
        assert hold.arrived.wait(120), sender.stderr.read() if sender.poll() is not None and sender.stderr else "no request arrived"
        os.kill(sender.pid, signal.SIGKILL)  # the provider has the message; our confirmation never happens
        sender.wait(30)
        hold.release.set()
        accepted = lambda: len(esms.received) if channel == "sms" else len(zalo.oa_messages)  # noqa: E731
        requests = lambda: len(esms.requests) if channel == "sms" else len(zalo.requests)  # noqa: E731
        with Ledger(ledger_url) as ledger:
            assert [d["status"] for d in ledger.deliveries()] == ["sending"]
        assert (accepted(), requests()) == (1, 1)

        finished(commplan(*remind, "2022-03-10T09:05", env=at_clock("2022-03-10T09:05", env)))  # within the lease: left alone
        assert requests() == 1

        # after the lease (10 minutes on the clock, from the claim at 09:00): re-checked
        finished(commplan(*remind, "2022-03-10T09:20", env=at_clock("2022-03-10T09:20", env)))
        with Ledger(ledger_url) as ledger:
            delivery = ledger.deliveries()[0]
            if channel == "sms":
                # eSMS de-duplicates by our RequestId: sent again, the gateway answers "already sent" (124)
                assert (delivery["status"], requests(), accepted()) == ("sent", 2, 1)
                assert esms.requests[0]["RequestId"] == esms.requests[1]["RequestId"] == f"commplan-{delivery['id']}"
            else:
                # the OA API has no idempotency key: never re-sent, left for a person, and reported
                assert (delivery["status"], requests(), accepted()) == ("unknown", 1, 1)
                report = evaluate(ledger, at("2022-03-10T09:30"))
                assert [(p["recipient"], p["channel"], p["status"]) for p in report.undelivered] == [
                    ("buu-dien", "zalo", "unknown")]
        finished(commplan(*remind, "2022-03-10T10:00", env=at_clock("2022-03-10T10:00", env)))
        assert (requests(), accepted()) == ((2, 1) if channel == "sms" else (1, 1))


def test_two_worker_processes_drain_one_postgresql_outbox_once_each(tmp_path, set_now):
    require_postgres()
    from conftest import postgres_schema

    count = 40
    extra = "".join(f'  - id: xa-{i:02d}\n    name: UBND xã số {i}\n    contacts: [{{phone: "09120001{i:02d}"}}]\n'
                    for i in range(count))
    group = f"  cac-xa:\n    name: Các xã\n    members: [{', '.join(f'xa-{i:02d}' for i in range(count))}]\n"
    write_units(tmp_path, "  - id: buu-dien\n    name: Bưu điện\n  - id: viettel-post\n    name: Viettel Post\n", extra, group)
    (tmp_path / "plan.yaml").write_text(plan_yaml(PLAN.replace("lead: [buu-dien, viettel-post]", "lead: [cac-xa]")),
                                        encoding="utf-8")
    catalog, _ = load_catalog([tmp_path], strict=True)
    with postgres_schema() as url, ESMSFake() as esms:
        with Ledger(url) as ledger:
            ledger.sync(catalog, now=at("2022-03-01T08:00"))
            ledger.queue_reminders(catalog, as_of=set_now(at("2022-03-10T09:00")), now=at("2022-03-10T09:00"))
        # hold the first send until the other worker has sent one too: both provably work at once
        first, second = threading.Event(), threading.Event()
        inner = esms.answer

        def answer(path, body):
            result = inner(path, body)
            if not first.is_set():
                first.set()
                second.wait(60)
            else:
                second.set()
            return result

        esms.answer = answer  # type: ignore[method-assign]  # the fake's answers, replaced for this test
        env = {"COMMPLAN_DATA_DIR": str(tmp_path / "data"), "COMMPLAN_ESMS_API_KEY": "key-1",
               "COMMPLAN_ESMS_SECRET_KEY": "secret-1", "COMMPLAN_ESMS_BRANDNAME": "SOTTTT",
               "COMMPLAN_ESMS_API_BASE": esms.base, "COMMPLAN_SEND_BATCH": "4"}
        workers = [commplan("remind", "--plans", str(tmp_path), "--database", url, "--as-of", "2022-03-10T09:00",
                            env=env) for _ in range(2)]
        for worker in workers:
            finished(worker)
        request_ids = [r["RequestId"] for r in esms.requests]
        assert len(request_ids) == len(set(request_ids)) == count  # no message requested twice
        assert sorted(r["Phone"] for r in esms.received) == sorted(f"849120001{i:02d}" for i in range(count))
        with Ledger(url) as ledger:
            rows = ledger.deliveries()
        assert {r["status"] for r in rows} == {"sent"} and len(rows) == count
        assert len({r["claimed_by"] for r in rows}) == 2  # both workers took part


def seed_contacts(catalog):
    zalo_ids = sorted({c.zalo for u in catalog.directory.units.values() for c in u.contacts if c.zalo})
    phones = sorted({normalise_phone(c.phone) for u in catalog.directory.units.values() for c in u.contacts if c.phone})
    return zalo_ids, phones


def test_a_month_of_the_seed_plans_reaches_every_route_once_through_every_channel(smtp, tmp_path, monkeypatch, set_now):
    # apprise builds a TLS context for every email, loading the system's CA store (50 ms, 1,200 times here);
    # the loopback SMTP server speaks no TLS, so an empty store changes nothing but the time
    (tmp_path / "no-ca.pem").write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-ca.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    # on the embedded default, SQLite; PostgreSQL's outbox is driven by the two tests above
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    catalog, errors = load_catalog([PLANS])
    assert errors == []
    zalo_ids, phones = seed_contacts(catalog)
    # a few followers lapsed (OA refuses them: ZNS takes over), a few phones without Zalo (SMS takes over)
    lapsed, zalo_less = set(zalo_ids[::4]), set(phones[::5])
    port, inbox = smtp
    calendar = WorkCalendar("VN")
    with ZaloFake(followers=set(zalo_ids) - lapsed, phones=set(phones) - zalo_less,
                  templates={"tpl-1": ZNS_PARAMS}) as zalo, ESMSFake() as esms:
        settings = Settings(
            data_dir=tmp_path / "data", smtp_url=f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn",
            zalo_access_token=zalo.access_token, zalo_api_base=zalo.base, zns_template_id="tpl-1",
            zns_api_base=zalo.base, esms_api_key="key-1", esms_secret_key="secret-1", esms_brandname="SOTTTT",
            esms_api_base=esms.base,
        )
        with Ledger(ledger_url) as ledger:
            ledger.sync(catalog, now=at("2022-01-01T00:00"), horizon=dt.date(2022, 3, 31))
            notifier = notifier_for(ledger, catalog, settings)
            day, ticks = dt.date(2022, 1, 10), []
            while day <= dt.date(2022, 2, 9):  # a month with Tết Nhâm Dần (31/01 - 04/02/2022) in it
                ticks += [dt.datetime.combine(day, dt.time(hour), tzinfo=VN) for hour in (8, 15, 21)]
                day += dt.timedelta(days=1)
            for moment in ticks:
                esms.down = dt.date(2022, 1, 17) <= moment.date() <= dt.date(2022, 1, 18)  # the gateway is down
                set_now(moment)  # each tick on its own clock: a simulation, not a replay
                ledger.queue_reminders(catalog, as_of=moment, now=moment)
                report = notifier.run(moment)
                if esms.down:
                    assert report.sent > 0 or report.planned == 0  # the other channels still deliver
            # every step still to be said, or said: not superseded, not dropped as done
            reminders = {r["id"]: r for r in ledger.reminders() if r["status"] in ("queued", "planned")}
            deliveries = ledger.deliveries()
        assert len(reminders) > 500
        sent = [d for d in deliveries if d["status"] == "sent"]
        # every queued step reached each route of its recipient exactly once (the email route; the phone
        # chain OA, else ZNS, else SMS), and a route nobody can reach was reported, not retried forever
        by_id = {d["id"]: d for d in deliveries}

        def root(d):
            return root(by_id[d["fallback_of"]]) if d["fallback_of"] else d

        per_route = collections.Counter(
            (reminder_id, root(d)["channel"], root(d)["address"]) for d in sent for reminder_id in d["reminder_ids"])
        assert max(per_route.values()) == 1
        reachable = {"zalo": lambda v: v not in lapsed, "zns": lambda v: v not in zalo_less,
                     "sms": lambda v: True, "email": lambda v: True}
        expected = set()
        for reminder_id, reminder in reminders.items():
            unit = catalog.directory.units.get(reminder["recipient"])
            chains = {r.address: r for c in (unit.contacts if unit else ()) for r in routes_of(c, CHANNELS)}
            for head, route in chains.items():
                if any(reachable[a.channel](a.value) for a in (head, *route.fallbacks)):
                    expected.add((reminder_id, head.channel, head.value))
        missing = expected - set(per_route)
        assert not missing, [(reminders[m[0]], [(d["channel"], d["address"], d["status"], d["last_error"], d["next_attempt_at"])
                                               for d in deliveries if m[0] in d["reminder_ids"]]) for m in sorted(missing)[:3]]
        assert set(per_route) == expected
        # what the servers received is exactly what the ledger says was sent, each delivery once
        delivery_headers = [m["X-Commplan-Delivery"] for _, m in inbox.messages]
        assert sorted(map(int, delivery_headers)) == sorted(d["id"] for d in sent if d["channel"] == "email")
        assert len(zalo.oa_messages) == sum(d["channel"] == "zalo" for d in sent)
        tracking = [m["tracking_id"] for m in zalo.zns_messages]
        assert len(tracking) == len(set(tracking)) == sum(d["channel"] == "zns" for d in sent)
        assert len(esms.received) == len({r["RequestId"] for r in esms.received}) == sum(d["channel"] == "sms" for d in sent)
        assert {d["channel"] for d in sent} == {"email", "zalo", "zns", "sms"}
        # a daily digest: at most one message a day per recipient and route (the seed plans have no sub-day steps)
        per_day = collections.Counter((d["recipient"], root(d)["channel"], root(d)["address"], d["created_at"].astimezone(VN).date())
                                      for d in deliveries if not d["fallback_of"])
        assert max(per_day.values()) == 1
        # fallbacks: every lapsed follower's message went on to ZNS or SMS
        assert any(d["fallback_of"] for d in sent if d["channel"] == "zns")
        assert any(d["fallback_of"] for d in sent if d["channel"] == "sms")
        # phones and Zalo: only in working hours of working days (Tết and weekends wait); the SMS gateway's
        # two days down were retried, not lost
        quiet = QuietHours()  # the seeds keep the default: 07:30-20:00 on working days
        for d in sent:
            if d["channel"] != "email":
                local = d["sent_at"].astimezone(VN)
                assert calendar.is_workday(local.date()) and quiet.from_ <= local.time() < quiet.to, d
        tet = [d for d in sent if dt.date(2022, 1, 31) <= d["sent_at"].astimezone(VN).date() <= dt.date(2022, 2, 4)]
        assert tet and {d["channel"] for d in tet} == {"email"}
        assert any(d["attempts"] > 1 for d in sent if d["channel"] == "sms")
        assert not [d for d in deliveries if d["status"] in ("pending", "sending", "unknown")
                    and d["next_attempt_at"] < ticks[-1] - dt.timedelta(days=1)]

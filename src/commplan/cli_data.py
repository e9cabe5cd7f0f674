"""Data that lasts, data that is personal: `commplan backup`, `restore`, `contact export|erase`.

What a clerk reads is Vietnamese; the export itself is JSON with stable English keys.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from . import clock
from .ledger import Ledger, LedgerError

_VN = ZoneInfo("Asia/Ho_Chi_Minh")
KINDS = {"phone": "số điện thoại", "email": "địa chỉ email", "zalo": "tài khoản Zalo"}
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parsers(sub, ledger_options) -> None:
    backup = sub.add_parser("backup", help="sao lưu sổ theo dõi vào một tệp (SQLite: sao lưu trực tuyến; PostgreSQL: pg_dump)")
    backup.add_argument("file", metavar="FILE", help="tệp sao lưu sẽ ghi (quyền 0600)")
    backup.add_argument("--force", action="store_true", help="ghi đè nếu tệp đã tồn tại")
    ledger_options(backup)

    restore = sub.add_parser("restore", help="khôi phục sổ theo dõi từ một tệp sao lưu")
    restore.add_argument("file", metavar="FILE", help="tệp do `commplan backup` ghi")
    restore.add_argument("--force", action="store_true", help="thay cả khi sổ theo dõi đã có dữ liệu")
    ledger_options(restore)

    contact = sub.add_parser("contact", help="dữ liệu cá nhân của một người liên hệ (Nghị định 13/2023/NĐ-CP)")
    actions = contact.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="mọi dữ liệu đang lưu về một người (JSON)")
    erase = actions.add_parser("erase", help="xoá địa chỉ của một người khỏi sổ theo dõi")
    for parser in (export, erase):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--phone", metavar="SỐ", help="số điện thoại (0912 345 678 hoặc +84912345678)")
        who.add_argument("--email", metavar="ĐỊA_CHỈ")
        who.add_argument("--zalo", metavar="USER_ID", help="user_id Zalo OA")
        parser.add_argument("--plans", nargs="+", default=["plans/"], metavar="PATH",
                            help="thư mục/tệp kế hoạch và danh bạ để tìm người liên hệ (mặc định plans/)")
    export.add_argument("-o", "--output", metavar="FILE", help="ghi JSON vào tệp (quyền 0600) thay vì in ra")
    erase.add_argument("--reason", metavar="LÝ_DO", help="lý do (ghi vào nhật ký, không kèm dữ liệu cá nhân)")
    ledger_options(export)
    ledger_options(erase, actor=True)


def _fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _url(args) -> str:
    from .settings import get_settings

    return args.database or get_settings().database


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def cmd_backup(args) -> int:
    from .ledger import backup

    target = Path(args.file)
    try:
        url = _url(args)
        if backup.backend(url) == "sqlite":
            result = backup.backup_sqlite(url, target, force=args.force)
            print(f"Đã sao lưu sổ theo dõi vào {result.path} ({_size(result.size)}, lược đồ {result.revision}, quyền 0600).")
        else:
            result = backup.backup_postgresql(url, target, force=args.force)
            print(f"Đã sao lưu sổ theo dõi bằng pg_dump vào {result.path} ({_size(result.size)}, quyền 0600).")
            print(f"Lệnh tương đương: {backup.pg_recipe(url, str(target))}")
    except LedgerError as error:
        return _fail(str(error))
    print(f"Khôi phục: commplan restore {target}")
    return EXIT_OK


def cmd_restore(args) -> int:
    from .ledger import backup
    from .ledger.engine import head_revision
    from .ledger.personal import ledger_has_work

    source = Path(args.file)
    try:
        url = _url(args)
        if backup.backend(url) == "sqlite":
            revision = backup.restore_sqlite(url, source, force=args.force)
        else:
            with Ledger(url, migrate=False) as current:
                used = ledger_has_work(current)
            backup.restore_postgresql(url, source, force=args.force, used=used)
            revision = None
        with Ledger(url):  # the normal open: an older backup is upgraded here
            where = _where(url)
    except LedgerError as error:
        return _fail(str(error))
    upgraded = f" (bản sao lưu ở lược đồ {revision}, đã nâng lên {head_revision()})" \
        if revision and revision != head_revision() else ""
    print(f"Đã khôi phục {where} từ {source}{upgraded}.")
    return EXIT_OK


def _where(url: str) -> str:
    from .ledger.backup import place

    return place(url)


def _identity(args):
    from .ledger.personal import Identity
    from .notify import registry
    from .notify.addresses import InvalidPhone, normalise_phone

    on = registry.addressed_by  # the channels that send to each kind of address
    if args.phone is not None:
        try:
            return Identity("phone", normalise_phone(args.phone), on(registry.Contact.PHONE))
        except InvalidPhone:
            raise LedgerError(f"'{args.phone}' không phải số di động Việt Nam") from None
    if args.email is not None:
        value = args.email.strip().lower()
        if "@" not in value:
            raise LedgerError(f"'{args.email}' không phải địa chỉ email")
        return Identity("email", value, on(registry.Contact.EMAIL))
    value = args.zalo.strip()
    if not value.isdigit():
        raise LedgerError(f"'{args.zalo}' không phải user_id Zalo (chỉ gồm chữ số)")
    return Identity("zalo", value, on(registry.Contact.ZALO))


def _local(moment) -> str | None:
    return moment.astimezone(_VN).isoformat() if moment else None


def cmd_contact(args) -> int:
    from .cli_ledger import _actor
    from .ledger.personal import contact_deliveries, erase_contact
    from .plan.contacts import find_contacts

    try:
        identity = _identity(args)
        entries, unreadable = find_contacts(args.plans, identity.kind, identity.value)
        with Ledger.open(args.database) as ledger:
            if args.action == "export":
                deliveries = contact_deliveries(ledger, identity)
            else:
                alias, counts = erase_contact(ledger, identity, reason=args.reason, actor=_actor(args), now=clock.now())
    except LedgerError as error:
        return _fail(str(error))
    for problem in unreadable:
        print(f"cảnh báo: {problem}", file=sys.stderr)
    if args.action == "export":
        return _export(args, identity, entries, deliveries)
    if counts["deliveries"]:
        print(f"Đã xoá {KINDS[identity.kind]} này khỏi sổ theo dõi: {counts['deliveries']} tin nhắn nay mang bí danh "
              f"{alias}, nội dung đã xoá trắng; trạng thái, số lần gửi và ngày gửi giữ nguyên.")
    else:
        print(f"Sổ theo dõi không có tin nhắn nào gửi tới {KINDS[identity.kind]} này.")
    if counts["fallbacks"] or counts["errors"]:
        print(f"Cũng đã thay địa chỉ trong {counts['fallbacks']} tuyến dự phòng và {counts['errors']} thông báo lỗi.")
    print("Minh chứng không bị xoá (không phải dữ liệu cá nhân của người liên hệ).")
    _outbox_file_lines(identity.value)
    if entries:
        print("Danh bạ vẫn ghi địa chỉ này: hãy tự xoá các dòng sau trong tệp nguồn rồi chạy `commplan sync`, "
              "nếu không lần nhắc sau sẽ gửi lại:")
        for entry in entries:
            print(f"  {entry['file']}:{entry['line']}  (đơn vị {entry['unit']}, {KINDS[entry['field']]})")
    else:
        print("Không còn người liên hệ nào mang địa chỉ này trong danh bạ đã đọc.")
    return EXIT_OK


def _outbox_file_lines(value: str) -> None:
    """The file channels' log (outbox.jsonl) is the user's to keep or delete: say where the address remains."""
    from .settings import get_settings

    try:
        path = get_settings().data_dir / "outbox.jsonl"
        lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if value in line]
    except (OSError, UnicodeDecodeError, LedgerError):
        return
    if lines:
        shown = ", ".join(str(n) for n in lines[:10]) + (" …" if len(lines) > 10 else "")
        print(f"Tệp {path} (bản ghi của kênh thử) còn chứa địa chỉ này ở {len(lines)} dòng ({shown}): hãy tự xoá.")


def _export(args, identity, entries, deliveries) -> int:
    document = {
        "identity": {"kind": identity.kind, "value": identity.value},
        "exported_at": _local(clock.now()),
        "directory": entries,
        "deliveries": [
            {"id": d["id"], "unit": d["recipient"], "channel": d["channel"], "address": d["address"],
             "subject": d["subject"], "status": d["status"], "attempts": d["attempts"],
             "created_at": _local(d["created_at"]), "sent_at": _local(d["sent_at"])}
            for d in deliveries
        ],
    }
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if not args.output:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        handle = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as error:
        return _fail(f"không ghi được {args.output}: {error.strerror}")
    print(f"Đã xuất {len(entries)} mục danh bạ và {len(deliveries)} tin nhắn vào {args.output} (quyền 0600).")
    return EXIT_OK

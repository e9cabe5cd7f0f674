"""`commplan units …`: a province's directory of communes from the official list."""

from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def add_parser(sub) -> None:
    units = sub.add_parser("units", help="directories generated from the official list of administrative units")
    actions = units.add_subparsers(dest="units_command", required=True, metavar="ACTION")
    generate = actions.add_parser(
        "generate",
        help="write a province's communes (UBND of each xã, phường, đặc khu, with official codes) as a directory file",
        description="The list in force from 1/7/2025 (34 provinces, communes without districts), "
                    "from the vietnam-provinces package.",
    )
    generate.add_argument("--province", required=True, metavar="CODE", help="official province code, e.g. 38 (Thanh Hóa)")
    generate.add_argument("--parent", metavar="ID",
                          help="the province's UBND already in your directory (e.g. ubnd-thanh-hoa): communes hang "
                               "under it and it is not written again (default: write ubnd-<province>)")
    generate.add_argument("-o", "--output", metavar="FILE",
                          help="write here (default: print); contacts and notes already in FILE are kept")
    actions.add_parser("provinces", help="list the official province codes")


def cmd_units(args) -> int:
    from .plan import official_units as official

    if args.units_command == "provinces":
        for province in official.provinces():
            print(f"{province.code}  {province.name} ({len(province.communes)} đơn vị cấp xã)")
        return EXIT_OK
    try:
        province = official.find_province(args.province)
    except official.UnknownProvince:
        print(f"error: không có tỉnh mã '{args.province}' trong danh mục; xem `commplan units provinces`", file=sys.stderr)
        return EXIT_USAGE
    if args.parent is not None:
        from .plan.values import Problem, parse_id

        try:
            parse_id(args.parent)
        except Problem as exc:
            print(f"error: --parent: {exc.message}", file=sys.stderr)
            return EXIT_USAGE
    keep = {}
    if args.output and Path(args.output).is_file():
        keep, problem = _kept_keys(Path(args.output))
        if problem:
            print(f"error: {args.output}: {problem}; không ghi đè", file=sys.stderr)
            return EXIT_INVALID
    command = " ".join(["commplan units generate", f"--province {province.code}",
                        *([f"--parent {args.parent}"] if args.parent else []),
                        *([f"-o {args.output}"] if args.output else [])])
    text = official.directory_for(province, parent=args.parent, keep=keep, command=command)
    if not args.output:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"error: không ghi được {args.output}: {_why(exc)}", file=sys.stderr)
        return EXIT_INVALID
    print(f"Đã ghi {len(province.communes)} đơn vị cấp xã của {province.name} (mã {province.code}) vào {args.output}.")
    return EXIT_OK


def _kept_keys(path: Path) -> tuple[dict[str, dict], str | None]:
    """Contacts and notes by official code, from a directory file written earlier."""
    from .plan.yaml_source import parse_yaml, read_text

    text, error = read_text(str(path), path.read_bytes())
    if error:
        return {}, error.message
    source, errors = parse_yaml(str(path), text)
    if errors:
        return {}, f"dòng {errors[0].line}: {errors[0].message}"
    units = source.data.get("units") if isinstance(source.data, dict) else None
    if not isinstance(units, list):
        return {}, "không phải tệp danh bạ (thiếu `units`)"
    kept = {}
    for unit in units:
        if isinstance(unit, dict) and unit.get("code") is not None:
            kept[str(unit["code"])] = {k: unit[k] for k in ("contacts", "note") if k in unit}
    return kept, None


__all__ = ["add_parser", "cmd_units"]


def _why(error: OSError) -> str:
    """Why a file could not be written, in Vietnamese for the common cases."""
    import errno

    reasons = {errno.ENOENT: "thư mục không tồn tại", errno.EACCES: "không có quyền ghi",
               errno.EROFS: "ổ đĩa chỉ đọc", errno.EISDIR: "đây là một thư mục", errno.ENOSPC: "ổ đĩa đã đầy"}
    return reasons.get(error.errno, error.strerror or str(error))

"""`commplan units …`: a province's directory of communes from the official list."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..i18n import _
from .arguments import EXIT_INVALID, EXIT_OK, EXIT_USAGE, Subparsers, fail, os_reason


def register(sub: Subparsers) -> None:
    units = sub.add_parser("units", help=_("directories generated from the official list of administrative units"))
    actions = units.add_subparsers(dest="units_command", required=True, metavar="ACTION")
    generate = actions.add_parser(
        "generate",
        help=_("write a province's communes (UBND of each xã, phường, đặc khu, with official codes) as a directory file"),
        description=_("The list in force from 1/7/2025 (34 provinces, communes without districts), "
                      "from the vietnam-provinces package."),
    )
    generate.add_argument("--province", required=True, metavar="CODE", help=_("official province code, e.g. 38 (Thanh Hóa)"))
    generate.add_argument("--parent", metavar="ID",
                          help=_("the province's UBND already in your directory (e.g. ubnd-thanh-hoa): communes hang "
                                 "under it and it is not written again (default: write ubnd-<province>)"))
    generate.add_argument("-o", "--output", metavar="FILE",
                          help=_("write here (default: print); contacts and notes already in FILE are kept"))
    actions.add_parser("provinces", help=_("list the official province codes"))
    units.set_defaults(handler=cmd_units)


def cmd_units(args: argparse.Namespace) -> int:
    from ..plan import official_units as official

    if args.units_command == "provinces":
        for province in official.provinces():
            print(f"{province.code}  {province.name} " + _("({count} communes)").format(count=len(province.communes)))
        return EXIT_OK
    try:
        province = official.find_province(args.province)
    except official.UnknownProvince:
        return fail(_("no province has the code '{code}' in the list; see `commplan units provinces`").format(
            code=args.province), EXIT_USAGE)
    if args.parent is not None:
        from ..plan.values import Problem, parse_id

        try:
            parse_id(args.parent)
        except Problem as exc:
            return fail(f"--parent: {exc.message}", EXIT_USAGE)
    keep: dict[str, dict] = {}
    if args.output and Path(args.output).is_file():
        keep, problem = _kept_keys(Path(args.output))
        if problem:
            return fail(_("{path}: {problem}; not overwritten").format(path=args.output, problem=problem), EXIT_INVALID)
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
        return fail(_("cannot write {path}: {reason}").format(path=args.output, reason=os_reason(exc)), EXIT_INVALID)
    print(_("Wrote the {count} communes of {province} (code {code}) to {path}.").format(
        count=len(province.communes), province=province.name, code=province.code, path=args.output))
    return EXIT_OK


def _kept_keys(path: Path) -> tuple[dict[str, dict], str | None]:
    """Contacts and notes by official code, from a directory file written earlier."""
    from ..plan.yaml_source import parse_yaml, read_text

    text, error = read_text(str(path), path.read_bytes())
    if error or text is None:
        return {}, error.message if error else _("not a directory file (no `units`)")
    source, errors = parse_yaml(str(path), text)
    if errors:
        return {}, _("line {line}: {problem}").format(line=errors[0].line, problem=errors[0].message)
    units = source.data.get("units") if isinstance(source.data, dict) else None
    if not isinstance(units, list):
        return {}, _("not a directory file (no `units`)")
    kept = {}
    for unit in units:
        if isinstance(unit, dict) and unit.get("code") is not None:
            kept[str(unit["code"])] = {k: unit[k] for k in ("contacts", "note") if k in unit}
    return kept, None

"""A province's directory of communes, generated from the official list of administrative units.

The list is the General Statistics Office's (Tổng cục Thống kê) as packaged by
`vietnam-provinces`: the 34 provinces and their communes, wards and special
zones in force from 1/7/2025 (the district level is gone, so every commune's
parent is the province). Each commune becomes one unit, its People's Committee
(the body that owes duties: "UBND các xã"), with the official code in `code`:

    id    ubnd-x-dong-tien-thanh-hoa      type (x, p, dk), name, province: unique
    name  Ủy ban nhân dân xã Đông Tiến    short: UBND xã Đông Tiến
    code  "16045"                         aliases: [Xã Đông Tiến]

Two communes of one province whose names give the same slug (Văn Lăng and Văn
Láng) both get their code appended, so no id depends on the order of the list.
A group `ubnd-cap-xa-<province>` holds every commune: "UBND các xã, phường".

Pure: `directory_for` returns the YAML text; reading files and the command
line live in `commplan.cli.units`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import yaml
from slugify import slugify

from ..i18n import _

# How a commune's type shows in its id and its UBND's name, as the directory's
# districts already do (ubnd-h-…, ubnd-tx-…).
_KINDS = {
    "xã": ("x", "xã"),
    "phường": ("p", "phường"),
    "đặc khu": ("dk", "đặc khu"),
}


class UnknownProvince(ValueError):
    """A province code that is not in the official list."""


@dataclass(frozen=True)
class Commune:
    code: str  # five digits, as the official list writes it
    name: str  # "Xã Đông Tiến"
    kind: str  # xã, phường, đặc khu

    @property
    def proper_name(self) -> str:
        """The name without its type: "Đông Tiến"."""
        prefix = self.kind + " "
        return self.name[len(prefix):] if self.name.lower().startswith(prefix) else self.name


@dataclass(frozen=True)
class Province:
    code: str  # two digits: "38"
    name: str  # "Thanh Hóa", "Thành phố Hà Nội"
    kind: str  # tỉnh, thành phố trung ương
    communes: tuple[Commune, ...]

    @property
    def proper_name(self) -> str:
        prefix = "Thành phố "
        return self.name[len(prefix):] if self.name.startswith(prefix) else self.name

    @property
    def slug(self) -> str:
        return slugify(self.proper_name)

    @property
    def title(self) -> str:
        """"tỉnh Thanh Hóa", "thành phố Hà Nội": as it follows "Ủy ban nhân dân"."""
        word = "thành phố" if self.kind.startswith("thành phố") else "tỉnh"
        return f"{word} {self.proper_name}"


def source() -> str:
    """Which list this is, for the generated file's header: package, version and data date."""
    from importlib.metadata import version

    import vietnam_provinces

    data = str(vietnam_provinces.__data_version__)
    with contextlib.suppress(ValueError):  # a version that is not a date stays as it is
        data = f"{dt.date.fromisoformat(data):%d/%m/%Y}"  # dates as clerks write them
    return _("vietnam-provinces {version} (data of {date})").format(version=version("vietnam-provinces"), date=data)


@lru_cache(maxsize=1)
def provinces() -> tuple[Province, ...]:
    """Every province of the official list, in its order (by code)."""
    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

    data = json.loads(NESTED_DIVISIONS_JSON_PATH.read_text(encoding="utf-8"))
    out = []
    for item in data:
        communes = tuple(
            sorted(
                (Commune(f"{w['code']:05d}", w["name"], w["division_type"]) for w in item["wards"]),
                key=lambda c: c.code,
            )
        )
        out.append(Province(f"{item['code']:02d}", item["name"], item["division_type"], communes))
    return tuple(sorted(out, key=lambda p: p.code))


def find_province(code: str) -> Province:
    wanted = code.strip().lstrip("0") or "0"
    for province in provinces():
        if province.code.lstrip("0") == wanted:
            return province
    raise UnknownProvince(code)


def commune_ids(province: Province) -> dict[str, str]:
    """Official code -> unit id; a slug shared by two communes of the province gets each one's code."""
    base = {c.code: f"ubnd-{_KINDS[c.kind][0]}-{slugify(c.proper_name)}-{province.slug}" for c in province.communes}
    shared = {ident for ident, n in Counter(base.values()).items() if n > 1}
    return {code: f"{ident}-{code}" if ident in shared else ident for code, ident in base.items()}


def group_id(province: Province) -> str:
    return f"ubnd-cap-xa-{province.slug}"


def directory_for(
    province: Province,
    *,
    parent: str | None = None,
    keep: Mapping[str, Mapping[str, object]] | None = None,
    command: str = "",
) -> str:
    """The directory file's text: the province's UBND (unless `parent` names the one a
    directory already has), one unit per commune, and the group of all communes.

    `keep` maps official codes to keys a person added to a unit of an earlier run
    (contacts, note): regenerating never loses them."""
    keep = keep or {}
    province_unit = parent or f"ubnd-{province.slug}"
    units: list[dict[str, object]] = []
    if parent is None:
        units.append(_with_kept({
            "id": province_unit,
            "code": province.code,
            "name": f"Ủy ban nhân dân {province.title}",
            "short": "UBND tỉnh" if province.kind == "tỉnh" else "UBND thành phố",
        }, keep.get(province.code)))
    ids = commune_ids(province)
    for commune in province.communes:
        word = _KINDS[commune.kind][1]
        units.append(_with_kept({
            "id": ids[commune.code],
            "code": commune.code,
            "name": f"Ủy ban nhân dân {word} {commune.proper_name}",
            "short": f"UBND {word} {commune.proper_name}",
            "aliases": _Flow([commune.name]),
            "parent": province_unit,
        }, keep.get(commune.code)))
    kinds = Counter(c.kind for c in province.communes)
    document = {
        "commplan": 1,
        "province": province.slug,
        "units": units,
        "groups": {
            group_id(province): {
                "name": f"UBND các xã, phường, đặc khu {province.title}" if kinds["đặc khu"]
                else f"UBND các xã, phường {province.title}",
                "members": [ids[c.code] for c in province.communes],
            }
        },
    }
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    # the clerk who opens the file reads this: in the reader's language, one comment line per line
    header = _(
        "Directory of the communes of {province} (code {code}): {count} units ({counts}),\n"
        "generated from the official list of administrative units, {source}:\n"
        "the units in force from 1/7/2025, when the district level was abolished.\n"
        "{written_by} {command}\n"
        "Regenerate rather than edit names or codes by hand; contacts and notes added\n"
        "to a unit are kept when the same file is regenerated (matched by code)."
    ).format(province=province.name, code=province.code, count=len(province.communes), counts=counts,
             source=source(), written_by=written_by(),
             command=command or "commplan units generate --province " + province.code)
    body = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120, default_flow_style=False)
    return "\n".join("# " + line for line in header.splitlines()) + "\n" + body


def written_by() -> str:
    """The words before the command in the header ("Written by:"), where a reader finds how to regenerate."""
    return _("Written by:")


class _Flow(list):
    """A short list written on one line: `aliases: [Xã Đông Tiến]`."""


class _Dumper(yaml.SafeDumper):
    """Block style (one member per line, for readable diffs); codes in double quotes, as
    the hand-written directories write phone numbers."""


_Dumper.add_representer(_Flow, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True))
_Dumper.add_representer(
    str,
    lambda d, data: d.represent_scalar("tag:yaml.org,2002:str", data, style='"' if data.isdigit() else None),
)


def _with_kept(unit: dict[str, object], kept: Mapping[str, object] | None) -> dict[str, object]:
    for key in ("contacts", "note"):
        if kept and kept.get(key):
            unit[key] = kept[key]
    return unit

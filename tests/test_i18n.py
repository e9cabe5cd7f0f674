"""The gettext catalogs: complete, in step with the code, and Vietnamese unless asked otherwise."""

from __future__ import annotations

import argparse
import re
import string

import pytest

from commplan import i18n
from commplan.i18n_catalog import extract, problems, read


def test_vietnamese_catalog_is_complete_and_compiled():
    # fails on a marked string nobody translated, a fuzzy guess, or a .mo behind its .po
    assert problems("vi") == []


def _placeholders(text: str) -> list[str]:
    named = sorted(field for _, field, _, _ in string.Formatter().parse(text) if field is not None)
    printf = sorted(re.findall(r"%(?:\([a-z_]+\))?[sdrf]", text))
    return named + printf


def test_every_translation_keeps_the_placeholders_of_its_source():
    # a translator who drops or renames {unit} would make .format() raise at the clerk's desk
    catalog = read("vi")
    checked = 0
    for message in catalog:
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        for target in targets:
            assert isinstance(target, str) and isinstance(sources[-1], str), message.id
            assert _placeholders(target) == _placeholders(sources[-1]), (message.id, target)
            checked += 1
    assert checked >= len(extract())


def test_vietnamese_by_default_whatever_the_server_locale(monkeypatch):
    monkeypatch.delenv("COMMPLAN_LANG", raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert i18n.language() == "vi"
    assert i18n._("options") == "tùy chọn"


@pytest.mark.parametrize("asked, language", [("en", "en"), ("EN", "en"), ("en_US.UTF-8", "en"), ("vi", "vi"),
                                             ("vi_VN", "vi"), ("fr", "vi"), ("", "vi")])
def test_commplan_lang_picks_the_language(monkeypatch, asked, language):
    monkeypatch.setenv("COMMPLAN_LANG", asked)
    assert i18n.language() == language
    assert i18n._("options") == {"en": "options", "vi": "tùy chọn"}[language]


def test_argparse_speaks_the_catalog(monkeypatch, capsys):
    monkeypatch.delenv("COMMPLAN_LANG", raising=False)
    i18n.install_argparse()
    parser = argparse.ArgumentParser(prog="commplan")
    parser.add_argument("--unit", required=True)
    with pytest.raises(SystemExit):
        parser.parse_args([])
    err = capsys.readouterr().err
    assert "cách dùng: commplan" in err
    assert "commplan: lỗi: thiếu các tham số bắt buộc: --unit" in err
    monkeypatch.setenv("COMMPLAN_LANG", "en")
    with pytest.raises(SystemExit):
        parser.parse_args([])
    assert "the following arguments are required: --unit" in capsys.readouterr().err

"""Generated NLU lookups follow the content, and the committed file is not stale."""

from pathlib import Path

import yaml

from asnkarier.services import nlu_lookups
from asnkarier.services.golongan import all_codes
from asnkarier.services.seed import load_content
from tests.conftest import DATA, ROOT

COMMITTED = ROOT / "nlu" / "data" / "nlu" / "generated" / "lookups.yml"


def _parse(text: str) -> dict[str, list[str]]:
    items = yaml.safe_load(text)["nlu"]
    return {
        f"{kind}:{item[kind]}": [line[2:] for line in item["examples"].splitlines()]
        for item in items
        for kind in ("lookup", "synonym")
        if kind in item
    }


def test_lookups_cover_positions_ranks_and_synonyms() -> None:
    parsed = _parse(nlu_lookups.render(load_content(DATA)))
    assert "Analis Kepegawaian" in parsed["lookup:jabatan"]
    assert "Ahli Muda" in parsed["lookup:jenjang"]
    assert {"3c", "III c", "tiga c"} <= set(parsed["synonym:III/c"])
    assert "III/c" not in parsed["synonym:III/c"]
    assert all(f"synonym:{code}" in parsed for code in all_codes())


def test_a_position_added_by_hr_reaches_the_nlu(tmp_path: Path) -> None:
    content = load_content(DATA)
    content.ladders[0] = content.ladders[0].model_copy(update={"name": "Penata Kelola Sistem Baru"})
    target = tmp_path / "lookups.yml"
    assert nlu_lookups.write(content, target)
    assert "Penata Kelola Sistem Baru" in _parse(target.read_text())["lookup:jabatan"]
    assert not nlu_lookups.write(content, target)  # unchanged: no rewrite, no retraining


def test_committed_lookups_match_the_content() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == nlu_lookups.render(load_content(DATA)), (
        "nlu/data/nlu/generated/lookups.yml is stale: run `make train` (or asnbot nlu generate)"
    )


def test_glossary_terms_and_aliases_are_a_lookup_without_synonyms() -> None:
    parsed = _parse(nlu_lookups.render(load_content(DATA)))
    assert {"jp", "jam pelajaran", "tmt", "angka kredit", "e-kinerja"} <= set(
        parsed["lookup:istilah"]
    )
    # No synonym maps a glossary alias: "mahir" must stay the jenjang Mahir.
    assert parsed["synonym:Mahir"] == ["mahir"]
    assert not any(
        "jam pelajaran" in values
        for values in parsed.values()
        if values is not parsed["lookup:istilah"]
    )

"""The rule of nlu/components/unseen_words.py: which messages count as never-seen words."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import yaml

from tests.e2e.stack import NLU


def _vocabulary_module() -> ModuleType:
    # nlu/components is imported by Rasa from nlu/ (its own venv); its rule is plain Python.
    spec = importlib.util.spec_from_file_location(
        "nlu_components_vocabulary", NLU / "components" / "vocabulary.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


vocabulary = _vocabulary_module()


def _training_words() -> set[str]:
    known: set[str] = set()
    for path in (NLU / "data" / "nlu").rglob("*.yml"):
        for item in yaml.safe_load(path.read_text()).get("nlu") or []:
            for line in str(item.get("examples") or "").splitlines():
                known.update(vocabulary.words(line))
    return known


def test_mashing_is_unseen_and_typos_affixes_and_numbers_are_not() -> None:
    v = vocabulary.Vocabulary({"pelatihan", "sertifikat", "jadwal", "workshop", "ikut", "skp"})
    for mash in ("asdfgh jklqwe", "zzzzz", "qwerty uiop", "blablabla"):
        assert not v.understood(mash), mash
    assert v.understood("pelatihn")  # one typo
    assert v.understood("sertifkat")  # one letter missing
    assert v.understood("pelatihannya")  # a suffix on a known word
    assert v.understood("diikutkan?")  # affixes around a 4-letter word
    assert v.understood("asdfgh jadwal")  # one known word is enough
    assert v.understood("482913")  # no words: left to the rest of the pipeline
    assert v.understood("?")
    assert not v.understood("nya kan")  # an affix alone carries no word


def test_every_held_out_message_has_a_seen_word() -> None:
    """The rule must not turn messages people really write into fallbacks."""
    v = vocabulary.Vocabulary(_training_words())
    for name in ("holdout_nlu.yml", "holdout_blind_nlu.yml", "holdout_development_nlu.yml"):
        for item in yaml.safe_load((NLU / "tests" / name).read_text())["nlu"]:
            for line in str(item.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    assert v.understood(line.strip()[2:]), (name, line)

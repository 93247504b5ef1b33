"""Named models of a base: which folder a base searches with, and model identities."""

from __future__ import annotations

import json

import pytest

from config.settings import Settings
from index.embed import model_fingerprint
from index.models import ORIGINAL, active_model, check_name, list_models, model_folder, set_active_model


def _fake_model(folder, weights: bytes) -> None:
    """A folder shaped like a saved sentence-transformers model (config + safetensors weights)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"hidden_size": 8}', "utf-8")
    (folder / "model.safetensors").write_bytes(weights)


def test_the_base_uses_its_chosen_model_unless_the_setting_overrides_it(tmp_path):
    kb_dir = tmp_path / "kb"
    bundled = Settings().model_path()
    assert model_folder(Settings(kb_dir=kb_dir)) == bundled
    _fake_model(kb_dir / "models" / "mine", b"weights")
    set_active_model(kb_dir, "mine")
    assert json.loads((kb_dir / "model.json").read_text("utf-8")) == {"model": "mine"}
    assert model_folder(Settings(kb_dir=kb_dir)) == kb_dir / "models" / "mine"
    assert model_folder(Settings(kb_dir=kb_dir, embedding_model=str(bundled))) == bundled  # explicit wins
    assert [m.name for m in list_models(kb_dir)] == ["mine"]
    set_active_model(kb_dir, None)
    assert active_model(kb_dir) is None and model_folder(Settings(kb_dir=kb_dir)) == bundled


def test_a_chosen_model_that_disappeared_is_a_clear_error(tmp_path):
    set_active_model(tmp_path, "gone")
    with pytest.raises(ValueError, match="no model named 'gone'"):
        model_folder(Settings(kb_dir=tmp_path))
    (tmp_path / "model.json").write_text("{not json", "utf-8")
    with pytest.raises(ValueError, match="unreadable"):
        active_model(tmp_path)


@pytest.mark.parametrize("name", ["", ORIGINAL, "../up", "a/b", ".hidden", "x" * 65])
def test_model_names_are_checked(name):
    with pytest.raises(ValueError):
        check_name(name)


def test_fingerprints_follow_tuned_weights_but_not_the_tuning_record(tmp_path):
    _fake_model(tmp_path / "m", b"first weights")
    first = model_fingerprint(tmp_path / "m")
    (tmp_path / "m" / "tune.json").write_text('{"better": true}', "utf-8")
    assert model_fingerprint(tmp_path / "m") == first  # writing the record keeps the cached vectors valid
    (tmp_path / "m" / "model.safetensors").write_bytes(b"other weights")  # same size, retrained
    assert model_fingerprint(tmp_path / "m") != first

"""Tool sets with WASM plugins from Python: the same options and rules as the CLI's flags."""

import pathlib

import pytest

import dwim

DIST = pathlib.Path(__file__).resolve().parents[2] / "tools-wasm" / "dist"


def test_a_session_calls_plugins(scene_png):
    s = dwim.Session(image=scene_png, plugins=[DIST])
    assert {"brightness", "find_color", "normalize_answer"} <= set(s.tools().names)
    assert s.step("b = brightness(image)").ok
    r = s.step('answer normalize_answer("The Answer")')
    assert r.ok and r.answer == "answer", r
    origins = {t["name"]: t for t in s.trace()[0]["tool_set"]["tools"]}
    assert origins["brightness"]["kind"] == "wasm", origins["brightness"]


def test_a_broken_plugin_is_a_warning(tmp_path):
    (tmp_path / "broken.wasm").write_bytes(b"not wasm")
    ts = dwim.tools(plugins=[tmp_path])
    assert any("E410" in w and "broken.wasm" in w for w in ts.warnings), ts.warnings


def test_a_name_taken_twice_is_e506_unless_overridden():
    with pytest.raises(dwim.DwimError) as e:
        dwim.tools("benchmark", plugins=[DIST / "perception"])
    assert e.value.code == "E506" and "--override" in e.value.help
    ts = dwim.tools("benchmark", plugins=[DIST / "perception"], overrides=["*"])
    assert "detect" in ts.names


def test_the_benchmark_as_plugins(scene_png):
    assert dwim.tools("benchmark-wasm").names == dwim.tools("benchmark").names
    assert dwim.Session(image=scene_png, tools="benchmark-wasm").step('answer color(first(segment(image)))').ok

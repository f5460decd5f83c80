"""Sessions from Python: steps, rejected steps, checks, runs, traces, tool sets, inputs, errors."""

import io
import json

import numpy as np
import pytest

import dwim
from conftest import scene


def test_steps_build_on_each_other(scene_png):
    s = dwim.Session(image=scene_png, tools="benchmark")
    r = s.step("objs = segment(image)")
    assert r.ok and r.kind == "assign", r
    assert r.observation.startswith("objs = [region("), r.observation
    assert r.type.startswith("list") and isinstance(r.value, (list, dict))
    r = s.step('red = filter(objs, o -> color(o) == "red")')
    assert r.ok, r
    r = s.step("answer count(red)")
    assert r.ok and r.kind == "answer" and r.answer == 2 and s.answer == 2, r
    assert r.observation == "answer: 2"
    assert s.steps_run == 3
    # The same JSON `dwim session` prints for a step.
    assert r.raw["op"] == "step" and r.raw["records"][0]["schema"] == "dwim.trace/1"


def test_arithmetic_without_an_image():
    s = dwim.Session()
    r = s.step("x = 1 + 1")
    assert r.ok and r.value == 2 and r.type == "number" and r.observation == "x = 2", r
    assert s.answer is None


def test_a_rejected_step_has_its_diagnostic_and_changes_nothing(scene_png):
    s = dwim.Session(image=scene_png, tools="benchmark")
    r = s.step("n = count(objects")
    assert not r.ok and r.kind == "rejected"
    d = r.error
    assert d.code == "E001" and d.message
    assert isinstance(d.line, int) and isinstance(d.col, int) and d.expected, d
    assert s.steps_run == 0
    r = s.step("answer len(nosuch)")
    assert not r.ok and r.error.code == "E107" and r.error.help is None or isinstance(r.error.help, str)
    assert s.step("answer len(segment(image))").ok


def test_a_step_that_fails_at_run_time_reports_the_error():
    s = dwim.Session()
    r = s.step("x = [1, 2][5]")
    assert not r.ok and r.kind == "assign" and r.error is not None and r.error.code.startswith("E2"), r
    assert r.observation.startswith("error:")


def test_check_runs_nothing(scene_png):
    s = dwim.Session(image=scene_png, tools="benchmark")
    c = s.check("answer len(nosuch)")
    assert not c and c.diagnostics[0].code == "E107"
    assert s.check("answer len(segment(image))").ok
    assert s.steps_run == 0 and s.trace() == []


def test_run_a_whole_program(scene_png):
    s = dwim.Session(image=scene_png, tools="benchmark")
    r = s.run('objects = segment(image)\nred = filter(objects, o -> color(o) == "red")\nanswer count(red)\n')
    assert r.ok and r.answer == 2 and len(r.records) == 3, r
    assert [rec["kind"] for rec in r.records] == ["assign", "assign", "answer"]


def test_trace_records(scene_png):
    s = dwim.Session(image=scene_png, tools="benchmark")
    s.step("objs = segment(image)")
    s.step("oops(")
    s.step("answer len(objs)")
    t = s.trace()
    assert [r["kind"] for r in t] == ["assign", "rejected", "answer"]
    assert all(r["schema"] == "dwim.trace/1" for r in t)
    assert t[0]["tool_set"]["set"].startswith("benchmark"), t[0]
    assert t[0]["tool"] == "segment" and t[2]["result"]["value"] == 3
    json.dumps(t)


def test_tools_and_prompt():
    ts = dwim.tools("benchmark")
    assert {"segment", "detect", "color"} <= set(ts.names), ts.names
    assert "detect(" in ts.prompt and ts.fingerprint
    assert ts.set.startswith("benchmark")
    assert "detect" not in dwim.tools().names
    s = dwim.Session(tools="benchmark")
    assert s.tools().fingerprint == ts.fingerprint


def test_check_a_program():
    assert dwim.check("answer len(segment(image))", tools="benchmark").ok
    c = dwim.check("answer detect(image, 3)", tools="builtin")
    assert not c.ok and c.diagnostics[0].code.startswith("E1"), c
    c = dwim.check("answer (", tools="benchmark")
    assert not c.ok and c.diagnostics[0].code == "E001" and c.diagnostics[0].expected
    assert dwim.check("answer len(segment(left))", inputs=["left"], tools="benchmark").ok
    assert not dwim.check("n = 1", require_answer=True).ok


@pytest.mark.parametrize("kind", ["path", "str", "bytes", "numpy", "pil"])
def test_image_kinds(kind, scene_png, scene_array):
    from PIL import Image

    image = {
        "path": scene_png,
        "str": str(scene_png),
        "bytes": scene_png.read_bytes(),
        "numpy": scene_array,
        "pil": Image.open(scene_png),
    }[kind]
    s = dwim.Session(image=image, tools="benchmark")
    r = s.step("answer count(segment(image))")
    assert r.ok and r.answer == 3, (kind, r)


def test_jpeg_bytes_and_rgba_pil(scene_array):
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(scene_array).save(buf, format="JPEG", quality=95)
    assert dwim.Session(image=buf.getvalue(), tools="benchmark").step("answer count(segment(image))").answer == 3
    rgba = Image.fromarray(scene_array).convert("RGBA")
    assert dwim.Session(image=rgba, tools="benchmark").step("answer count(segment(image))").answer == 3


def test_two_named_images():
    left = scene(objects=(("red", (10, 10, 60, 60)),))
    right = scene(objects=(("blue", (10, 10, 60, 60)), ("blue", (100, 100, 150, 150))))
    s = dwim.Session(images={"left": left, "right": right}, tools="benchmark")
    assert s.inputs == ["left", "right"]
    r = s.step("answer count(segment(left)) + count(segment(right))")
    assert r.ok and r.answer == 3, r
    assert s.check("answer count(segment(image))").diagnostics[0].code == "E107"


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"tools": "nosuch"}, "E505"),
        ({"plugins": ["/nonexistent/plugins"]}, "E505"),
        ({"device": "tpu"}, "E505"),
        ({"native": "/nonexistent/models"}, "E505"),
        ({"image": "/nonexistent/scene.png"}, "E501"),
        ({"image": b"not an image"}, "E402"),
        ({"image": np.zeros((4, 4), dtype=np.uint8)}, "E402"),
        ({"image": np.zeros((4, 4, 3), dtype=np.float32)}, "E402"),
        ({"image": 42}, "E505"),
        ({"images": {"not a name": b""}}, "E505"),
        ({"images": {"answer": b""}}, "E505"),
        ({"images": {"true": b""}}, "E505"),
    ],
)
def test_bad_inputs_raise_with_a_code(kwargs, code):
    with pytest.raises(dwim.DwimError) as e:
        dwim.Session(**kwargs)
    assert e.value.code == code, e.value
    assert e.value.message


def test_too_many_pixels_is_e310():
    big = np.zeros((5000, 4000, 3), dtype=np.uint8)
    with pytest.raises(dwim.DwimError) as e:
        dwim.Session(image=big)
    assert e.value.code == "E310"
    assert dwim.Session(image=big, strict=False).step("answer 1").ok


def test_errors_from_module_functions():
    with pytest.raises(dwim.DwimError) as e:
        dwim.tools("nosuch")
    assert e.value.code == "E505" and json.loads(e.value.diagnostic)["code"] == "E505"


def test_the_installed_wheel_is_tested():
    import pathlib

    pkg = pathlib.Path(dwim.__file__).parent
    assert "site-packages" in str(pkg), pkg
    assert (pkg / "py.typed").exists() and (pkg / "_dwim.pyi").exists()
    assert dwim.__version__


def test_requests_are_bounded_as_over_the_pipe():
    # Strict limits: 32 steps, so at most 32 * 16 = 512 steps and checks, rejected ones included.
    s = dwim.Session()
    for _ in range(512):
        assert s.step("oops(").kind == "rejected"
    r = s.step("answer 1")
    assert not r.ok and r.error.code == "E301" and r.records == [], r
    assert s.check("answer 1").diagnostics[0].code == "E301"
    assert len(s.trace()) == 512


def test_hostile_programs_end_in_limit_codes_and_the_session_goes_on(scene_array):
    s = dwim.Session(image=scene_array, tools="benchmark")
    # Nesting a hundred thousand deep: refused by a limit, not a crash of the interpreter.
    r = s.step("answer " + "(" * 100000 + "1" + ")" * 100000)
    assert not r.ok and r.error.code.startswith("E3"), r
    # A value that doubles at every step: the step that builds it past the size limit is refused.
    assert s.step("a = [1]").ok
    codes = []
    for _ in range(64):
        r = s.step("a = [a, a]")
        if not r.ok:
            codes.append(r.error.code)
            break
    assert codes and codes[0].startswith("E3"), codes
    # A step text over the source limit.
    r = s.step("x = " + "1 + " * 3_000_000 + "1")
    assert not r.ok and r.error.code.startswith("E3"), r
    # The session is still usable.
    r = s.step("answer len(segment(image))")
    assert r.ok and r.answer == 3, r

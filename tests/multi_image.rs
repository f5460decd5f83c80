//! Questions about several images (NLVR2-style pairs): each image bound to its own name, known to
//! the checker, the run and the trace.

use dwim::world::demo::{draw_objects, Object};
use std::process::Command;

fn dwim(args: &[&str], dir: &std::path::Path) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_dwim")).args(args).current_dir(dir).env("DWIM_MODELS", dir.join("no-models")).output().unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn a_program_over_a_left_and_a_right_image() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    draw_objects(320, 240, &[Object::new("circle", "red", [20, 20, 70, 70]), Object::new("square", "red", [150, 100, 210, 160])]).save(d.join("a.png")).unwrap();
    draw_objects(320, 240, &[Object::new("circle", "blue", [20, 20, 70, 70])]).save(d.join("b.png")).unwrap();
    std::fs::write(d.join("pair.wf"), "l = segment(left)\nr = segment(right)\nanswer len(l) > len(r)\n").unwrap();

    // The checker knows the names it is told, and not `image` then.
    let (code, _, err) = dwim(&["check", "pair.wf"], d);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E107") && err.contains("left"), "{err}");
    let (code, out, err) = dwim(&["check", "pair.wf", "--input", "left", "--input", "right"], d);
    assert_eq!(code, 0, "{out}{err}");

    let (code, out, err) = dwim(&["run", "pair.wf", "--image", "left=a.png", "--image", "right=b.png", "--trace", "t.jsonl", "--format", "json"], d);
    assert_eq!(code, 0, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["answer"], true);
    let trace = std::fs::read_to_string(d.join("t.jsonl")).unwrap();
    assert!(trace.contains("segment(left)") && trace.contains("segment(right)"), "{trace}");

    // Swapped, the answer changes: the names really are bound to their files.
    let (_, out, _) = dwim(&["run", "pair.wf", "--image", "left=b.png", "--image", "right=a.png", "--format", "json"], d);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["answer"], false);

    // Bad specs are usage errors.
    for bad in [vec!["--image", "a.png", "--image", "b.png"], vec!["--image", "left=a.png", "--image", "left=b.png"], vec!["--image", "answer=a.png"]] {
        let mut args = vec!["run", "pair.wf"];
        args.extend(bad.iter().copied());
        let (code, _, err) = dwim(&args, d);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(err.contains("E505"), "{bad:?}: {err}");
    }
}

//! The incremental Session API: feed one step at a time, keep the environment, reject bad steps
//! without changing anything, and write one trace record per step.

use dwim::trace::{TraceRecord, TraceWriter};
use dwim::value::Image;
use dwim::world::demo::{draw_objects, Object};
use dwim::{Code, Limits, Registry, Session, Value};
use std::sync::{Arc, Mutex};

fn scene() -> Value {
    let objs = [Object::new("circle", "red", [20, 20, 70, 70]), Object::new("square", "blue", [150, 100, 210, 160])];
    Value::Image(Image::from_rgb(draw_objects(320, 240, &objs)))
}

/// A writer whose bytes the test can read back.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);
impl std::io::Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn steps_fed_one_at_a_time_share_the_environment() {
    let registry = Registry::builtin();
    let buf = Shared::default();
    let mut s = Session::new(&registry, Limits::strict()).with_trace(TraceWriter::to_writer(buf.clone()));
    s.bind("image", scene());

    let o = s.feed("objs = segment(image)").unwrap();
    assert_eq!(o.len(), 1);
    assert!(o[0].record.observation.starts_with("objs = [region(20, 20, 70, 70, \"red circle\")"), "{}", o[0].record.observation);

    // A step that does not check is rejected with diagnostics and changes nothing.
    let err = s.feed("n = count(objects)").unwrap_err();
    assert_eq!(err[0].code, Code::E107);
    assert_eq!(err[0].help.as_deref(), Some("did you mean `objs`?"));
    assert!(!s.env().contains_key("n"));

    // A step that fails at runtime is recorded with its error; the session goes on.
    let o = s.feed("x = objs[7]").unwrap();
    assert_eq!(o[0].error().unwrap().code, Code::E202);
    assert!(!s.env().contains_key("x"));

    let o = s.feed("blue = filter(objs, o -> color(o) == \"blue\")\nanswer shape(blue[0])").unwrap();
    assert_eq!(o.len(), 2);
    assert!(matches!(s.answer(), Some(Value::Text(t)) if t.as_ref() == "square"));

    // Nothing may follow the answer.
    assert_eq!(s.feed("y = 1").unwrap_err()[0].code, Code::E109);

    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let recs: Vec<TraceRecord> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = recs.iter().map(|r| &*r.kind).collect();
    assert_eq!(kinds, ["assign", "rejected", "assign", "assign", "answer", "rejected"]);
    assert_eq!(recs.iter().map(|r| r.step).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5]);
    assert!(recs.iter().all(|r| &*r.run_id == s.run_id()));
    // Fed steps keep line numbers within the session transcript.
    assert_eq!(recs[4].loc.line, 4, "{:?}", recs[4]);
    assert_eq!(recs[3].calls.iter().filter(|c| c.tool == "color").count(), 2);
}

#[test]
fn the_strict_preset_bounds_a_model_written_session() {
    let registry = Registry::builtin();
    let mut s = Session::new(&registry, Limits::strict());
    s.bind("image", scene());
    let max = Limits::strict().max_steps;
    for i in 0..max {
        s.feed(&format!("v{i} = {i}")).unwrap();
    }
    let o = s.feed("one_more = 1").unwrap();
    assert_eq!(o[0].error().unwrap().code, Code::E301);
}

#[test]
fn types_learned_at_run_time_inform_later_checks() {
    let registry = Registry::builtin();
    let mut s = Session::new(&registry, Limits::default());
    s.bind("image", scene());
    s.feed("r = first(segment(image))").unwrap();
    let err = s.feed("answer r.colour").unwrap_err();
    assert_eq!(err[0].code, Code::E112);
    assert!(err[0].help.as_deref().unwrap().contains("label"));
}

#[test]
fn a_chunk_with_many_errors_lists_the_cap_and_counts_the_rest() {
    let registry = Registry::builtin();
    let limits = Limits::strict();
    let mut s = Session::new(&registry, limits.clone());
    let text: String = (0..200).map(|i| format!("v{i} = nosuchtool{i}(1); ")).collect();
    for result in [s.check(&text).unwrap_err(), s.feed(&text).unwrap_err()] {
        assert_eq!(result.len(), limits.max_diagnostics);
        assert!(result.iter().all(|d| d.code == Code::E101));
        let help = result.last().and_then(|d| d.help.clone()).unwrap_or_default();
        assert!(help.contains("150 more errors not listed"), "{help}");
    }
}

#[test]
fn a_rejected_step_keeps_at_most_the_source_limit_of_its_text() {
    let registry = Registry::builtin();
    let mut conv = dwim::conversation::Conversation::new(Session::new(&registry, Limits::strict()).keep_records(), &registry);
    let big = format!("x = 1 {}", "a".repeat(1 << 20));
    let reply = conv.request(&serde_json::json!({"op": "step", "text": big}));
    assert_eq!(reply["diagnostics"][0]["code"], "E307", "{}", &reply.to_string()[..300]);
    let kept = conv.records().last().unwrap().source.len();
    assert!(kept < Limits::strict().max_source_bytes + 100, "{kept} bytes kept");
    assert!(reply.to_string().len() < 2 * Limits::strict().max_source_bytes + 4096);
    assert!(conv.records().last().unwrap().source.ends_with(&format!("({} bytes in all)", big.len())));
}

#[test]
fn a_rejected_chunk_leaves_the_scope_as_it_was() {
    let registry = Registry::builtin();
    let mut s = Session::new(&registry, Limits::default());
    s.bind("image", scene());
    s.feed("x = 1").unwrap();
    // The chunk assigns `y` and re-types `x` before its error: neither may survive the rejection.
    let err = s.feed("y = 2\nx = \"text\"\nz = nosuch").unwrap_err();
    assert_eq!(err[0].code, Code::E107, "{err:?}");
    let err = s.check("answer y").unwrap_err();
    assert_eq!(err[0].code, Code::E107, "`y` came from a rejected chunk: {err:?}");
    s.check("answer x + 1").expect("`x` is still a number");
    // An accepted chunk that assigns a name twice keeps the last type.
    s.feed("w = 1\nw = \"a\"").unwrap();
    assert!(s.check("answer w + 1").is_err(), "`w` is text now");
    s.check("answer upper(w)").unwrap();
}

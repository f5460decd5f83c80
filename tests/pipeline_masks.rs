//! Action flagging and instruct masks on a real collected-style workflow: κ per step, the samples
//! each mode builds, and tokenized labels that decode back to exactly the target actions.

mod common;

use common::*;
use dwim::pipeline::flag::flag_steps;
use dwim::pipeline::mask::{samples, Mode};
use dwim::pipeline::render::{system_prompt, PLACEHOLDER};
use dwim::pipeline::tokenize::{decode_targets, encode, IGNORE};
use dwim::pipeline::Workflow;
use dwim::value::Image;
use dwim::{Limits, Registry, Session, Value};

const PROGRAM: &str = "pinks = filter(segment(image, min_area=5000), o -> color(o) == \"pink\")
extra = count(segment(image))
rethink \"no pink object was found although the question presumes one; segment everything\"
pinks = filter(segment(image), o -> color(o) == \"pink\")
bad = pinks[9]
answer to_yesno(shape(pinks[0]) == \"circle\")";

fn workflow() -> Workflow {
    let text = std::fs::read_to_string(root().join("programs/rethink_pink.wf")).unwrap();
    let img = Image::from_rgb(dwim::world::demo::draw_objects(320, 240, &scene_from_header(&text).unwrap()));
    let registry = Registry::builtin();
    let mut s = Session::new(&registry, Limits::strict());
    s.bind("image", Value::Image(img));
    let mut steps = Vec::new();
    for line in PROGRAM.lines() {
        steps.extend(s.feed(line).unwrap().into_iter().map(|o| o.record));
    }
    let mut wf = Workflow {
        schema: "dwim.workflow/1".into(),
        id: "q1".into(),
        question: "Is the pink object round?".into(),
        family: "attribute".into(),
        image: "x.png".into(),
        images: Default::default(),
        answer: "yes".into(),
        teacher: "test".into(),
        dw: true,
        viable: true,
        given: s.answer().map(|v| v.to_json()),
        discrepancy: None,
        teacher_error: None,
        steps,
    };
    flag_steps(&mut wf.steps, None);
    wf
}

fn reasons(wf: &Workflow) -> Vec<&str> {
    wf.steps.iter().map(|r| r.flag.as_ref().unwrap().reason.as_deref().unwrap_or("effective")).collect()
}

#[test]
fn kappa_marks_errors_tool_failures_and_dead_steps() {
    let wf = workflow();
    assert_eq!(wf.given, Some("yes".into()));
    assert_eq!(reasons(&wf), ["tool_failure", "no_effect", "effective", "effective", "error", "effective"]);
    // The collector can name the trigger itself.
    let mut steps = wf.steps.clone();
    flag_steps(&mut steps, Some(&[1]));
    assert_eq!(steps[1].flag.as_ref().unwrap().reason.as_deref(), Some("tool_failure"));
    assert_eq!(steps[0].flag.as_ref().unwrap().reason.as_deref(), Some("no_effect"));
}

#[test]
fn each_mode_targets_the_right_steps() {
    let wf = workflow();
    let sys = system_prompt("(tools)");
    let im = samples(&wf, Mode::Im, &sys, 0);
    assert_eq!(im.iter().map(|s| s.step.unwrap()).collect::<Vec<_>>(), [3, 4, 6]);
    let s = &im[1];
    assert_eq!(s.targets(), ["pinks = filter(segment(image), o -> color(o) == \"pink\")\n"]);
    let ctx = &s.segments[0].text;
    assert!(ctx.contains(&format!("Step 4: {PLACEHOLDER}\n")) && ctx.ends_with("Your solution to Step 4: "));
    assert!(ctx.contains("Step 5: bad = pinks[9]") && ctx.contains("Result 5: error: "), "ineffective steps stay as context");
    assert!(!ctx.contains("Step 4: pinks"), "the target is masked out of the context");

    let rethink = samples(&wf, Mode::Rethink, &sys, 0);
    assert_eq!(rethink.iter().map(|s| s.step.unwrap()).collect::<Vec<_>>(), [1, 3, 4, 6]);
    let sft = samples(&wf, Mode::Sft, &sys, 0);
    assert_eq!(sft.len(), 1);
    assert_eq!(sft[0].targets().len(), 6);
    let random = samples(&wf, Mode::Random, &sys, 7);
    assert_eq!(random.len(), 3);
    assert_ne!(random.iter().map(|s| s.step).collect::<Vec<_>>(), im.iter().map(|s| s.step).collect::<Vec<_>>(), "seed 7 picks other steps");
    assert_eq!(samples(&wf, Mode::Random, &sys, 7), random, "deterministic for a seed");

    let not_viable = Workflow { viable: false, ..wf };
    assert!(samples(&not_viable, Mode::Im, &sys, 0).is_empty());
}

#[test]
fn labels_decode_to_exactly_the_targets() {
    let wf = workflow();
    let sys = system_prompt(&Registry::builtin().prompt());
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.txt");
    let all: Vec<_> = [Mode::Im, Mode::Sft, Mode::Random, Mode::Rethink].iter().flat_map(|m| samples(&wf, *m, &sys, 3)).collect();
    std::fs::write(&corpus, all.iter().map(|s| s.text()).collect::<Vec<_>>().join("\n")).unwrap();
    let tok = dwim::tokenizer::train_bpe(&[corpus.as_path()], 600).unwrap();
    for s in &all {
        let e = encode(s, &tok, 100_000).unwrap().unwrap();
        assert_eq!(e.input_ids.len(), e.labels.len());
        let want: Vec<String> = s.targets().iter().map(|t| t.to_string()).collect();
        assert_eq!(decode_targets(&e, &tok).unwrap(), want, "{}", s.id);
        assert!(e.labels.iter().filter(|&&l| l != IGNORE).count() < e.labels.len() / 2);
    }
    // Truncation keeps targets and drops context from the front.
    let e = encode(&all[0], &tok, 40).unwrap().unwrap();
    assert_eq!(e.input_ids.len(), 40);
    assert_eq!(decode_targets(&e, &tok).unwrap(), [all[0].targets()[0].to_string()]);
    assert!(encode(&all[0], &tok, 3).unwrap().is_none());
}

#[test]
fn chat_export_puts_exactly_the_targets_in_assistant_turns() {
    let wf = workflow();
    let sys = system_prompt("(tools)");
    for m in [Mode::Im, Mode::Sft] {
        for s in samples(&wf, m, &sys, 0) {
            let j = dwim::pipeline::export::chat_json(&s, &sys);
            let msgs = j["messages"].as_array().unwrap();
            assert_eq!(msgs[0]["role"], "system");
            let assistant: Vec<String> = msgs.iter().filter(|m| m["role"] == "assistant").map(|m| m["content"].as_str().unwrap().to_string() + "\n").collect();
            assert_eq!(assistant, s.targets().iter().map(|t| t.to_string()).collect::<Vec<_>>());
            assert!(!msgs[1]["content"].as_str().unwrap().starts_with("You answer"));
        }
    }
}

#[test]
fn prefix_context_shows_only_earlier_steps() {
    use dwim::pipeline::mask::{samples_with, Context};
    let wf = workflow();
    let sys = system_prompt("(tools)");
    let s = samples_with(&wf, Mode::Im, Context::Prefix, &sys, 0);
    assert_eq!(s.iter().map(|s| s.step.unwrap()).collect::<Vec<_>>(), [3, 4, 6]);
    let ctx = &s[1].segments[0].text;
    assert!(ctx.ends_with(&format!("Step 4: {PLACEHOLDER}\nYour solution to Step 4: ")), "{ctx}");
    assert!(ctx.contains("Step 2: extra = count(segment(image))"), "ineffective earlier steps stay as context");
    assert!(!ctx.contains("Step 5"), "no later steps");
    assert_eq!(s[1].targets(), samples(&wf, Mode::Im, &sys, 0)[1].targets());
}

#[test]
fn a_workflow_too_long_or_too_large_to_mask_is_e311_at_once() {
    let wf = workflow();
    let limits = Limits::strict();
    assert!(dwim::pipeline::mask::check_workflow(&wf, &limits).is_ok());
    // 1,600 steps (the quadratic case: every masked step's sample repeats the whole workflow).
    let mut long = wf.clone();
    let step = long.steps[0].clone();
    long.steps = (0..1600).map(|i| dwim::trace::TraceRecord { step: i, ..step.clone() }).collect();
    let t0 = std::time::Instant::now();
    let e = dwim::pipeline::mask::check_workflow(&long, &limits).unwrap_err();
    assert_eq!(e.code, dwim::Code::E311);
    assert!(e.message.contains("1600 steps"), "{}", e.message);
    // Few steps, but one observation of 10 MB.
    let mut big = wf.clone();
    big.steps[0].observation = "x".repeat(10 << 20);
    let e = dwim::pipeline::mask::check_workflow(&big, &limits).unwrap_err();
    assert_eq!(e.code, dwim::Code::E311);
    assert!(t0.elapsed() < std::time::Duration::from_secs(5), "the checks are linear");
}

/// Encoding tokenizes at most a window from the sample's end: the same samples as encoding all of
/// it where the window holds the sample, and a 3.9 MB question (within the 4 MiB record check;
/// 6 s and 1.8 GB a workflow before) costs what its last `max_len` tokens cost.
#[test]
fn encoding_tokenizes_only_what_a_sample_can_keep() {
    use dwim::pipeline::tokenize::{encode_within, window_bytes};
    let wf = workflow();
    let sys = system_prompt(&Registry::builtin().prompt());
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.txt");
    let all: Vec<_> = [Mode::Im, Mode::Sft, Mode::Rethink].iter().flat_map(|m| samples(&wf, *m, &sys, 3)).collect();
    std::fs::write(&corpus, all.iter().map(|s| s.text()).collect::<Vec<_>>().join("\n")).unwrap();
    let tok = dwim::tokenizer::train_bpe(&[corpus.as_path()], 600).unwrap();
    for max_len in [40, 120, 512, 4096] {
        let window = window_bytes(&tok, max_len);
        for s in &all {
            let whole = encode(s, &tok, max_len).unwrap();
            let within = encode_within(s, &tok, max_len, window).unwrap();
            assert_eq!(whole.map(|e| (e.input_ids, e.labels)), within.map(|e| (e.input_ids, e.labels)), "{} at {max_len}", s.id);
        }
    }
    let mut big = wf.clone();
    big.question = "abcdefghij".repeat(390_000);
    assert!(dwim::pipeline::mask::check_workflow(&big, &Limits::strict()).is_ok(), "within the record check");
    let t0 = std::time::Instant::now();
    for s in samples(&big, Mode::Im, &sys, 3) {
        let e = encode_within(&s, &tok, 512, window_bytes(&tok, 512)).unwrap().expect("the targets fit");
        assert_eq!(e.input_ids.len(), 512);
        let want: Vec<String> = s.targets().iter().map(|t| t.to_string()).collect();
        assert_eq!(decode_targets(&e, &tok).unwrap(), want);
    }
    assert!(t0.elapsed() < std::time::Duration::from_secs(5), "took {:?}", t0.elapsed());
}

#[test]
fn tokenizer_training_on_one_huge_line_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.txt");
    // 2 MB without a single space: one "word" that BPE would otherwise walk on every merge.
    std::fs::write(&corpus, "abcdefghij".repeat(200_000) + "\n").unwrap();
    let t0 = std::time::Instant::now();
    let tok = dwim::tokenizer::train_bpe(&[corpus.as_path()], 400).unwrap();
    assert!(tok.get_vocab_size(true) <= 400);
    assert!(t0.elapsed() < std::time::Duration::from_secs(60), "took {:?}", t0.elapsed());
}

//! `Policy::open("openai:URL#MODEL")`: a policy behind an OpenAI-compatible chat endpoint writes one
//! step per turn. Against a scripted server on loopback (real HTTP, the requests inspected) and,
//! when installed, llama.cpp's server with SmolLM2-135M.
#![cfg(feature = "train")]

#[path = "common/skip.rs"]
mod skip_log;
use dwim::agent::{run_episode_with, shots, EpisodeOptions, Policy};
use dwim::value::Image;
use dwim::world::demo::{draw_objects, Object};
use dwim::{Code, Limits};

fn scene() -> Image {
    let objs = [Object::new("circle", "red", [20, 20, 70, 70]), Object::new("square", "red", [150, 100, 210, 160]), Object::new("circle", "blue", [240, 20, 300, 80])];
    Image::from_rgb(draw_objects(320, 240, &objs))
}

#[path = "common/chat.rs"]
mod chat;
use chat::scripted;

#[test]
fn an_endpoint_policy_answers_in_the_step_result_protocol() {
    let tools = dwim::tools::bench::benchmark();
    // Step 2 is rejected by the checker (unknown tool), the retry is accepted.
    let (url, requests) = scripted(vec!["objects = segment(image)", "Step 2: red = filter(objects, o -> colour(o) == \"red\")", "red = filter(objects, o -> color(o) == \"red\")", "```\nanswer count(red)\n```"]);
    let mut policy = Policy::open(&format!("openai:{url}#tiny"), &Limits::strict()).unwrap();
    assert_eq!(policy.name(), format!("openai:{url}#tiny"));
    let examples = shots::from_programs(std::path::Path::new("programs"), 2, &tools, "How many red objects are there?").unwrap();
    assert_eq!(examples.len(), 2);
    assert!(examples.iter().all(|e| !e.contains("How many red objects are there?")), "the question being answered is never a shot");
    policy.set_shots(examples, 2);
    let ep = run_episode_with(&policy, &tools, scene(), "How many red objects are there?", &EpisodeOptions { max_steps: 6, tries: 1 }, None).unwrap();
    assert_eq!(ep.answer.map(|a| a.describe()), Some("2".to_string()));
    assert_eq!(ep.records.iter().filter(|r| r.kind == "rejected").count(), 1);

    let requests = requests.lock().unwrap();
    assert_eq!(requests.len(), 4);
    let system = requests[0]["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("segment(image: image|region, min_area: number = 20) -> list[region]") && system.contains("Example 1.") && system.contains("Result 1:"), "{system}");
    assert_eq!(requests[0]["model"], "tiny");
    // The rejected step's diagnostics come back as JSON; the results as `Result k:`.
    let last = requests[2]["messages"].as_array().unwrap();
    let rejected = last.iter().rev().find(|m| m["role"] == "user").unwrap()["content"].as_str().unwrap();
    assert!(rejected.contains("That step was rejected: {") && rejected.contains("\"code\":\"E101\""), "{rejected}");
    let text = requests[3]["messages"].to_string();
    assert!(text.contains("Result 1: objects = [region("), "{text}");
    assert!(!text.contains("Target answer"), "a policy is never shown the answer: {text}");
}

#[test]
fn checker_constrained_retries_ask_the_endpoint_again() {
    let tools = dwim::tools::bench::benchmark();
    let (url, requests) = scripted(vec!["n = nosuchtool(image)", "answer count(segment(image))"]);
    let policy = Policy::open(&format!("openai:{url}"), &Limits::strict()).unwrap();
    let ep = run_episode_with(&policy, &tools, scene(), "How many objects are there?", &EpisodeOptions { max_steps: 2, tries: 3 }, None).unwrap();
    assert_eq!(ep.answer.map(|a| a.describe()), Some("3".to_string()));
    assert_eq!(ep.records.iter().filter(|r| r.kind == "rejected").count(), 0);
    let requests = requests.lock().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1]["temperature"], 0.7);
}

#[test]
fn endpoint_failures_are_coded_policy_errors() {
    let tools = dwim::tools::bench::benchmark();
    // Nothing listens on a port just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let policy = Policy::open(&format!("openai:http://127.0.0.1:{port}/v1"), &Limits::strict()).unwrap();
    let err = run_episode_with(&policy, &tools, scene(), "How many?", &EpisodeOptions { max_steps: 2, tries: 1 }, None).err().unwrap();
    assert_eq!(err.code, Code::E412);
    assert_eq!(err.tool.as_deref(), Some("policy"));
    // A spec that is not a URL is a usage error.
    assert_eq!(Policy::open("openai:localhost:8080", &Limits::strict()).err().map(|d| d.code), Some(Code::E505));
    // A directory that is not a checkpoint is a file error.
    assert!(Policy::open("/nonexistent/policy", &Limits::strict()).is_err());
}

#[path = "common/llama.rs"]
mod llama;

/// SmolLM2-135M, frozen, few-shot, as the policy: whatever it writes is checked and run under the
/// strict limits, and every turn ends in a step record, never an error of the loop.
#[test]
#[ignore = "starts llama.cpp's server (heavy); run with --include-ignored"]
fn a_real_llama_cpp_server_as_the_policy() {
    let server = match llama::start() {
        Ok(s) => s,
        Err(why) => return skip_log::skip("policy_endpoint::a_real_llama_cpp_server_as_the_policy", &why),
    };
    let tools = dwim::tools::bench::benchmark();
    let mut policy = Policy::open(&format!("openai:{}#smollm2", server.1), &Limits::strict()).unwrap();
    policy.set_shots(shots::from_programs(std::path::Path::new("programs"), 2, &tools, "").unwrap(), 2);
    for q in ["How many red objects are there?"] {
        let ep = run_episode_with(&policy, &tools, scene(), q, &EpisodeOptions { max_steps: 3, tries: 2 }, None).unwrap();
        assert!(!ep.records.is_empty() && ep.records.len() <= 3, "{q}: {} records", ep.records.len());
        assert!(ep.records.iter().all(|r| !r.source.is_empty() || r.kind == "rejected"));
    }
}

#[test]
fn an_endpoint_policy_on_two_images_is_told_their_names() {
    let tools = dwim::tools::bench::benchmark();
    let (url, requests) = scripted(vec!["answer len(segment(left)) > len(segment(right))"]);
    let policy = Policy::open(&format!("openai:{url}"), &Limits::strict()).unwrap();
    let one = Image::from_rgb(draw_objects(320, 240, &[Object::new("circle", "red", [20, 20, 70, 70])]));
    let images = vec![("left".to_string(), scene()), ("right".to_string(), one)];
    let ep = dwim::agent::run_episode_images(&policy, &tools, images, "Does the left image have more objects than the right one?", &EpisodeOptions { max_steps: 2, tries: 1 }, None).unwrap();
    assert_eq!(ep.answer.map(|a| a.describe()), Some("true".to_string()));
    let first = requests.lock().unwrap()[0]["messages"][1]["content"].as_str().unwrap().to_string();
    assert!(first.contains("(images: left, right)"), "{first}");
}

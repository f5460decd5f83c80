//! Every value type crosses the boundary and comes back intact (through the Rust SDK's decoder
//! and encoder in the `echo` plugin), and the example plugins give the expected answers.

mod wasm_common;

use dwim::value::{BBox, Region};
use dwim::Value;
use std::sync::Arc;
use wasm_common::{call, dist, load, test_image};

fn echo(v: Value) -> Value {
    let tool = load(&dist().join("test/echo.wasm"));
    call(&tool, vec![v.clone()]).unwrap_or_else(|d| panic!("echo {v:?}: {d}"))
}

fn same(v: Value) {
    let back = echo(v.clone());
    assert!(v.equals(&back), "sent {v:?}, got {back:?}");
    assert_eq!(v.to_json(), back.to_json());
}

#[test]
fn scalars_round_trip() {
    same(Value::None);
    same(Value::Bool(true));
    same(Value::Bool(false));
    for n in [0.0, -1.5, 1e300, f64::MIN_POSITIVE, 42.0] {
        same(Value::Number(n));
    }
    same(Value::text(""));
    same(Value::text("héllo \"wörld\" ✓\n"));
}

#[test]
fn collections_round_trip() {
    same(Value::list(vec![]));
    same(Value::list(vec![Value::Number(1.0), Value::text("two"), Value::None, Value::list(vec![Value::Bool(true)])]));
    same(Value::record([
        ("name".to_string(), Value::text("red")),
        ("nested".to_string(), Value::record([("x".to_string(), Value::list(vec![Value::Number(3.0)]))])),
    ]));
}

#[test]
fn images_and_regions_round_trip() {
    let img = test_image(40, 30);
    let back = echo(Value::Image(img.clone()));
    let Value::Image(b) = &back else { panic!("{back:?}") };
    assert_eq!(b.hash(), img.hash(), "the same image comes back");
    let mut r = Region::new(img.clone(), BBox { x0: 1.5, y0: 2.0, x1: 30.0, y1: 20.25 });
    r.label = Some(Arc::from("red square"));
    r.score = Some(0.875);
    same(Value::Region(r.clone()));
    let plain = Region::new(img.clone(), BBox { x0: 0.0, y0: 0.0, x1: 4.0, y1: 4.0 });
    let other = test_image(8, 8);
    let v = Value::list(vec![Value::Region(r), Value::Image(other.clone()), Value::Region(plain), Value::Image(img)]);
    same(v);
}

#[test]
fn find_color_finds_the_red_square() {
    let tool = load(&dist().join("find_color.wasm"));
    let img = test_image(64, 48);
    let v = call(&tool, vec![Value::Image(img.clone()), Value::text("red"), Value::Number(20.0)]).unwrap();
    let Value::List(items) = v else { panic!() };
    assert_eq!(items.len(), 1);
    let Value::Region(r) = &items[0] else { panic!() };
    assert_eq!(r.bbox, BBox { x0: 16.0, y0: 12.0, x1: 32.0, y1: 24.0 });
    assert_eq!(r.label.as_deref(), Some("red rectangle"));
    assert!(r.image.same(&img));
    let d = call(&tool, vec![Value::Image(img), Value::text("mauve"), Value::Number(20.0)]).unwrap_err();
    assert_eq!(d.code, dwim::Code::E401);
    assert!(d.message.contains("unknown colour `mauve`"), "{d}");
}

#[test]
fn color_stats_returns_a_record() {
    let tool = load(&dist().join("color_stats.wasm"));
    let img = test_image(64, 48);
    let r = Region::new(img, BBox { x0: 16.0, y0: 12.0, x1: 32.0, y1: 24.0 });
    let v = call(&tool, vec![Value::Region(r)]).unwrap();
    assert_eq!(v.to_json(), serde_json::json!({"name": "red", "share": 1.0, "r": 215.0, "g": 40.0, "b": 40.0}));
}

#[test]
fn normalize_answer_is_vqa_style() {
    let tool = load(&dist().join("normalize_answer.wasm"));
    let v = call(&tool, vec![Value::text("The  Two red Cars!")]).unwrap();
    assert!(v.equals(&Value::text("2 red cars")), "{v:?}");
}

#[test]
fn the_c_plugin_works() {
    let tool = load(&dist().join("brightness.wasm"));
    let img = test_image(64, 48);
    let r = Region::new(img.clone(), BBox { x0: 0.0, y0: 0.0, x1: 8.0, y1: 8.0 });
    let v = call(&tool, vec![Value::Region(r)]).unwrap();
    assert!(v.equals(&Value::Number(120.0)), "{v:?}");
    let d = call(&tool, vec![Value::text("x")]).unwrap_err();
    assert_eq!(d.code, dwim::Code::E401, "{d}");
}

#[test]
fn wrong_argument_types_are_the_tools_own_error() {
    let tool = load(&dist().join("find_color.wasm"));
    let d = call(&tool, vec![Value::Number(1.0), Value::text("red"), Value::Number(1.0)]).unwrap_err();
    assert_eq!(d.code, dwim::Code::E401);
    assert!(d.message.contains("image or a region"), "{d}");
}

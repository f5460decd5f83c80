//! Loaders for real datasets, on small files written here.

use dwim::data::{gqa, refcoco, Answer};
use dwim::value::{BBox, Image, Region};
use dwim::{Code, Value};

fn png(path: &std::path::Path) {
    image::RgbImage::from_pixel(8, 6, image::Rgb([1, 2, 3])).save(path).unwrap();
}

#[test]
fn gqa_questions_with_an_image_folder() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("images")).unwrap();
    png(&d.path().join("images/n1.png"));
    png(&d.path().join("images/n2.png"));
    let q = r#"{"02930152": {"imageId": "n2", "question": "Is the sky blue?", "answer": "yes", "types": {"structural": "verify"}, "semantic": []},
               "00001": {"imageId": "n1", "question": "What color is the car?", "answer": "Red", "fullAnswer": "The car is red."}}"#;
    std::fs::write(d.path().join("q.json"), q).unwrap();
    let items = gqa::load(&d.path().join("q.json"), &d.path().join("images")).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].id, "00001");
    assert!(items[0].image.ends_with("n1.png"));
    assert_eq!(items[1].family, "verify");
    assert!(items[0].is_correct(&Value::text("the red")));
    assert!(items[1].is_correct(&Value::Bool(true)));
    assert!(Image::load(std::path::Path::new(&items[1].image), &dwim::Limits::default()).is_ok());

    std::fs::write(d.path().join("missing.json"), r#"{"1": {"imageId": "nope", "question": "q", "answer": "a"}}"#).unwrap();
    let e = gqa::load(&d.path().join("missing.json"), &d.path().join("images")).unwrap_err();
    assert_eq!(e.code, Code::E501);
    assert!(e.message.contains("nope"));
    std::fs::write(d.path().join("bad.json"), "[1, 2").unwrap();
    assert_eq!(gqa::load(&d.path().join("bad.json"), &d.path().join("images")).unwrap_err().code, Code::E504);
    std::fs::write(d.path().join("evil.json"), r#"{"1": {"imageId": "../x", "question": "q", "answer": "a"}}"#).unwrap();
    assert_eq!(gqa::load(&d.path().join("evil.json"), &d.path().join("images")).unwrap_err().code, Code::E504);
}

#[test]
fn refcoco_references_with_boxes() {
    let d = tempfile::tempdir().unwrap();
    png(&d.path().join("a.png"));
    std::fs::copy(d.path().join("a.png"), d.path().join("COCO_train2014_000000000042.jpg")).unwrap();
    let refs = r#"[{"ref_id": 7, "file_name": "a.png", "bbox": [1, 1, 4, 3], "sentences": [{"sent": "left thing"}, {"raw": "The left thing"}], "split": "val"},
                  {"ref_id": 8, "image_id": 42, "bbox": [0, 0, 2, 2], "expression": "top corner"}]"#;
    std::fs::write(d.path().join("refs.json"), refs).unwrap();
    let items = refcoco::load(&d.path().join("refs.json"), d.path()).unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].answer, Answer::Box([1.0, 1.0, 5.0, 4.0]));
    assert_eq!(items[0].split, "val");
    assert_eq!(items[2].question, "top corner");
    assert!(items[2].image.ends_with("COCO_train2014_000000000042.jpg"));
    let img = Image::load(std::path::Path::new(&items[0].image), &dwim::Limits::default()).unwrap();
    let near = Region::new(img.clone(), BBox { x0: 1.0, y0: 1.0, x1: 5.0, y1: 3.5 });
    let far = Region::new(img, BBox { x0: 5.0, y0: 4.0, x1: 8.0, y1: 6.0 });
    assert!(items[0].is_correct(&Value::Region(near)));
    assert!(!items[0].is_correct(&Value::Region(far)));

    // JSON Lines works too; bad entries are E504 naming the entry
    std::fs::write(d.path().join("refs.jsonl"), "{\"id\": 1, \"file_name\": \"a.png\", \"bbox\": [0,0,1,1], \"sent\": \"x\"}\n{\"id\": 2, \"file_name\": \"a.png\", \"bbox\": [0,0,0,1], \"sent\": \"y\"}\n").unwrap();
    let e = refcoco::load(&d.path().join("refs.jsonl"), d.path()).unwrap_err();
    assert_eq!(e.code, Code::E504);
    assert!(e.message.contains("reference 2"), "{}", e.message);
}

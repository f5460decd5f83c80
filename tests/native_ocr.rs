//! OCR with the real easyocr `english_g2` recogniser: rendered words are read back. Skipped, with a
//! note, without the weights (scripts/fetch-models.sh) or a TrueType font (fonts-dejavu-core).
#![cfg(feature = "native")]

mod native_common;

use dwim::tools::native::ocr::find_lines;
use dwim::tools::native::{add_native_tools, NativeConfig, TextReader};
use dwim::value::{BBox, Region};
use dwim::{Code, Limits, Registry, Session, Value};

fn reader() -> Option<std::sync::Arc<TextReader>> {
    native_common::weights("easyocr", "english_g2.pth")?;
    Some(TextReader::shared(&native_common::real_cfg()).expect("weights load"))
}

#[test]
fn reads_rendered_words() {
    let (Some(r), Some(font)) = (reader(), native_common::font()) else { return };
    let words = ["Hello", "STOP", "Exit 42", "dwim", "Nike shoes", "Room 101"];
    let mut wrong = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let px = [32.0, 24.0, 48.0][i % 3];
        let img = native_common::render(&font, &[w], px, [20, 20, 20], [245, 245, 240]);
        let got = r.read(&Region::whole(img)).unwrap();
        if got != *w {
            wrong.push(format!("{w:?} read as {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "misread: {wrong:?}");
}

#[test]
fn reads_light_text_on_dark_and_two_lines() {
    let (Some(r), Some(font)) = (reader(), native_common::font()) else { return };
    let img = native_common::render(&font, &["OPEN"], 40.0, [250, 250, 250], [30, 40, 120]);
    assert_eq!(r.read(&Region::whole(img)).unwrap(), "OPEN");
    let img = native_common::render(&font, &["Main Street", "Parking"], 32.0, [0, 0, 0], [255, 255, 255]);
    let lines = r.read_lines(&Region::whole(img)).unwrap();
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["Main Street", "Parking"]);
    assert!(lines.iter().all(|l| l.confidence > 0.5), "{lines:?}");
}

#[test]
fn reads_a_region_of_a_larger_image_in_a_session() {
    let (Some(_), Some(font)) = (reader(), native_common::font()) else { return };
    let img = native_common::render(&font, &["EXIT"], 36.0, [200, 0, 0], [255, 255, 255]);
    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, &native_common::real_cfg());
    let mut s = Session::new(&reg, Limits::default());
    s.bind("image", Value::Image(img));
    let out = s.feed("t = read_text(image)\nanswer t == \"EXIT\"\n").unwrap();
    assert!(out.iter().all(|o| o.error().is_none()), "{:?}", out.iter().find_map(|o| o.error()));
    assert!(matches!(s.answer(), Some(Value::Bool(true))), "{:?} / {:?}", s.answer(), s.env().get("t"));
}

#[test]
fn blank_and_tiny_regions_give_empty_text_not_errors() {
    let Some(r) = reader() else { return };
    let blank = dwim::value::Image::from_rgb(image::RgbImage::from_pixel(80, 30, image::Rgb([255, 255, 255])));
    assert_eq!(r.read(&Region::whole(blank.clone())).unwrap(), "");
    let one = Region::new(blank.clone(), BBox { x0: 3.0, y0: 3.0, x1: 4.0, y1: 4.0 });
    assert_eq!(r.read(&one).unwrap(), "");
    let empty = Region::new(blank, BBox { x0: 5.0, y0: 5.0, x1: 5.0, y1: 9.0 });
    assert_eq!(r.read(&empty).unwrap_err().code, Code::E402);
}

#[test]
fn line_finder_splits_lines() {
    let Some(font) = native_common::font() else { return };
    let img = native_common::render(&font, &["one", "two", "three"], 20.0, [0, 0, 0], [255, 255, 255]);
    let g = image::imageops::grayscale(img.pixels());
    assert_eq!(find_lines(&g).len(), 3);
}

#[test]
fn missing_weights_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = NativeConfig::default().offline().with_model_dir("easyocr", dir.path());
    let err = TextReader::shared(&cfg).err().expect("no weights there");
    assert_eq!(err.code, Code::E411);
    assert!(err.message.contains("english_g2.pth"), "{}", err.message);
    assert!(err.help.as_deref().unwrap_or("").contains("fetch-models.sh"));
}

//! The perception crate on hand-drawn buffers: clean inputs are read exactly.

use dwim_perception::font::{ink, text_width, GLYPHS};
use dwim_perception::palette::rgb;
use dwim_perception::{detect, read_text, vqa, Img, Query, Rect};

const BG: [u8; 3] = [196, 206, 186];

fn canvas(w: u32, h: u32) -> Vec<u8> {
    (0..w * h).flat_map(|_| BG).collect()
}

fn fill(buf: &mut [u8], w: u32, r: Rect, c: [u8; 3]) {
    for y in r.y0..r.y1 {
        for x in r.x0..r.x1 {
            let i = ((y * w + x) * 3) as usize;
            buf[i..i + 3].copy_from_slice(&c);
        }
    }
}

fn print(buf: &mut [u8], w: u32, text: &str, x0: u32, y0: u32, scale: u32, c: [u8; 3]) {
    for y in 0..7 * scale {
        for x in 0..text_width(text.len() as u32, scale) {
            if ink(text, scale, x, y) {
                fill(buf, w, Rect { x0: x0 + x, y0: y0 + y, x1: x0 + x + 1, y1: y0 + y + 1 }, c);
            }
        }
    }
}

#[test]
fn font_has_letters_and_digits() {
    assert_eq!(GLYPHS.len(), 36);
    let mut rows: Vec<[u8; 7]> = GLYPHS.iter().map(|g| g.1).collect();
    rows.sort();
    rows.dedup();
    assert_eq!(rows.len(), 36, "glyphs are distinct");
}

#[test]
fn query_words() {
    let q = Query::parse("Big RED circles");
    assert_eq!((q.size, q.color, q.shape), (Some("large"), Some("red"), Some("circle")));
    assert_eq!(Query::parse("grey objects").color, Some("gray"));
    assert!(Query::parse("object").matches("small", "blue", "square"));
}

#[test]
fn clean_square_with_label() {
    let (w, h) = (120, 90);
    let mut buf = canvas(w, h);
    let sq = Rect { x0: 20, y0: 20, x1: 80, y1: 80 };
    fill(&mut buf, w, sq, rgb("blue").unwrap());
    print(&mut buf, w, "K7Q", 33, 43, 2, [248, 248, 248]);
    fill(&mut buf, w, Rect { x0: 95, y0: 10, x1: 97, y1: 11 }, [90, 90, 90]); // a speck: not an object
    let img = Img::new(w, h, &buf).unwrap();
    let found = detect(&img, img.full(), "object");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].rect, found[0].color, found[0].shape, found[0].size), (sq, "blue", "square", "large"));
    assert!(detect(&img, img.full(), "red square").is_empty());
    assert_eq!(read_text(&img, sq), "K7Q");
    assert_eq!(vqa(&img, sq, "What color is this?"), "blue");
    assert_eq!(vqa(&img, img.full(), "Is there a blue square?"), "yes");
    assert_eq!(vqa(&img, img.full(), "How many circles are there?"), "0");
    assert_eq!(read_text(&img, Rect { x0: 0, y0: 0, x1: 15, y1: 15 }), "");
    assert_eq!(vqa(&img, sq, "is there"), "yes");
    assert_eq!(vqa(&img, sq, "is there€"), "yes");
}

#[test]
fn bad_regions_do_not_panic() {
    let buf = canvas(10, 10);
    let img = Img::new(10, 10, &buf).unwrap();
    assert!(Img::new(10, 11, &buf).is_none());
    let outside = Rect { x0: 50, y0: 50, x1: 60, y1: 60 };
    assert!(detect(&img, outside, "object").is_empty());
    assert_eq!(read_text(&img, outside), "");
    assert_eq!(vqa(&img, outside, "what color?"), "nothing");
    let empty = Rect { x0: 5, y0: 5, x1: 5, y1: 9 };
    assert!(detect(&img, empty, "object").is_empty());
}

#[test]
fn low_level_functions_accept_any_rect() {
    let buf = canvas(10, 10);
    let img = Img::new(10, 10, &buf).unwrap();
    for r in [Rect { x0: 3, y0: 3, x1: 3, y1: 3 }, Rect { x0: 8, y0: 8, x1: 30, y1: 30 }, Rect { x0: 40, y0: 0, x1: 50, y1: 5 }] {
        let _ = dwim_perception::segment::median3(&img, r);
        let _ = dwim_perception::segment::label(&img, r);
        let _ = dwim_perception::detect::main_object(&img, r);
    }
}

#[test]
fn progress_sees_the_work_and_can_stop_it() {
    use dwim_perception::{detect_with, read_text_with, segment, segment_with, vqa_with, Stopped};
    let (w, h) = (120, 90);
    let mut buf = canvas(w, h);
    let sq = Rect { x0: 20, y0: 20, x1: 80, y1: 80 };
    fill(&mut buf, w, sq, rgb("blue").unwrap());
    print(&mut buf, w, "K7Q", 33, 43, 2, [248, 248, 248]);
    let img = Img::new(w, h, &buf).unwrap();
    let mut seen = 0u64;
    let blobs = segment_with(&img, img.full(), &mut |n| {
        seen += n;
        true
    });
    assert_eq!(blobs, Ok(segment(&img, img.full())), "same result when never stopped");
    let px = (w * h) as u64;
    assert!(seen >= 5 * px && seen <= 12 * px, "about seven units per pixel: {seen} for {px} pixels");
    for limit in [1, px, 4 * px] {
        let mut done = 0u64;
        let mut stop = |n: u64| {
            done += n;
            done < limit
        };
        assert_eq!(detect_with(&img, img.full(), "object", &mut stop), Err(Stopped), "stopped after {limit}");
    }
    let mut never = |_: u64| false;
    assert_eq!(read_text_with(&img, sq, &mut never), Err(Stopped));
    assert_eq!(vqa_with(&img, sq, "what color is it?", &mut never), Err(Stopped));
}

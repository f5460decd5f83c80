//! PaliGemma's detection output → boxes. For `detect cat ; dog` the model writes, per object,
//! four location tokens then a label, objects separated by ` ; `:
//!
//! ```text
//! <loc0256><loc0128><loc0768><loc0896> cat ; <loc0100><loc0500><loc0300><loc0700> dog
//! ```
//!
//! The four tokens are `y0 x0 y1 x1`, each `n/1024` of the image side (`n` in 0..=1023).

/// One detected object: corners as fractions of the image's width and height, and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
    pub label: String,
}

enum Piece<'a> {
    Loc(u32),
    Tag,
    Text(&'a str),
}

/// Every well-formed object in `text`. Groups of fewer than four location tokens, boxes of zero
/// width or height, and text before the first box are dropped; other `<tags>` (e.g. `<seg012>`,
/// `<eos>`) are ignored. Tokens may be separated by spaces (as word-level decoders write them).
pub fn parse_locations(text: &str) -> Vec<Located> {
    let mut out = Vec::new();
    let mut current: Option<Located> = None;
    let mut pending: Vec<u32> = Vec::new();
    for piece in pieces(text) {
        match piece {
            Piece::Loc(n) => {
                if pending.is_empty() {
                    finish(&mut current, &mut out);
                }
                pending.push(n);
                if pending.len() == 4 {
                    let f = |n: u32| n as f64 / 1024.0;
                    let (y0, x0, y1, x1) = (f(pending[0]), f(pending[1]), f(pending[2]), f(pending[3]));
                    current = Some(Located { x0: x0.min(x1), y0: y0.min(y1), x1: x0.max(x1), y1: y0.max(y1), label: String::new() });
                    pending.clear();
                }
            }
            Piece::Tag => {}
            Piece::Text(t) => {
                if t.trim().is_empty() {
                    if let Some(c) = current.as_mut() {
                        c.label.push_str(t);
                    }
                    continue;
                }
                pending.clear();
                for (i, part) in t.split(';').enumerate() {
                    if i > 0 {
                        finish(&mut current, &mut out);
                    }
                    if let Some(c) = current.as_mut() {
                        c.label.push_str(part);
                    }
                }
            }
        }
    }
    finish(&mut current, &mut out);
    out
}

fn finish(current: &mut Option<Located>, out: &mut Vec<Located>) {
    if let Some(mut c) = current.take() {
        c.label = c.label.split_whitespace().collect::<Vec<_>>().join(" ");
        if c.x1 > c.x0 && c.y1 > c.y0 {
            out.push(c);
        }
    }
}

/// Split into `<locNNNN>` tokens, other `<tags>`, and the text between.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut v = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some(start) = rest.find('<') else {
            v.push(Piece::Text(rest));
            break;
        };
        if start > 0 {
            v.push(Piece::Text(&rest[..start]));
        }
        let tail = &rest[start..];
        let tag_len = tail[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '|'))
            .filter(|&i| i > 0 && tail[1 + i..].starts_with('>'))
            .map(|i| i + 2);
        match tag_len {
            Some(n) => {
                let inner = &tail[1..n - 1];
                let loc = inner
                    .strip_prefix("loc")
                    .filter(|d| (1..=4).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|d| d.parse::<u32>().ok())
                    .filter(|&n| n < 1024);
                v.push(loc.map_or(Piece::Tag, Piece::Loc));
                rest = &tail[n..];
            }
            None => {
                v.push(Piece::Text(&tail[..1]));
                rest = &tail[1..];
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxes(text: &str) -> Vec<(f64, f64, f64, f64, String)> {
        parse_locations(text).into_iter().map(|l| (l.x0 * 1024.0, l.y0 * 1024.0, l.x1 * 1024.0, l.y1 * 1024.0, l.label)).collect()
    }

    #[test]
    fn one_object() {
        assert_eq!(boxes("<loc0256><loc0128><loc0768><loc0896> cat"), vec![(128.0, 256.0, 896.0, 768.0, "cat".into())]);
    }

    #[test]
    fn several_objects_with_and_without_separators_and_spaces() {
        let want = vec![(128.0, 256.0, 896.0, 768.0, "red car".into()), (500.0, 100.0, 700.0, 300.0, "dog".into())];
        assert_eq!(boxes("<loc0256><loc0128><loc0768><loc0896> red car ; <loc0100><loc0500><loc0300><loc0700> dog"), want);
        assert_eq!(boxes("<loc0256> <loc0128> <loc0768> <loc0896> red  car <loc0100> <loc0500> <loc0300> <loc0700> dog <eos>"), want);
        assert_eq!(boxes("<loc0256><loc0128><loc0768><loc0896><loc0100><loc0500><loc0300><loc0700>").len(), 2);
    }

    #[test]
    fn malformed_input_is_dropped_not_fatal() {
        assert!(boxes("").is_empty());
        assert!(boxes("no boxes here ; at all").is_empty());
        assert!(boxes("<loc0001><loc0002> cat").is_empty(), "a partial group");
        assert!(boxes("<loc1024><loc0000><loc0010><loc0010> x").is_empty(), "1024 is out of range");
        assert!(boxes("<loc0100><loc0100><loc0100><loc0300> flat").is_empty(), "zero height");
        assert!(boxes("<loc12345><loc0><loc1><loc2> a").is_empty());
        assert!(boxes("<loc0010<loc0020> <<>> <loc").is_empty());
        assert_eq!(boxes("junk <loc0010><loc0020><loc0030><loc0040> cat <seg001><seg002> ;").len(), 1);
        // Corners given the wrong way round are ordered.
        assert_eq!(boxes("<loc0768><loc0896><loc0256><loc0128> cat"), vec![(128.0, 256.0, 896.0, 768.0, "cat".into())]);
        // Short digit strings are accepted (some tokenizers drop leading zeros).
        assert_eq!(boxes("<loc1><loc2><loc30><loc40> ab")[0].4, "ab");
        assert!(boxes("ünï <loc0001>çödé<loc0002><loc0003><loc0004><loc0005> é ; ;").len() == 1);
    }
}

use dwim::syntax::{parse_program, SourceFile};
use std::time::Instant;
fn main() {
    let mut text = String::new();
    for e in std::fs::read_dir("programs").unwrap().flatten() {
        text.push_str(&std::fs::read_to_string(e.path()).unwrap().lines().filter(|l| !l.starts_with("answer")).collect::<Vec<_>>().join("\n"));
        text.push('\n');
    }
    let text = text.repeat(200);
    let limits = dwim::Limits { max_source_bytes: 1 << 30, ..Default::default() };
    let src = SourceFile::new("x", text.clone());
    let t = Instant::now(); dwim::syntax::prescan::prescan(&text, &limits).unwrap(); println!("prescan {:?}", t.elapsed());
    let t = Instant::now(); let p = parse_program(&src, &limits).unwrap(); println!("parse {:?} {} bytes", t.elapsed(), text.len());
    let t = Instant::now(); let d = dwim::check::check_program(&p, &dwim::Registry::builtin(), &dwim::check::input_scope(), false); println!("check {:?} {}", t.elapsed(), d.len());
}

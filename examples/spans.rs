use dwim::syntax::{parse_program, SourceFile};
fn main() {
    for t in ["x = 1   # c\ny = f(a , b )  \n", "answer not a  == b  ", "z = [1, 2 ]  ;w=2"] {
        let src = SourceFile::new("x", t);
        let p = parse_program(&src, &Default::default()).unwrap();
        for s in &p.steps { println!("{:?} expr={:?}", src.slice(s.span), s.expr().map(|e| src.slice(e.span))); }
    }
}

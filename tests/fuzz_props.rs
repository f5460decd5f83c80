//! Property test over parse + check + run: whatever the input, the engine ends in Ok or a coded
//! diagnostic — never a panic, never an internal error (E499). The cargo-fuzz target in fuzz/
//! runs the same `exercise` function coverage-guided.

mod common;

use common::gen::{program, token_soup};
use proptest::prelude::*;

fn exercise(bytes: &[u8]) {
    if let Err(e) = dwim::fuzzing::exercise(bytes) {
        panic!("internal error: {e}");
    }
}

const GROWTH: &[&str] = &[
    "a = [a, a]", "a = map(a, x -> a)", "a = a + a", "a = [a]", "a = [a, t]", "t = t + t", "t = join(map(a, x -> t), t)",
    "a = filter(a, x -> x == a)", "a = sort_by(a, x -> len(text(x)))", "b = a == [a[0]]", "t = text(a)",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_crash(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        exercise(&bytes);
    }

    #[test]
    fn token_soup_never_crashes(src in token_soup()) {
        exercise(src.as_bytes());
    }

    #[test]
    fn well_formed_programs_never_crash(src in program()) {
        exercise(src.as_bytes());
    }

    /// Growth operations on shared values (see tests/hostile_growth.rs), through the fuzz harness,
    /// which also fails on a wall overrun or an oversized trace record.
    #[test]
    fn growth_programs_stay_bounded(steps in prop::collection::vec(prop::sample::select(GROWTH.to_vec()), 1..30)) {
        exercise(format!("a = [1, 2]\nt = \"ab\"\n{}\nanswer a\n", steps.join("\n")).as_bytes());
    }
}

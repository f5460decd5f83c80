//! Random programs for property tests: token soup and grammar-shaped programs.

use proptest::prelude::*;

pub const TOKENS: &[&str] = &[
    "x", "y", "objs", "image", "=", "==", "!=", "<", ">=", "+", "-", "*", "/", "%", "(", ")", "[", "]", ",", ".", "->",
    "not", "and", "or", "if", "then", "else", "answer", "think", "rethink", "\n", ";", "0", "1", "-3", "2.5", "1e9",
    "\"red\"", "\"a\\nb\"", "true", "false", "none", "segment", "color", "shape", "crop", "filter", "map", "sort_by",
    "count", "area", "box", "first", "max_by", "left_of", "nearest", "join", "len", "o", "cx", "width", "label", "min_area",
    "pad", "# c\n", "\"", "\\", "é", "🙂",
];

pub fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|t| t.join(" "))
}

/// Space between two tokens inside brackets: blanks, newlines, a comment line.
pub fn ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![" ", "", "\n", " \n  ", "\n\n", " # c\n"])
}

pub fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("image".to_string()),
        Just("objs".to_string()),
        Just("x".to_string()),
        (-5i32..300).prop_map(|n| n.to_string()),
        prop::sample::select(vec!["\"red\"", "\"circle\"", "true", "false", "none", "[]"]).prop_map(String::from),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            (inner.clone(), prop::sample::select(vec!["+", "-", "*", "/", "==", "<", "and", "or"]), inner.clone())
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            // Inside brackets a newline (or a comment line) may stand between any two tokens.
            (inner.clone(), prop::sample::select(vec!["+", "-", "==", "and"]), inner.clone(), ws(), ws(), ws())
                .prop_map(|(a, op, b, s1, s2, s3)| format!("({s1}{a}{s2}{op}{s3}{b}{s1})")),
            (inner.clone(), inner.clone(), inner.clone(), ws(), ws())
                .prop_map(|(c, a, b, s1, s2)| format!("(if{s1}{c}{s2}then{s1}{a}{s2}else{s1}{b}{s2})")),
            (inner.clone(), inner.clone(), ws(), ws())
                .prop_map(|(a, b, s1, s2)| format!("filter({s1}{a}{s2},{s1}o{s2}->{s1}area({s2}o{s1}){s2}>{s1}{b}{s2})")),
            (inner.clone(), inner.clone(), ws(), ws())
                .prop_map(|(a, b, s1, s2)| format!("[{s1}{a}{s2},{s1}{b}{s2}]{s1}")),
            (inner.clone(), inner.clone(), ws(), ws())
                .prop_map(|(a, b, s1, s2)| format!("crop({a}{s1},{s2}{b}{s1},{s2}pad{s1}={s2}2{s1})")),
            (inner.clone(), ws(), ws()).prop_map(|(a, s1, s2)| format!("({a}{s1}.{s2}width{s1}[{s2}0{s1}])")),
            (prop::sample::select(vec!["count", "area", "color", "shape", "first", "len", "abs", "segment", "exists"]), inner.clone())
                .prop_map(|(f, a)| format!("{f}({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("crop({a}, {b}, pad=2)")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("filter({a}, o -> area(o) > {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("sort_by({a}, o -> o.cx + {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}[{b}]")),
            inner.clone().prop_map(|a| format!("{a}.width")),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, a, b)| format!("if {c} then {a} else {b}")),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            inner.prop_map(|a| format!("not {a}")),
        ]
    })
}

pub fn program() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            expr().prop_map(|e| format!("x = {e}")),
            expr().prop_map(|e| format!("objs = {e}")),
            Just("objs = segment(image)".to_string()),
            Just("think \"hmm\"".to_string()),
            expr(),
        ],
        0..6,
    )
    .prop_flat_map(|steps| expr().prop_map(move |e| format!("{}\nanswer {e}\n", steps.join("\n"))))
}


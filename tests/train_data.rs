//! JSONL samples: errors name file:line (E504), padding, truncation, split, order.
#![cfg(feature = "train")]

use candle_core::Device;
use dwim::train::data::{check_vocab, load_jsonl, make_batch, parse_jsonl, split, Order};
use dwim::train::{Sample, IGNORE};
use dwim::Code;

#[test]
fn parses_samples_with_optional_fields() {
    let text = r#"{"input_ids": [1, 2, 3], "labels": [-100, 2, 3], "id": "q1-s2", "mode": "im"}

{"input_ids": [4, 5], "labels": [-100, 5], "id": 7}
"#;
    let s = parse_jsonl("d.jsonl", text).unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].id.as_deref(), Some("q1-s2"));
    assert_eq!(s[0].mode.as_deref(), Some("im"));
    assert_eq!(s[1].id.as_deref(), Some("7"));
    assert_eq!(s[1].line, 3);
    assert_eq!(s[0].n_targets(), 2);
}

#[test]
fn malformed_lines_name_file_and_line() {
    for (text, needle) in [
        ("{\"input_ids\": [1], \"labels\": [-100]}\nnot json\n", "d.jsonl:2"),
        ("{\"input_ids\": [1, 2], \"labels\": [-100]}\n", "1 labels"),
        ("{\"input_ids\": [1, 2], \"labels\": [-100, -5]}\n", "label -5"),
        ("{\"input_ids\": [-1], \"labels\": [-100]}\n", "d.jsonl:1"),
        ("{\"input_ids\": [], \"labels\": []}\n", "empty"),
    ] {
        let e = parse_jsonl("d.jsonl", text).unwrap_err();
        assert_eq!(e.code, Code::E504);
        assert!(e.message.contains(needle), "{} lacks {needle}", e.message);
    }
    let e = load_jsonl(std::path::Path::new("/nonexistent/x.jsonl")).unwrap_err();
    assert_eq!(e.code, Code::E501);
}

#[test]
fn vocab_is_checked() {
    let s = parse_jsonl("d.jsonl", "{\"input_ids\": [1, 99], \"labels\": [-100, 99]}\n").unwrap();
    assert!(check_vocab("d.jsonl", &s, 100).is_ok());
    let e = check_vocab("d.jsonl", &s, 50).unwrap_err();
    assert!(e.message.contains("d.jsonl:1") && e.message.contains("99"), "{}", e.message);
}

#[test]
fn batches_pad_shift_and_truncate() {
    let a = Sample::new(vec![5, 6, 7, 8], vec![IGNORE, IGNORE, 7, 8]);
    let b = Sample::new(vec![9, 10], vec![IGNORE, 10]);
    let batch = make_batch(&[&a, &b], 16, 0, &Device::Cpu).unwrap();
    assert_eq!(batch.ids.to_vec2::<u32>().unwrap(), vec![vec![5, 6, 7, 8], vec![9, 10, 0, 0]]);
    // position t predicts labels[t+1]
    assert_eq!(batch.rows.to_vec1::<u32>().unwrap(), vec![1, 2, 4]);
    assert_eq!(batch.targets.to_vec1::<u32>().unwrap(), vec![7, 8, 10]);
    assert_eq!((batch.n_tokens, batch.n_targets), (6, 3));
    // truncation keeps the end (where instruct-masked targets are)
    let t = make_batch(&[&a], 3, 0, &Device::Cpu).unwrap();
    assert_eq!(t.ids.to_vec2::<u32>().unwrap(), vec![vec![6, 7, 8]]);
    assert_eq!(t.targets.to_vec1::<u32>().unwrap(), vec![7, 8]);
}

#[test]
fn split_and_order_are_seeded() {
    let data: Vec<Sample> = (0..20).map(|i| Sample::new(vec![i, i + 1], vec![IGNORE, (i + 1) as i64])).collect();
    let (tr, va) = split(data.clone(), 0.1, 3);
    assert_eq!((tr.len(), va.len()), (18, 2));
    assert_eq!(split(data.clone(), 0.1, 3), (tr, va));
    let o = Order::new(20, 6, 1);
    assert_eq!(o.batches_per_epoch(), 4);
    let mut seen: Vec<usize> = (0..4).flat_map(|k| o.batch_indices(k)).collect();
    seen.sort();
    assert_eq!(seen, (0..20).collect::<Vec<_>>());
    assert_eq!(o.batch_indices(5), o.clone().batch_indices(5));
    assert_ne!(o.batch_indices(0), o.batch_indices(4));
}

#[test]
fn bucketed_batches_cover_every_sample_once_per_epoch_and_pad_less() {
    let lens: Vec<usize> = (0..100).map(|i| 10 + (i * 37) % 200).collect();
    let data: Vec<Sample> = lens.iter().map(|&n| Sample::new(vec![1; n], vec![IGNORE; n])).collect();
    let (plain, bucketed) = (Order::new(100, 8, 4), Order::bucketed(&data, 8, 4));
    assert_eq!(bucketed.batches_per_epoch(), 13);
    let padded = |o: &Order| -> usize {
        (0..13).map(|k| { let b = o.batch_indices(k); b.iter().map(|&i| lens[i]).max().unwrap_or(0) * b.len() }).sum()
    };
    for epoch in 0..2u64 {
        let mut seen: Vec<usize> = (0..13).flat_map(|k| bucketed.batch_indices(epoch * 13 + k)).collect();
        seen.sort();
        assert_eq!(seen, (0..100).collect::<Vec<_>>(), "epoch {epoch}");
    }
    assert_eq!(bucketed.batch_indices(7), bucketed.clone().batch_indices(7), "seeded: resume replays it");
    let real: usize = lens.iter().sum();
    assert!(padded(&bucketed) < padded(&plain), "bucketing pads less: {} vs {} for {real} real tokens", padded(&bucketed), padded(&plain));
}

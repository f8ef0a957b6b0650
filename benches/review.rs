//! How well `faqbot review` groups what the bot failed, and a big log to time it on.
//!
//! `cargo bench --bench review -- CORPUS…` runs the corpora through the engine (with the
//! encoder) and groups their in-scope failures (hand-offs, choices, wrong answers) as
//! `review` does, at several join thresholds: each failure's expected entry is its true
//! group. It prints, per threshold, the groups' purity (the share of each group's
//! questions that belong to its commonest entry, pooled), the paraphrases of one entry
//! found in its largest group (pooled), and how often the group's suggested entry is
//! that commonest entry.
//!
//! `cargo bench --bench review -- --write-log FILE LINES DISTINCT CORPUS…` writes a log of
//! LINES hand-offs holding DISTINCT different questions (corpus lines, then variants of
//! them), for `scripts/review-bench` to time `faqbot review` on.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use faqbot::eval::{self, Question};
use faqbot::log::review::{Item, group_with};
use faqbot::{Engine, Lang, Settings};

/// A failed question, the entry it expected, and the engine's best candidate with its
/// confidence.
type Failure = (String, String, Option<String>, f32);

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("--write-log") {
        let [_, file, lines, distinct, corpora @ ..] = args.as_slice() else {
            panic!("--write-log FILE LINES DISTINCT CORPUS…");
        };
        write_log(
            file.as_ref(),
            lines.parse().expect("LINES"),
            distinct.parse().expect("DISTINCT"),
            corpora,
        );
        return;
    }
    assert!(
        !args.is_empty(),
        "name the corpora to group the failures of"
    );
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let encoder = faqbot::semantic::Encoder::open(&root.join("model/e5-small-q4.bin"))
        .expect("the model: faqbot model fetch");
    let index = tempfile::tempdir().expect("a scratch folder");
    let engine = Engine::open_with(
        &root.join("faq"),
        index.path(),
        Settings::default(),
        Some(std::sync::Arc::new(encoder)),
    )
    .expect("the FAQ");
    let questions = eval::load_all(&args).expect("the corpora");
    let outcomes = eval::run(&engine, &questions);
    // Per language: each failed in-scope question once, the entry it expected, and the
    // engine's best candidate with its confidence (what the log holds).
    let mut failed: HashMap<Lang, Vec<Failure>> = HashMap::new();
    for o in &outcomes {
        let (Some(lang), Some(expected)) = (o.question.lang, o.question.expected.first()) else {
            continue;
        };
        if !o.correct() {
            failed.entry(lang).or_default().push((
                o.question.text.clone(),
                expected.clone(),
                o.top.as_ref().map(|t| format!("p/{t}")),
                o.top_confidence.unwrap_or(0.0),
            ));
        }
    }
    for items in failed.values_mut() {
        items.sort_by(|a, b| a.0.cmp(&b.0));
        items.dedup_by(|a, b| a.0 == b.0);
    }
    println!(
        "{} failures of {} in-scope questions",
        failed.values().map(Vec::len).sum::<usize>(),
        outcomes.iter().filter(|o| o.question.in_scope()).count()
    );
    let weights: Vec<f32> = std::env::var("WEIGHTS").map_or_else(
        |_| vec![faqbot::tuning::REVIEW_CANDIDATE],
        |j| j.split(',').map(|x| x.parse().expect("a number")).collect(),
    );
    let joins: Vec<f32> = std::env::var("JOINS").map_or_else(
        |_| vec![faqbot::tuning::REVIEW_JOIN],
        |j| j.split(',').map(|x| x.parse().expect("a number")).collect(),
    );
    println!("weight  join  groups  purity  in largest  suggested right  no entry fits");
    for &weight in &weights {
        for &join in &joins {
            let (mut groups, mut total, mut pure, mut suggested_right, mut none) = (0, 0, 0, 0, 0);
            let mut per_entry: HashMap<(Lang, &str), HashMap<usize, usize>> = HashMap::new();
            for (lang, items) in &failed {
                let of: Vec<Item> = items
                    .iter()
                    .map(|(text, _, best, confidence)| Item {
                        text,
                        best: best.as_deref(),
                        confidence: *confidence,
                    })
                    .collect();
                let grouped = group_with(&engine, &of, join, weight).expect("the encoder");
                for (members, suggested) in grouped {
                    groups += 1;
                    let mut counts: HashMap<&str, usize> = HashMap::new();
                    for &i in &members {
                        *counts.entry(items[i].1.as_str()).or_default() += 1;
                        *per_entry
                            .entry((*lang, items[i].1.as_str()))
                            .or_default()
                            .entry(groups)
                            .or_default() += 1;
                    }
                    let (commonest, most) = counts
                        .iter()
                        .max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id)))
                        .map(|(id, n)| (*id, *n))
                        .unwrap_or_default();
                    total += members.len();
                    pure += most;
                    match suggested {
                        Some(s) if s.id.ends_with(&format!("/{commonest}")) => {
                            suggested_right += members.len()
                        }
                        Some(_) => {}
                        None => none += members.len(),
                    }
                }
            }
            let in_largest: usize = per_entry
                .values()
                .map(|groups| groups.values().max().copied().unwrap_or(0))
                .sum();
            let pct = |n: usize| 100.0 * n as f64 / total.max(1) as f64;
            println!(
                "{weight:.2}    {join:.2}  {groups:>6}  {:>5.1}%  {:>9.1}%  {:>14.1}%  {:>12.1}%",
                pct(pure),
                pct(in_largest),
                pct(suggested_right),
                pct(none)
            );
        }
    }
}

/// A log of `lines` hand-offs over `distinct` questions: the corpora's lines, then the same
/// with a running number, so that every text is new to the encoder's cache.
fn write_log(file: &std::path::Path, lines: usize, distinct: usize, corpora: &[String]) {
    let questions: Vec<Question> = eval::load_all(corpora).expect("the corpora");
    let texts: Vec<String> = (0..distinct)
        .map(|i| {
            let q = &questions[i % questions.len()];
            if i < questions.len() {
                q.text.clone()
            } else {
                format!("{} ({})", q.text, i / questions.len())
            }
        })
        .collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(file).expect("the log file"));
    for i in 0..lines {
        let text = &texts[(i * 7919) % distinct];
        let q = &questions[((i * 7919) % distinct) % questions.len()];
        let line = serde_json::json!({
            "time": "2026-12-01T00:00:00Z", "kind": "handoff",
            "lang": q.lang.map_or("other", Lang::code), "reason": "low_confidence",
            "question": text, "best": null, "confidence": 0.3,
        });
        writeln!(out, "{line}").expect("a write");
    }
}

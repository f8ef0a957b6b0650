//! The learning loop from the command line: `accept` edits the alternates an agent would
//! edit by hand, refusing what the regression corpus says would make things worse;
//! `stats` and `review` read the log.

use crate::util::{Scratch, stderr, stdout};

const ALTERNATES: &str = "pt/campaign-email-infrastructure-upgrade.alternates.toml";

#[test]
fn accept_adds_and_removes_phrasings_keeping_the_file_as_an_agent_wrote_it() {
    let s = Scratch::new();
    let file = s.faq().join(ALTERNATES);
    let shipped = std::fs::read_to_string(&file).unwrap();
    let phrasing = "a gente fica sem mandar email no dia da janela?";
    let accept = |args: &[&str]| {
        let mut all = vec!["--model", "none", "accept", "--lang", "pt"];
        all.extend_from_slice(args);
        s.run(&all, "")
    };
    let out = accept(&["--entry", "aws-faq-4", phrasing]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("regression corpus"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("hot reload"), "{}", stdout(&out));
    let added = std::fs::read_to_string(&file).unwrap();
    // One new line, laid out like its neighbours; comments and order as they were.
    let without: String = added
        .lines()
        .filter(|l| *l != format!("  \"{phrasing}\","))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(without, shipped);
    assert_eq!(added.lines().count(), shipped.lines().count() + 1);
    let out = s.run(
        &[
            "--model",
            "none",
            "ask",
            "--json",
            "--threshold",
            "0",
            phrasing,
        ],
        "",
    );
    assert!(stdout(&out).contains("/aws-faq-4\""), "{}", stdout(&out));

    // Already there (case and spacing aside): refused, saying where.
    let out = accept(&["--entry", "aws-faq-1", &phrasing.to_uppercase()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("already in the alternates of migrate-infra-to-aws/aws-faq-4"),
        "{}",
        stderr(&out)
    );
    let out = accept(&["--entry", "aws-faq-99", "whatever"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no entry \"aws-faq-99\""),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), added);

    // Taken back out: the file is the shipped one again, byte for byte.
    let out = accept(&[
        "--entry",
        "migrate-infra-to-aws/aws-faq-4",
        "--remove",
        phrasing,
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), shipped);
    let out = accept(&["--entry", "aws-faq-4", "--remove", phrasing]);
    assert_eq!(out.status.code(), Some(1), "not there any more");
}

#[test]
fn accept_refuses_what_turns_corpus_lines_wrong_and_leaves_the_file_alone() {
    let s = Scratch::new();
    let file = s.faq().join(ALTERNATES);
    let shipped = std::fs::read(&file).unwrap();
    // The corpus asks this of the entry about what changes; taught as the maintenance
    // window's phrasing, the encoder would answer it with that one.
    let question = "o que exatamente vcs vão atualizar?";
    let corpus = s.dir.path().join("corpus.tsv");
    std::fs::write(&corpus, format!("pt\taws-changes\t{question}\n")).unwrap();
    let corpus = corpus.to_string_lossy().into_owned();
    let args = |force: bool| {
        let mut all = vec![
            "accept",
            "--lang",
            "pt",
            "--entry",
            "aws-faq-4",
            "--corpus",
            &corpus,
            question,
        ];
        if force {
            all.push("--force");
        }
        all
    };
    let out = s.run(&args(false), "");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("refused"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("corpus.tsv:1: o que exatamente vcs vão atualizar? (answered aws-changes -> answered aws-faq-4)"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read(&file).unwrap(), shipped, "byte-identical");

    let out = s.run(&args(true), "");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_ne!(std::fs::read(&file).unwrap(), shipped, "--force writes");
}

#[test]
fn accept_writes_the_off_topic_list_and_a_broken_faq_is_refused() {
    let s = Scratch::new();
    let out = s.run(
        &[
            "--model",
            "none",
            "accept",
            "--lang",
            "es",
            "--off-topic",
            "¿me hacen precio por volumen en la licencia?",
        ],
        "",
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let list = std::fs::read_to_string(s.faq().join("es/off-topic.toml")).unwrap();
    assert!(list.contains("\"¿me hacen precio por volumen en la licencia?\","));
    assert!(list.starts_with("# "), "the comments stay");

    let file = s.faq().join(ALTERNATES);
    std::fs::write(&file, "aws-faq-4 = [\n").unwrap();
    let out = s.run(
        &[
            "--model",
            "none",
            "accept",
            "--lang",
            "pt",
            "--entry",
            "aws-faq-4",
            "x y z",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(ALTERNATES), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "aws-faq-4 = [\n");
}

#[test]
fn stats_and_review_read_several_logs() {
    let s = Scratch::new();
    let one = s.dir.path().join("one.jsonl");
    let two = s.dir.path().join("two.jsonl");
    std::fs::write(
        &one,
        concat!(
            r#"{"time":"2026-12-01T00:00:00Z","kind":"answer","lang":"pt","question":"é obrigatória?","entry":"migrate-infra-to-aws/aws-faq-1","confidence":0.95,"message":"aaaaaaaaaaaa"}"#,
            "\n",
            r#"{"time":"2026-12-01T00:00:01Z","kind":"feedback","lang":"pt","entry":"migrate-infra-to-aws/aws-faq-1","vote":"down","message":"aaaaaaaaaaaa"}"#,
            "\n",
        ),
    )
    .unwrap();
    std::fs::write(
        &two,
        concat!(
            // Written by the unanswered log of the previous version: a hand-off.
            r#"{"time":"2026-12-01T00:00:02Z","lang":"es","reason":"out_of_scope","question":"¿precio?","best":null,"confidence":0.1}"#,
            "\n",
        ),
    )
    .unwrap();
    let (one, two) = (one.to_string_lossy(), two.to_string_lossy());
    let out = s.run(&["stats", &one, &two, "--json"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let entry = &lines[0];
    assert_eq!(
        (&entry["lang"], &entry["answered"], &entry["down"]),
        (&"pt".into(), &1.into(), &1.into())
    );
    let overall = lines.last().unwrap();
    assert_eq!(overall["id"], serde_json::Value::Null);
    assert_eq!(overall["handed_off"], 1);
    assert_eq!(overall["not_rejected"], 0.0);

    let out = s.run(&["--model", "none", "review", &one, &two, "--json"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let groups: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The answer voted down and the hand-off: one group each, in their language.
    assert_eq!(groups.len(), 2, "{}", stdout(&out));
    let langs: Vec<&str> = groups.iter().map(|g| g["lang"].as_str().unwrap()).collect();
    assert_eq!(langs, ["es", "pt"]);
    assert_eq!(groups[1]["questions"][0], "é obrigatória?");
}

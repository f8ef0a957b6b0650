//! The command line: answers, JSON schema, exit codes, odd input.

use crate::util::{Scratch, json_lines, repo, stderr, stdout};

const KEYS: [&str; 17] = [
    "question",
    "lang",
    "lang_confidence",
    "answered",
    "id",
    "title",
    "answer",
    "confidence",
    "alternatives",
    "escalation",
    "reason",
    "contacts",
    "decision",
    "choices",
    "matcher",
    "truncated",
    "read_as",
];

#[test]
fn ask_json_answers_in_the_question_language_with_the_documented_schema() {
    let s = Scratch::new();
    let out = s.run(
        &["ask", "--json"],
        "A atualização é obrigatória?\n¿Cuándo se actualizan los entornos de producción?\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    for line in &lines {
        let keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, KEYS, "keys and their order are part of the schema");
        assert_eq!(line["answered"], true);
        assert_eq!(line["decision"], "answer");
        assert_eq!(line["matcher"], "semantic");
        assert_eq!(line["choices"], serde_json::json!([]));
        assert!(line["escalation"].is_null());
        let c = line["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c));
    }
    assert_eq!(lines[0]["lang"], "pt");
    assert_eq!(lines[0]["id"], "migrate-infra-to-aws/aws-faq-1");
    assert!(lines[0]["answer"].as_str().unwrap().starts_with("Sim."));
    assert_eq!(lines[1]["lang"], "es");
    assert_eq!(lines[1]["id"], "migrate-infra-to-aws/aws-timeline");
    assert!(
        lines[1]["answer"]
            .as_str()
            .unwrap()
            .contains("enero de 2024")
    );
}

#[test]
fn foreign_and_out_of_scope_questions_escalate_to_the_page_link() {
    let s = Scratch::new();
    let out = s.run(
        &["ask", "--json"],
        "Is this upgrade mandatory?\nqual o preço do campaign?\n",
    );
    assert!(out.status.success());
    let lines = json_lines(&out);
    assert_eq!(lines[0]["lang"], "other");
    assert_eq!(lines[0]["answered"], false);
    assert!(lines[0]["id"].is_null());
    assert_eq!(lines[0]["reason"], "other_language");
    assert_eq!(
        lines[0]["contacts"].as_array().unwrap().len(),
        2,
        "both languages"
    );
    assert_eq!(lines[1]["lang"], "pt");
    assert_eq!(lines[1]["answered"], false);
    assert_eq!(
        lines[1]["escalation"]["label"],
        "Atendimento ao cliente Adobe"
    );
    let url = lines[1]["escalation"]["url"].as_str().unwrap();
    let page = std::fs::read_to_string(s.faq().join("pt/campaign-email-infrastructure-upgrade.md"))
        .unwrap();
    assert!(page.contains(url), "the URL comes from the page");
}

#[test]
fn general_text_in_catalan_italian_and_french_is_another_language() {
    // None of them has a listed word, letter or ending of its language, and the pages'
    // words pull them to Spanish: the n-gram vote of general text reads them.
    let s = Scratch::new();
    let inputs = [
        "Els treballadors de l'ajuntament van sortir al carrer",
        "La settimana prossima andiamo al mare",
        "Nous partons en vacances la semaine prochaine",
        "La ville organise un concert gratuit samedi",
        "Mi hermano trabaja en un banco de Madrid",
        "Meu irmão trabalha num banco em Lisboa",
    ];
    let out = s.run(
        &["--model", "none", "ask", "--json"],
        &(inputs.join("\n") + "\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let langs: Vec<_> = json_lines(&out)
        .iter()
        .map(|line| line["lang"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(langs, ["other", "other", "other", "other", "es", "pt"]);
}

#[test]
fn odd_input_gets_a_reply_per_line_and_no_panic() {
    let s = Scratch::new();
    let long = "atualização ".repeat(400);
    let inputs = [
        "",
        "   ",
        &long,
        "🙂🙂🙂",
        "\u{7}\u{1b}[31mobrigatório?\u{0}",
        "<b>é obrigatório?</b><script>alert(1)</script>",
        "**é obrigatório?** [link](http://x)",
        "Когда будет обновление?",
        "アップデートはいつですか",
        "a\u{301}tualizac\u{327}a\u{303}o obrigato\u{301}ria",
    ];
    let out = s.run(&["ask", "--json"], &(inputs.join("\n") + "\n"));
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), inputs.len());
    for (line, input) in lines.iter().zip(inputs) {
        for key in ["confidence", "lang_confidence"] {
            let x = line[key].as_f64();
            assert!(
                x.is_some_and(|x| (0.0..=1.0).contains(&x)),
                "{key} of {input:?}: {line}"
            );
        }
    }
    assert_eq!(lines[0]["reason"], "empty");
    assert_eq!(
        lines[3]["reason"], "acknowledgement",
        "emoji are a reaction"
    );
    assert_eq!(lines[7]["lang"], "other");
    assert_eq!(lines[8]["lang"], "other");
    assert_eq!(
        lines[9]["id"], "migrate-infra-to-aws/aws-faq-1",
        "NFD input"
    );

    // A line that is not UTF-8 gets its own reply; the lines after it are still answered.
    let out = s.run_bytes(
        &["ask", "--json"],
        b"\xff\xfe obrigat\xf3rio?\r\na atualiza\xc3\xa7\xc3\xa3o \xc3\xa9 obrigat\xc3\xb3ria?\r\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{}", stdout(&out));
    assert_eq!(lines[1]["id"], "migrate-infra-to-aws/aws-faq-1");
    assert_eq!(
        lines[1]["question"], "a atualização é obrigatória?",
        "no CR"
    );
}

#[test]
fn plain_ask_prints_the_answer_and_a_summary() {
    let s = Scratch::new();
    let out = s.run(
        &["ask", "preciso fazer alguma coisa para a atualização?"],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Nenhuma ação é necessária."), "{text}");
    assert!(text.contains("migrate-infra-to-aws/aws-faq-4"), "{text}");
}

#[test]
fn forced_language_wins_over_detection() {
    let s = Scratch::new();
    let out = s.run(&["ask", "--json", "--lang", "es", "obrigatorio"], "");
    let lines = json_lines(&out);
    assert_eq!(lines[0]["lang"], "es");
    assert_eq!(lines[0]["lang_confidence"], 1.0);
}

#[test]
fn usage_errors_exit_2_and_failures_exit_1() {
    let s = Scratch::new();
    assert_eq!(
        s.run(&["ask", "--lang", "fr", "x"], "").status.code(),
        Some(2)
    );
    assert_eq!(s.run(&["frobnicate"], "").status.code(), Some(2));
    assert_eq!(s.run(&["eval"], "").status.code(), Some(2));
    let out = s.run(&["--faq", "/nonexistent/faq", "ask", "x"], "");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("/nonexistent/faq"), "{err}");
}

#[test]
fn search_ranks_entries_for_agents() {
    let s = Scratch::new();
    let out = s.run(
        &["search", "reprogramar data", "--lang", "pt", "--top", "3"],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let first = text.lines().next().unwrap_or_default();
    assert!(first.contains("migrate-infra-to-aws/aws-faq-6"), "{text}");
    assert!(
        text.lines()
            .filter(|l| l.starts_with(char::is_numeric))
            .count()
            <= 3
    );
}

#[test]
fn index_lists_entries_per_language() {
    let s = Scratch::new();
    let out = s.run(&["index"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("pt: 10 entries from 1 page(s)"), "{text}");
    assert!(text.contains("es: 10 entries from 1 page(s)"), "{text}");
}

#[test]
fn eval_min_accuracy_sets_the_exit_code() {
    let s = Scratch::new();
    let corpus = s.dir.path().join("c.tsv");
    std::fs::write(
        &corpus,
        "pt\taws-faq-1\ta atualização é obrigatória?\npt\taws-faq-6\tqual o preço?\n",
    )
    .unwrap();
    let path = corpus.to_str().unwrap();
    let out = s.run(&["eval", path, "--min-accuracy", "0.4"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("accuracy (in scope)  50.0%"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("c.tsv:2"), "failures are listed");
    let out = s.run(&["eval", path, "--min-accuracy", "0.9"], "");
    assert_eq!(out.status.code(), Some(1));
    std::fs::write(&corpus, "pt only two fields\n").unwrap();
    let out = s.run(&["eval", path], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("c.tsv:1"), "{}", stderr(&out));
}

#[test]
fn chat_keeps_the_language_setting() {
    let s = Scratch::new();
    let out = s.run(
        &["chat"],
        "/LANG es\nobligatorio\n/lang\n/language pt\n/help\n/quit\nnever read\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("lang: es"), "{text}");
    assert!(
        text.contains("¿Es obligatoria esta actualización?"),
        "{text}"
    );
    assert_eq!(
        text.matches("lang: es").count(),
        2,
        "/lang alone shows it: {text}"
    );
    assert!(text.contains("unknown command /language"), "{text}");
    assert!(
        text.matches("/lang pt|es|auto").count() >= 2,
        "help shown twice: {text}"
    );
}

#[test]
fn chat_says_which_numbers_can_be_picked() {
    let s = Scratch::new();
    // Thresholds where every question is offered choices.
    let out = s.run(
        &["chat", "--threshold", "1"],
        "a atualização é obrigatória?\n9\n1\n/quit\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Escolha um número de 1 a"), "{text}");
}

#[test]
fn calibrate_reports_the_current_model_beside_a_refit() {
    let s = Scratch::new();
    let corpus = repo().join("tests/questions/pt.tsv");
    let out = s.run(&["calibrate", corpus.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("semantic matcher: fitted on"), "{text}");
    assert!(text.contains("  off_topic_gap"), "a readable model: {text}");
    let marked: Vec<&str> = text
        .lines()
        .filter(|l| l.contains('*') && l.contains('%'))
        .collect();
    assert_eq!(
        marked.len(),
        1,
        "the default thresholds are marked once\n{text}"
    );
    assert!(marked[0].trim_start().starts_with("0.85   0.40*"), "{text}");
    assert_eq!(marked[0].matches('%').count(), 6, "{text}");
}

#[test]
fn eval_reports_one_tap_confusions_and_thresholds_as_json() {
    let s = Scratch::new();
    let corpus = s.dir.path().join("c.tsv");
    std::fs::write(
        &corpus,
        "pt\taws-faq-1\tA atualização é obrigatória?\n\
         pt\taws-faq-6\tPreferíamos ficar de fora disto. É mesmo indispensável?\n\
         pt\tNONE\tQuanto custa a licença do Campaign?\n",
    )
    .unwrap();
    let out = s.run(&["eval", "--json", corpus.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["questions"], 3);
    assert_eq!(report["in_scope"], 2);
    assert_eq!(report["matcher"], "semantic");
    // The second line is deliberately labelled with the wrong entry: it asks whether the
    // upgrade is mandatory, so the first-ranked entry is a confusion.
    let confusion = report["confusion"].as_array().unwrap();
    assert!(
        confusion.iter().any(|c| c["expected"] == "aws-faq-6"),
        "{confusion:?}"
    );
    assert!(report["by_entry"]["aws-faq-1"]["one_tap"].as_u64() == Some(1));
    assert_eq!(report["thresholds"].as_array().unwrap().len(), 30);
    // The ranking by each semantic part alone (README, "Quality"): the page's own title is
    // among the first three by either.
    for key in ["top3_by_cosine", "top3_by_classifier"] {
        assert!(
            report[key].as_u64().is_some_and(|n| (1..=2).contains(&n)),
            "{key}: {report}"
        );
    }
    // The first line is right by either part alone; the second is labelled wrong, so it
    // cannot be: exactly one.
    for key in ["top1_by_cosine", "top1_by_classifier"] {
        assert_eq!(report[key].as_u64(), Some(1), "{key}: {report}");
    }
}

#[test]
fn eval_rejects_unknown_ids_and_empty_corpora() {
    let s = Scratch::new();
    let corpus = s.dir.path().join("c.tsv");
    std::fs::write(&corpus, "pt\taws-faq-1\tok\npt\taws-fqa-2\ttypo\n").unwrap();
    let out = s.run(&["eval", corpus.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("c.tsv:2"), "{}", stderr(&out));
    assert!(stderr(&out).contains("aws-fqa-2"), "{}", stderr(&out));
    std::fs::write(&corpus, "# only a comment\n").unwrap();
    let out = s.run(&["eval", corpus.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no question"), "{}", stderr(&out));
}

#[test]
fn search_prints_json_and_drops_empty_hits() {
    let s = Scratch::new();
    let out = s.run(
        &["search", "--json", "--top", "10", "data da atualização"],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let hits = json_lines(&out);
    assert!(!hits.is_empty() && hits.len() <= 10);
    assert_eq!(hits[0]["rank"], 1);
    assert_eq!(hits[0]["lang"], "pt");
    for hit in &hits {
        assert!(hit["confidence"].as_f64().unwrap() >= 0.01, "{hit}");
    }
}

#[test]
fn the_agent_line_labels_its_numbers() {
    let s = Scratch::new();
    let out = s.run(&["ask", "A atualização é obrigatória?"], "");
    let text = stdout(&out);
    let line = text.lines().find(|l| l.starts_with("-- ")).unwrap();
    assert!(line.starts_with("-- lang pt "), "{line}");
    assert!(
        line.contains("| answer migrate-infra-to-aws/aws-faq-1 | confidence "),
        "{line}"
    );
}

#[test]
fn a_question_over_telegrams_limit_is_read_up_to_it_and_says_so() {
    let s = Scratch::new();
    // Half a megabyte of one repeated phrase: read up to 4,096 characters, in the time of a
    // message of that size.
    let long = format!("A atualização é obrigatória? {}", "o que ".repeat(90_000));
    let out = s.run(&["ask", "--json"], &format!("{long}\nprazo?\n"));
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["truncated"], true);
    assert_eq!(
        lines[0]["question"].as_str().unwrap().len(),
        long.len(),
        "quoted whole"
    );
    assert_eq!(lines[1]["truncated"], false);
}

#[test]
fn thanks_get_you_are_welcome_and_greetings_a_greeting_without_a_hand_off() {
    let s = Scratch::new();
    let out = s.run(
        &["chat"],
        "valeu, obrigado pela ajuda\nOi!\ngracias\n/quit\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // Each reply in its own language: the Spanish "¡De nada!" holds the Portuguese one.
    assert!(
        text.lines()
            .any(|l| l.trim_start_matches("> ").starts_with("De nada!")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start_matches("> ").starts_with("¡De nada!")),
        "{text}"
    );
    assert!(text.contains("Olá!"), "{text}");
    assert!(
        !text.contains("experienceleague"),
        "no Customer Care link: {text}"
    );
    let line = &ask_json_reason(&s, "obrigado!");
    assert_eq!(line, "thanks");
}

#[test]
fn acknowledgements_reactions_and_testing_get_small_talk_not_customer_care() {
    let s = Scratch::new();
    for (question, reason) in [
        ("👍", "acknowledgement"),
        ("🙏", "acknowledgement"),
        ("kkkk", "acknowledgement"),
        ("jajaja", "acknowledgement"),
        ("okis", "acknowledgement"),
        ("perfeito, era só isso mesmo", "acknowledgement"),
        ("testando 1 2 3", "greeting"),
        ("probando probando", "greeting"),
        ("hola?", "greeting"),
        ("muito obrigado, ajudou bastante", "thanks"),
    ] {
        let out = s.run(&["ask", "--json", question], "");
        let line = &json_lines(&out)[0];
        assert_eq!(line["reason"], reason, "{question}: {line}");
        assert_eq!(line["decision"], "handoff", "{question}");
        assert!(line["escalation"].is_null(), "no Customer Care: {line}");
        assert_eq!(line["contacts"], serde_json::json!([]), "{question}");
    }
    // Small talk around a question is a question.
    let out = s.run(&["ask", "--json", "obrigado! e o prazo, qual é?"], "");
    assert_ne!(json_lines(&out)[0]["reason"], "thanks");
}

#[test]
fn a_follow_up_in_chat_is_read_with_the_question_before_it() {
    let s = Scratch::new();
    let out = s.run(
        &["chat"],
        "Vamos ficar sem enviar emails durante a atualização?\ne quanto tempo dura?\n/quit\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("> O que esperar?"), "{text}");
    assert!(
        text.contains("> Qual é o tempo de inatividade esperado?"),
        "the follow-up read with the question before it: {text}"
    );
    // Alone, the follow-up names nothing the FAQ answers.
    let out = s.run(&["ask", "--json", "e quanto tempo dura?"], "");
    assert_eq!(json_lines(&out)[0]["decision"], "handoff");
}

fn ask_json_reason(s: &Scratch, question: &str) -> String {
    let out = s.run(&["ask", "--json", question], "");
    json_lines(&out)[0]["reason"].as_str().unwrap().to_string()
}

#[test]
fn outside_the_repository_it_answers_from_the_built_in_faq_and_caches_the_index() {
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_faqbot"))
            .args(args)
            .current_dir(elsewhere.path())
            .env("XDG_CACHE_HOME", home.path())
            .env_remove("FAQBOT_FAQ_DIR")
            .env_remove("FAQBOT_INDEX_DIR")
            .env_remove("FAQBOT_MODEL")
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    };
    let out = run(&[
        "--model",
        "none",
        "ask",
        "--json",
        "quando vai ser a atualização?",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("aws-timeline"), "{}", stdout(&out));
    let cache = home.path().join("faqbot");
    assert!(
        cache.join("index").join("CURRENT").is_file(),
        "index in the cache"
    );
    assert!(
        std::fs::read_dir(elsewhere.path())
            .unwrap()
            .next()
            .is_none(),
        "nothing written in the working folder"
    );
    // An explicit FAQ folder wins over the built-in one.
    let s = Scratch::new();
    std::fs::write(
        s.faq().join("es/otra.md"),
        "# Otra página {#otra}\n\n## ¿Hay soporte para SMS?{#sms}\n\nLos SMS no cambian.\n",
    )
    .unwrap();
    let faq = s.faq().to_string_lossy().into_owned();
    let out = run(&[
        "--model", "none", "--faq", &faq, "search", "sms", "--lang", "es",
    ]);
    assert!(stdout(&out).contains("otra/sms"), "{}", stdout(&out));
}

#[test]
fn review_warns_on_stderr_and_a_file_with_no_entry_fails() {
    let s = Scratch::new();
    let log = s.dir.path().join("not-a-log.txt");
    std::fs::write(&log, "hello\nworld\n").unwrap();
    let out = s.run(&["review", &log.to_string_lossy()], "");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not-a-log.txt:2:"),
        "{}",
        stderr(&out)
    );
    assert!(
        !stdout(&out).contains("not-a-log.txt:1:"),
        "warnings stay off stdout"
    );
    std::fs::write(&log, "").unwrap();
    let out = s.run(&["review", &log.to_string_lossy()], "");
    assert_eq!(out.status.code(), Some(0), "an empty log is fine");
}

#[test]
fn piped_output_has_no_colour_codes() {
    let s = Scratch::new();
    let out = s.run(&["ask", "a atualização é obrigatória?"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains('\u{1b}'), "{}", stdout(&out));
    assert!(stdout(&out).contains("-- lang pt"), "{}", stdout(&out));
}

#[test]
fn the_clarify_threshold_decides_between_choices_and_a_hand_off() {
    let s = Scratch::new();
    let decision = |args: &[&str]| {
        let mut all = vec!["ask", "--json", "--threshold", "1"];
        all.extend_from_slice(args);
        all.push("a atualização é obrigatória?");
        let out = s.run(&all, "");
        assert!(out.status.success(), "{}", stderr(&out));
        json_lines(&out)[0]["decision"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Nothing is sure enough to answer: choices at a low clarify threshold, a hand-off at 1.
    assert_eq!(decision(&["--clarify", "0.01"]), "clarify");
    assert_eq!(decision(&["--clarify", "1"]), "handoff");
    let out = s.run(&["ask", "--clarify", "2", "prazo?"], "");
    assert_eq!(
        out.status.code(),
        Some(2),
        "a usage error: {}",
        stderr(&out)
    );
}

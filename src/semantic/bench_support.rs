//! Not an API: what `compare/candle` reaches to measure the encoder's kernel and tokenizer
//! against candle's quantized tensors and the `tokenizers` crate. Hidden from the docs; it
//! may change or go at any time.

use super::quant::{Q4Matrix, Q8Rows, matmul};
use super::tokenizer::normalize;
use super::{Encoder, Prefix};

/// One Q4_0 weight matrix of the model, with its bias.
#[derive(Clone, Copy)]
pub struct Matrix<'e> {
    w: Q4Matrix,
    map: &'e [u8],
    bias: &'e [f32],
}

impl<'e> Matrix<'e> {
    pub fn rows(&self) -> usize {
        self.w.rows()
    }

    pub fn cols(&self) -> usize {
        self.w.cols()
    }

    /// The matrix as stored: `rows × cols / 32` Q4_0 blocks of 18 bytes (the fp16 scale,
    /// then 16 bytes of nibbles), row-major: ggml's layout.
    pub fn q4_bytes(&self) -> &'e [u8] {
        self.w.bytes(self.map)
    }

    pub fn bias(&self) -> &'e [f32] {
        self.bias
    }

    /// Row `r` as `f32` (`out` holds `cols` values).
    pub fn dequantize_row(&self, r: usize, out: &mut [f32]) {
        self.w.dequantize_row(self.map, r, out);
    }
}

/// Layer `layer`'s matrix `name`: `q`, `k`, `v`, `ao` (attention output), `fi` (feed-forward
/// in, `ff × hidden`) or `fo` (feed-forward out, `hidden × ff`).
pub fn layer_matrix<'e>(encoder: &'e Encoder, layer: usize, name: &str) -> Option<Matrix<'e>> {
    let l = encoder.file.layers.get(layer)?;
    let (w, bias) = match name {
        "q" => (l.q, &l.q_bias),
        "k" => (l.k, &l.k_bias),
        "v" => (l.v, &l.v_bias),
        "ao" => (l.attn_out, &l.attn_out_bias),
        "fi" => (l.ff_in, &l.ff_in_bias),
        "fo" => (l.ff_out, &l.ff_out_bias),
        _ => return None,
    };
    Some(Matrix {
        w,
        map: &encoder.file.map[..],
        bias: &bias[..],
    })
}

/// Q8_0 activations, reused from one product to the next.
#[derive(Default)]
pub struct Activations(Q8Rows);

/// `out[t, r] = bias[r] + Σ_c w[r, c] · x[t, c]` as the encoder computes it: `x` (`tokens ×
/// cols`, row-major) quantized to Q8_0, then the Q4_0 × Q8_0 product.
pub fn product(w: &Matrix<'_>, x: &[f32], bias: &[f32], act: &mut Activations, out: &mut [f32]) {
    act.0.quantize(x, w.cols());
    matmul(&w.w, w.map, bias, &act.0, out);
}

/// The pieces in id order, with their scores (a piece that is not UTF-8 is decoded lossily).
pub fn pieces(encoder: &Encoder) -> Vec<(String, f32)> {
    let vocab = &encoder.file.vocab;
    let blob = &encoder.file.map[vocab.blob.clone()];
    vocab
        .scores
        .iter()
        .enumerate()
        .map(|(id, &score)| {
            let bytes = &blob[vocab.offsets[id] as usize..vocab.offsets[id + 1] as usize];
            (String::from_utf8_lossy(bytes).into_owned(), score)
        })
        .collect()
}

/// The id of `<unk>`.
pub fn unk_id(encoder: &Encoder) -> u32 {
    encoder.file.vocab.unk
}

/// What the Viterbi search splits for `text` in the role `prefix`: the prefixed text
/// normalized, spaces as `▁`, with the leading `▁` ([`Encoder::tokenize`] does the same
/// before its search).
pub fn normalized(encoder: &Encoder, text: &str, prefix: Prefix) -> String {
    let text = format!("{}{text}", prefix.as_str());
    normalize(&encoder.file.vocab, &text).0
}

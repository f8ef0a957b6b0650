//! The BERT encoder's forward pass, one function per step: embeddings, self-attention,
//! feed-forward, layer norm, mean pooling.

use super::file::{LayerTensors, ModelFile, Norm};
use super::quant::{Q8Rows, matmul};
use super::tokenizer::TokenId;

/// Reusable buffers of one forward pass.
#[derive(Default)]
struct Scratch {
    q8: Q8Rows,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    context: Vec<f32>,
    projected: Vec<f32>,
    mid: Vec<f32>,
    probabilities: Vec<f32>,
}

/// Mean of the last hidden states of one window `<s> ids </s>` (not normalized).
pub fn pooled(model: &ModelFile, window: &[TokenId]) -> Vec<f32> {
    let h = model.hyper.hidden;
    let tokens = window.len();
    let mut x = embeddings(model, window);
    layer_norm(&mut x, None, &model.embed_norm, h, model.eps);
    let mut s = Scratch::default();
    for layer in &model.layers {
        attention(model, layer, &mut x, tokens, &mut s);
        feed_forward(model, layer, &mut x, &mut s);
    }
    let mut mean = vec![0.0f32; h];
    for row in x.chunks_exact(h) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    let inv = 1.0 / tokens as f32;
    mean.iter_mut().for_each(|m| *m *= inv);
    mean
}

/// Word + position + token type 0, per token.
fn embeddings(model: &ModelFile, ids: &[TokenId]) -> Vec<f32> {
    let h = model.hyper.hidden;
    let mut x = vec![0.0f32; ids.len() * h];
    for (p, (&id, row)) in ids.iter().zip(x.chunks_exact_mut(h)).enumerate() {
        model.word.dequantize_row(&model.map, id as usize, row);
        let position = &model.position[p * h..(p + 1) * h];
        for ((r, pos), ty) in row.iter_mut().zip(position).zip(&model.token_type[..h]) {
            *r += pos + ty;
        }
    }
    x
}

/// `x = LayerNorm(x + residual)` per row.
fn layer_norm(x: &mut [f32], residual: Option<&[f32]>, norm: &Norm, h: usize, eps: f32) {
    for (t, row) in x.chunks_exact_mut(h).enumerate() {
        if let Some(residual) = residual {
            for (r, y) in row.iter_mut().zip(&residual[t * h..(t + 1) * h]) {
                *r += y;
            }
        }
        let mean = row.iter().sum::<f32>() / h as f32;
        let var = row.iter().map(|r| (r - mean) * (r - mean)).sum::<f32>() / h as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((r, w), b) in row.iter_mut().zip(&norm.weight).zip(&norm.bias) {
            *r = (*r - mean) * inv * w + b;
        }
    }
}

/// Multi-head self-attention over the whole window, then `x = LN(x + attention)`.
fn attention(
    model: &ModelFile,
    layer: &LayerTensors,
    x: &mut [f32],
    tokens: usize,
    s: &mut Scratch,
) {
    let h = model.hyper.hidden;
    let heads = model.hyper.heads;
    let hd = h / heads;
    let map = &model.map[..];
    s.q8.quantize(x, h);
    for (w, b, out) in [
        (&layer.q, &layer.q_bias, &mut s.q),
        (&layer.k, &layer.k_bias, &mut s.k),
        (&layer.v, &layer.v_bias, &mut s.v),
    ] {
        out.resize(tokens * h, 0.0);
        matmul(w, map, b, &s.q8, out);
    }
    let scale = 1.0 / (hd as f32).sqrt();
    s.context.clear();
    s.context.resize(tokens * h, 0.0);
    s.probabilities.resize(tokens, 0.0);
    for t in 0..tokens {
        for head in 0..heads {
            let span = head * hd..(head + 1) * hd;
            let q = &s.q[t * h..][span.clone()];
            let mut max = f32::NEG_INFINITY;
            for (u, p) in s.probabilities.iter_mut().enumerate() {
                let k = &s.k[u * h..][span.clone()];
                *p = q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale;
                max = max.max(*p);
            }
            let mut sum = 0.0;
            for p in s.probabilities.iter_mut() {
                *p = (*p - max).exp();
                sum += *p;
            }
            let inv = 1.0 / sum;
            let context = &mut s.context[t * h..][span.clone()];
            for (u, p) in s.probabilities.iter().enumerate() {
                let v = &s.v[u * h..][span.clone()];
                for (c, v) in context.iter_mut().zip(v) {
                    *c += p * inv * v;
                }
            }
        }
    }
    s.q8.quantize(&s.context, h);
    s.projected.resize(tokens * h, 0.0);
    matmul(
        &layer.attn_out,
        map,
        &layer.attn_out_bias,
        &s.q8,
        &mut s.projected,
    );
    layer_norm(x, Some(&s.projected), &layer.attn_norm, h, model.eps);
}

/// GELU feed-forward, then `x = LN(x + ffn)`.
fn feed_forward(model: &ModelFile, layer: &LayerTensors, x: &mut [f32], s: &mut Scratch) {
    let h = model.hyper.hidden;
    let ff = model.hyper.ff;
    let tokens = x.len() / h;
    let map = &model.map[..];
    s.q8.quantize(x, h);
    s.mid.resize(tokens * ff, 0.0);
    matmul(&layer.ff_in, map, &layer.ff_in_bias, &s.q8, &mut s.mid);
    s.mid.iter_mut().for_each(|v| *v = gelu(*v));
    s.q8.quantize(&s.mid, ff);
    s.projected.resize(tokens * h, 0.0);
    matmul(
        &layer.ff_out,
        map,
        &layer.ff_out_bias,
        &s.q8,
        &mut s.projected,
    );
    layer_norm(x, Some(&s.projected), &layer.out_norm, h, model.eps);
}

/// The exact (erf) GELU BERT uses.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// `erf` to within 1.5e-7 (Abramowitz and Stegun 7.1.26), in `f32`: the standard library
/// has none on stable, and GELU calls it for every feed-forward value, so the `f64`
/// Chebyshev fit it replaced cost a fifth of an embedding.
fn erf(x: f32) -> f32 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let e = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 { e } else { -e }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_known_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-2.0, -0.995_322_3),
            (3.5, 0.999_999_3),
        ] {
            assert!((erf(x) - want).abs() < 2e-6, "erf({x}) = {}", erf(x));
        }
    }
}

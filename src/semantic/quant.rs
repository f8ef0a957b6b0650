//! Q4_0 weights and Q8_0 activations, and the matrix product between them.
//!
//! The ggml block layouts the reference engine uses: a Q4_0 block is an fp16 scale and 16
//! bytes holding 32 four-bit weights (byte `j`: weight `j` in the low nibble, weight
//! `j + 16` in the high one), each weight `(nibble - 8) * scale`. Activations are quantized
//! per 32 values to `i8` with their own scale (Q8_0), so that a block's dot product is an
//! integer sum; the `- 8` offset is folded in through each activation block's sum.

use half::f16;

/// Values per block.
pub const QK: usize = 32;
/// Bytes per Q4_0 block: the fp16 scale and 16 bytes of nibbles.
pub const BLOCK_BYTES: usize = 2 + QK / 2;

/// A `rows × cols` Q4_0 matrix stored row-major in the model map at `offset`.
#[derive(Clone, Copy, Debug)]
pub struct Q4Matrix {
    offset: usize,
    rows: usize,
    cols: usize,
}

impl Q4Matrix {
    /// The caller has checked that `rows * cols / QK` blocks fit in the map at `offset`.
    pub fn new(offset: usize, rows: usize, cols: usize) -> Q4Matrix {
        Q4Matrix { offset, rows, cols }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The whole matrix as stored: `rows × cols / QK` blocks, row-major (ggml's layout).
    pub fn bytes<'m>(&self, map: &'m [u8]) -> &'m [u8] {
        &map[self.offset..self.offset + self.rows * self.row_bytes()]
    }

    fn row_bytes(&self) -> usize {
        self.cols / QK * BLOCK_BYTES
    }

    fn row<'m>(&self, map: &'m [u8], r: usize) -> &'m [u8] {
        let start = self.offset + r * self.row_bytes();
        &map[start..start + self.row_bytes()]
    }

    /// Row `r` as `f32` (the token embedding lookup).
    pub fn dequantize_row(&self, map: &[u8], r: usize, out: &mut [f32]) {
        for (block, out) in self
            .row(map, r)
            .chunks_exact(BLOCK_BYTES)
            .zip(out.chunks_exact_mut(QK))
        {
            let d = scale(block);
            for (j, &byte) in block[2..].iter().enumerate() {
                out[j] = f32::from(byte & 0x0F) * d - 8.0 * d;
                out[j + QK / 2] = f32::from(byte >> 4) * d - 8.0 * d;
            }
        }
    }
}

fn scale(block: &[u8]) -> f32 {
    f16::from_bits(u16::from_le_bytes([block[0], block[1]])).to_f32()
}

/// Rows of activations quantized to Q8_0: per block of 32, `i8` values, a scale and the
/// values' sum.
#[derive(Default)]
pub struct Q8Rows {
    values: Vec<i8>,
    scales: Vec<f32>,
    sums: Vec<i32>,
    rows: usize,
    cols: usize,
}

impl Q8Rows {
    /// Quantizes `x` (`rows × cols`, row-major) in place of the previous contents.
    pub fn quantize(&mut self, x: &[f32], cols: usize) {
        let rows = x.len() / cols;
        let blocks = rows * cols / QK;
        self.values.resize(rows * cols, 0);
        self.scales.resize(blocks, 0.0);
        self.sums.resize(blocks, 0);
        self.rows = rows;
        self.cols = cols;
        for (b, (block, out)) in x
            .chunks_exact(QK)
            .zip(self.values.chunks_exact_mut(QK))
            .enumerate()
        {
            let amax = block.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let id = if d > 0.0 { 1.0 / d } else { 0.0 };
            let mut sum = 0i32;
            for (o, &v) in out.iter_mut().zip(block) {
                let q = round_even(v * id).clamp(-128.0, 127.0) as i32;
                *o = q as i8;
                sum += q;
            }
            self.scales[b] = d;
            self.sums[b] = sum;
        }
    }
}

/// Round half to even, as the reference's `lrintf` does; for `|v| < 2^22` (here at most
/// 127.5) adding and removing 1.5 · 2^23 does it in the FPU's rounding mode, inline,
/// where `round_ties_even` is a libm call on baseline x86-64 (8% of an embedding).
fn round_even(v: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    (v + MAGIC) - MAGIC
}

/// `out[t, r] = bias[r] + Σ_c w[r, c] · x[t, c]` for every row `t` of `x`.
pub fn matmul(w: &Q4Matrix, map: &[u8], bias: &[f32], x: &Q8Rows, out: &mut [f32]) {
    assert_eq!(w.cols, x.cols, "matmul of mismatched shapes");
    assert_eq!(
        out.len(),
        x.rows * w.rows,
        "matmul output of the wrong size"
    );
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has just been checked for the features the function enables.
        unsafe { matmul_avx2(w, map, bias, x, out) };
        return;
    }
    matmul_portable(w, map, bias, x, out);
}

/// The product with AVX2 integer multiply-adds, as ggml does it: a weight block's 32
/// nibbles unpacked to bytes once per row, `maddubs` against the activation bytes, the
/// block's scale applied in a float vector that is summed once per output.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn matmul_avx2(w: &Q4Matrix, map: &[u8], bias: &[f32], x: &Q8Rows, out: &mut [f32]) {
    use std::arch::x86_64::*;
    /// Weight rows computed together: each activation block is loaded once for all.
    const ROWS: usize = 4;
    let blocks = w.cols / QK;
    let mut nibbles = vec![0u8; ROWS * w.cols];
    let mut scales = vec![0.0f32; ROWS * blocks];
    let low = _mm_set1_epi8(0x0F);
    let ones = _mm256_set1_epi16(1);
    for r0 in (0..w.rows).step_by(ROWS) {
        let group = ROWS.min(w.rows - r0);
        for g in 0..group {
            for (b, block) in w.row(map, r0 + g).chunks_exact(BLOCK_BYTES).enumerate() {
                let at = g * blocks + b;
                scales[at] = scale(block);
                let packed: &[u8; QK / 2] = block[2..].try_into().expect("a block holds 16 bytes");
                let dst: &mut [u8; QK] = (&mut nibbles[at * QK..(at + 1) * QK])
                    .try_into()
                    .expect("a block is QK values");
                // SAFETY: both pointers come from arrays of exactly the loaded/stored size.
                unsafe {
                    let bytes = _mm_loadu_si128(packed.as_ptr().cast());
                    let lo = _mm_and_si128(bytes, low);
                    let hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), low);
                    _mm256_storeu_si256(dst.as_mut_ptr().cast(), _mm256_set_m128i(hi, lo));
                }
            }
        }
        for t in 0..x.rows {
            let a = &x.values[t * x.cols..(t + 1) * x.cols];
            let a_scales = &x.scales[t * blocks..(t + 1) * blocks];
            let a_sums = &x.sums[t * blocks..(t + 1) * blocks];
            let mut acc = [_mm256_setzero_ps(); ROWS];
            let mut offset = [0.0f32; ROWS];
            for b in 0..blocks {
                let ab: &[i8; QK] = a[b * QK..(b + 1) * QK]
                    .try_into()
                    .expect("a block is QK values");
                // SAFETY: a 32-byte load from a 32-byte array.
                let av = unsafe { _mm256_loadu_si256(ab.as_ptr().cast()) };
                let (da, sa) = (a_scales[b], a_sums[b] as f32);
                for g in 0..group {
                    let at = g * blocks + b;
                    let wb: &[u8; QK] = nibbles[at * QK..(at + 1) * QK]
                        .try_into()
                        .expect("a block is QK values");
                    // SAFETY: a 32-byte load from a 32-byte array.
                    let wv = unsafe { _mm256_loadu_si256(wb.as_ptr().cast()) };
                    // Nibbles are 0..15, so the pairwise i16 sums cannot saturate.
                    let dot = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, av), ones);
                    let s = scales[at] * da;
                    acc[g] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(s), acc[g]);
                    offset[g] += s * sa;
                }
            }
            for g in 0..group {
                let v = acc[g];
                let half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
                let half = _mm_add_ps(half, _mm_movehl_ps(half, half));
                let sum = _mm_cvtss_f32(_mm_add_ss(half, _mm_shuffle_ps(half, half, 1)));
                out[t * w.rows + r0 + g] = bias[r0 + g] + sum - 8.0 * offset[g];
            }
        }
    }
}

fn matmul_portable(w: &Q4Matrix, map: &[u8], bias: &[f32], x: &Q8Rows, out: &mut [f32]) {
    let blocks = w.cols / QK;
    // One weight row unpacked to bytes, reused for every activation row.
    let mut nibbles = vec![0u8; w.cols];
    let mut scales = vec![0.0f32; blocks];
    for r in 0..w.rows {
        for ((block, unpacked), d) in w
            .row(map, r)
            .chunks_exact(BLOCK_BYTES)
            .zip(nibbles.chunks_exact_mut(QK))
            .zip(&mut scales)
        {
            *d = scale(block);
            let (lo, hi) = unpacked.split_at_mut(QK / 2);
            for ((l, h), &byte) in lo.iter_mut().zip(hi).zip(&block[2..]) {
                *l = byte & 0x0F;
                *h = byte >> 4;
            }
        }
        for t in 0..x.rows {
            let a = &x.values[t * x.cols..(t + 1) * x.cols];
            let a_scales = &x.scales[t * blocks..(t + 1) * blocks];
            let a_sums = &x.sums[t * blocks..(t + 1) * blocks];
            let mut acc = 0.0f32;
            let mut offset = 0.0f32;
            for b in 0..blocks {
                let dot = dot_block(&nibbles[b * QK..(b + 1) * QK], &a[b * QK..(b + 1) * QK]);
                let s = scales[b] * a_scales[b];
                acc += s * dot as f32;
                offset += s * a_sums[b] as f32;
            }
            out[t * w.rows + r] = bias[r] + acc - 8.0 * offset;
        }
    }
}

#[inline(always)]
fn dot_block(w: &[u8], a: &[i8]) -> i32 {
    let w: &[u8; QK] = w.try_into().expect("a block is QK values");
    let a: &[i8; QK] = a.try_into().expect("a block is QK values");
    let mut sum = 0i32;
    for j in 0..QK {
        sum += i32::from(w[j]) * i32::from(a[j]);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One Q4_0 block holding the given nibbles with scale `d`.
    fn block(d: f32, nibbles: [u8; QK]) -> Vec<u8> {
        let mut out = f16::from_f32(d).to_bits().to_le_bytes().to_vec();
        out.extend((0..QK / 2).map(|j| nibbles[j] | (nibbles[j + QK / 2] << 4)));
        out
    }

    #[test]
    fn rounding_is_half_to_even() {
        for v in [
            -127.5f32, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.7, -3.2, 126.5, 0.0,
        ] {
            assert_eq!(round_even(v), v.round_ties_even(), "{v}");
        }
    }

    #[test]
    fn matmul_matches_the_dequantized_product() {
        let nibbles: [u8; QK] = std::array::from_fn(|j| (j * 7 % 16) as u8);
        let other: [u8; QK] = std::array::from_fn(|j| (15 - j % 16) as u8);
        // Two rows of two blocks each.
        let map: Vec<u8> = [
            block(0.5, nibbles),
            block(0.25, other),
            block(-1.0, other),
            block(0.125, nibbles),
        ]
        .concat();
        let w = Q4Matrix::new(0, 2, 2 * QK);
        let x: Vec<f32> = (0..2 * QK).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut q = Q8Rows::default();
        q.quantize(&x, 2 * QK);
        let mut out = vec![0.0; 2];
        matmul(&w, &map, &[1.0, -2.0], &q, &mut out);
        for (r, bias) in [1.0f32, -2.0].into_iter().enumerate() {
            let mut row = vec![0.0; 2 * QK];
            w.dequantize_row(&map, r, &mut row);
            let exact: f32 = bias + row.iter().zip(&x).map(|(a, b)| a * b).sum::<f32>();
            let magnitude: f32 = row.iter().zip(&x).map(|(a, b)| (a * b).abs()).sum();
            // Q8 activations lose up to 1/254 of each block's largest value per term.
            assert!(
                (out[r] - exact).abs() < 0.005 * magnitude,
                "row {r}: {} vs {exact}",
                out[r]
            );
        }
        let mut portable = vec![0.0; 2];
        matmul_portable(&w, &map, &[1.0, -2.0], &q, &mut portable);
        for (a, b) in out.iter().zip(&portable) {
            // The same integer sums; only the float summation order differs.
            assert!((a - b).abs() < 1e-4, "AVX2 {a} vs portable {b}");
        }
    }
}

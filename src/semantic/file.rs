//! The model file: a memory map of `e5-small-q4.bin`, validated before anything reads it.
//!
//! Layout (little-endian), as the reference engine writes and reads it: the magic `E5S1`
//! and a version; the hyper-parameters; the SentencePiece vocabulary (piece byte offsets,
//! scores, the bytes themselves); the normalization map (code point → replacement code
//! points); a tensor directory (name, type, element count, offset, byte size); then the
//! tensors, `f32` or Q4_0. Every count, offset and size is checked against the file's
//! length and against what the hyper-parameters imply before use, so a truncated, foreign
//! or corrupt file is one [`ModelError`], never an out-of-bounds read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use super::quant::{BLOCK_BYTES, Q4Matrix, QK};

const MAGIC: &[u8; 4] = b"E5S1";
const VERSION: u32 = 1;
/// Bounds that keep a corrupt header from asking for absurd allocations.
const MAX_PIECES: usize = 1 << 22;
const MAX_DIM: usize = 1 << 14;
const MAX_TENSORS: usize = 4096;

/// Why a model file cannot be used; always names the file.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not an e5 model file (no E5S1 magic)", path.display())]
    Foreign { path: PathBuf },
    #[error("{}: corrupt or truncated model file: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
}

/// The hyper-parameters of the encoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hyper {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ff: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
}

/// The tokenizer's tables, copied out of the map (they are small and need alignment).
pub struct Vocab {
    pub offsets: Vec<u32>,
    pub scores: Vec<f32>,
    /// Byte range of the pieces' bytes in the map.
    pub blob: std::ops::Range<usize>,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    /// Code point → its replacement (possibly empty: the code point is dropped).
    pub normalization: HashMap<u32, Vec<u32>>,
}

/// One encoder layer's tensors.
pub struct LayerTensors {
    pub q: Q4Matrix,
    pub k: Q4Matrix,
    pub v: Q4Matrix,
    pub attn_out: Q4Matrix,
    pub ff_in: Q4Matrix,
    pub ff_out: Q4Matrix,
    pub q_bias: Vec<f32>,
    pub k_bias: Vec<f32>,
    pub v_bias: Vec<f32>,
    pub attn_out_bias: Vec<f32>,
    pub ff_in_bias: Vec<f32>,
    pub ff_out_bias: Vec<f32>,
    pub attn_norm: Norm,
    pub out_norm: Norm,
}

/// A layer norm's weight and bias.
pub struct Norm {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// A validated model file.
pub struct ModelFile {
    pub map: Mmap,
    pub hyper: Hyper,
    pub eps: f32,
    pub vocab: Vocab,
    pub word: Q4Matrix,
    pub position: Vec<f32>,
    pub token_type: Vec<f32>,
    pub embed_norm: Norm,
    pub layers: Vec<LayerTensors>,
}

/// Reads fields in order, every read bounds-checked.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| format!("ends inside its header (at byte {})", self.at))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_le_bytes(self.array()?))
    }
    /// A count or dimension: a non-negative `i32` no larger than `max`.
    fn count(&mut self, what: &str, max: usize) -> Result<usize, String> {
        let v = i32::from_le_bytes(self.array()?);
        usize::try_from(v)
            .ok()
            .filter(|&v| v <= max)
            .ok_or_else(|| format!("{what} is {v}"))
    }
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// A directory entry: where a tensor lives and what it is.
#[derive(Clone, Copy)]
struct Tensor {
    dtype: u8,
    elements: usize,
    offset: usize,
    bytes: usize,
}

const F32: u8 = 0;
const Q4_0: u8 = 1;

impl ModelFile {
    /// Maps and validates `path`.
    pub fn open(path: &Path) -> Result<ModelFile, ModelError> {
        let io = |source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        if !file.metadata().map_err(io)?.is_file() {
            return Err(io(std::io::Error::other("not a regular file")));
        }
        // SAFETY: the map is read-only and private; faqbot never writes the file it maps,
        // and `model fetch` replaces it by renaming a new file over it, so the mapped
        // inode never changes under us.
        let map = unsafe { Mmap::map(&file) }.map_err(io)?;
        if map.get(..4) != Some(&MAGIC[..]) {
            return Err(ModelError::Foreign {
                path: path.to_path_buf(),
            });
        }
        Self::parse(map).map_err(|message| ModelError::Corrupt {
            path: path.to_path_buf(),
            message,
        })
    }

    fn parse(map: Mmap) -> Result<ModelFile, String> {
        let mut c = Cursor { bytes: &map, at: 4 };
        let version = c.u32()?;
        if version != VERSION {
            return Err(format!("version {version}, this faqbot reads {VERSION}"));
        }
        let hyper = Hyper {
            hidden: c.count("hidden size", MAX_DIM)?,
            layers: c.count("layer count", 256)?,
            heads: c.count("head count", 256)?,
            ff: c.count("feed-forward size", MAX_DIM * 8)?,
            vocab: c.count("vocabulary size", MAX_PIECES)?,
            max_positions: c.count("position count", 1 << 16)?,
            type_vocab: c.count("token type count", 256)?,
        };
        let eps = c.f32()?;
        let qk = c.count("block size", 1024)?;
        if qk != QK
            || hyper.hidden == 0
            || hyper.heads == 0
            || !hyper.hidden.is_multiple_of(hyper.heads)
            || !hyper.hidden.is_multiple_of(QK)
            || !hyper.ff.is_multiple_of(QK)
            || hyper.max_positions < 3
            || hyper.type_vocab == 0
            || !(eps.is_finite() && eps > 0.0)
        {
            return Err(format!(
                "inconsistent hyper-parameters {hyper:?}, block {qk}"
            ));
        }

        let pieces = c.count("piece count", MAX_PIECES)?;
        let bos = c.count("<s> id", pieces)?;
        let eos = c.count("</s> id", pieces)?;
        let _pad = c.count("<pad> id", pieces)?;
        let unk = c.count("<unk> id", pieces)?;
        if pieces == 0
            || [bos, eos, unk]
                .iter()
                .any(|&id| id >= pieces.min(hyper.vocab))
        {
            return Err("special token ids out of range".into());
        }
        let blob_len = usize::try_from(c.u64()?).map_err(|_| "vocabulary too large")?;
        let offsets: Vec<u32> = c
            .take((pieces + 1) * 4)?
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let scores = f32s(c.take(pieces * 4)?);
        let blob_start = c.at;
        c.take(blob_len)?;
        if offsets.windows(2).any(|w| w[0] > w[1])
            || offsets.last().is_some_and(|&end| end as usize > blob_len)
            || scores.iter().any(|s| !s.is_finite())
        {
            return Err("vocabulary offsets or scores out of order".into());
        }

        let norm_count = c.count("normalization entries", 1 << 21)?;
        let norm_bytes = c.u32()? as usize;
        let mut n = Cursor {
            bytes: c.take(norm_bytes)?,
            at: 0,
        };
        let mut normalization = HashMap::with_capacity(norm_count);
        for _ in 0..norm_count {
            let from = n.u32()?;
            let len = n.u8()? as usize;
            let to = (0..len).map(|_| n.u32()).collect::<Result<Vec<u32>, _>>()?;
            normalization.insert(from, to);
        }

        let tensor_count = c.count("tensor count", MAX_TENSORS)?;
        let mut dir: HashMap<String, Tensor> = HashMap::with_capacity(tensor_count);
        for _ in 0..tensor_count {
            let len = c.u16()? as usize;
            let name = String::from_utf8_lossy(c.take(len)?).into_owned();
            let dtype = c.u8()?;
            let elements = c.u32()? as usize;
            let offset = usize::try_from(c.u64()?).map_err(|_| "tensor offset too large")?;
            let bytes = usize::try_from(c.u64()?).map_err(|_| "tensor size too large")?;
            let expected = match dtype {
                F32 => elements.checked_mul(4),
                Q4_0 if elements.is_multiple_of(QK) => Some(elements / QK * BLOCK_BYTES),
                _ => None,
            };
            if expected != Some(bytes)
                || offset.checked_add(bytes).is_none_or(|end| end > map.len())
            {
                return Err(format!(
                    "tensor {name} lies outside the file or has a wrong size"
                ));
            }
            dir.insert(
                name,
                Tensor {
                    dtype,
                    elements,
                    offset,
                    bytes,
                },
            );
        }

        let h = hyper.hidden;
        let get = |name: &str, dtype: u8, elements: usize| -> Result<Tensor, String> {
            let t = *dir
                .get(name)
                .ok_or_else(|| format!("tensor {name} is missing"))?;
            if t.dtype != dtype || t.elements != elements {
                return Err(format!(
                    "tensor {name} has type {} and {} elements, expected type {dtype} and {elements}",
                    t.dtype, t.elements
                ));
            }
            Ok(t)
        };
        let vector = |name: &str, elements: usize| -> Result<Vec<f32>, String> {
            let t = get(name, F32, elements)?;
            Ok(f32s(&map[t.offset..t.offset + t.bytes]))
        };
        let matrix = |name: &str, rows: usize, cols: usize| -> Result<Q4Matrix, String> {
            let t = get(name, Q4_0, rows * cols)?;
            Ok(Q4Matrix::new(t.offset, rows, cols))
        };
        let norm = |prefix: &str| -> Result<Norm, String> {
            Ok(Norm {
                weight: vector(&format!("{prefix}.w"), h)?,
                bias: vector(&format!("{prefix}.b"), h)?,
            })
        };
        let layers = (0..hyper.layers)
            .map(|l| {
                let name = |s: &str| format!("l{l}.{s}");
                Ok(LayerTensors {
                    q: matrix(&name("q.w"), h, h)?,
                    k: matrix(&name("k.w"), h, h)?,
                    v: matrix(&name("v.w"), h, h)?,
                    attn_out: matrix(&name("ao.w"), h, h)?,
                    ff_in: matrix(&name("fi.w"), hyper.ff, h)?,
                    ff_out: matrix(&name("fo.w"), h, hyper.ff)?,
                    q_bias: vector(&name("q.b"), h)?,
                    k_bias: vector(&name("k.b"), h)?,
                    v_bias: vector(&name("v.b"), h)?,
                    attn_out_bias: vector(&name("ao.b"), h)?,
                    ff_in_bias: vector(&name("fi.b"), hyper.ff)?,
                    ff_out_bias: vector(&name("fo.b"), h)?,
                    attn_norm: norm(&name("aln"))?,
                    out_norm: norm(&name("oln"))?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let word = matrix("emb.word", hyper.vocab, h)?;
        let position = vector("emb.pos", hyper.max_positions * h)?;
        let token_type = vector("emb.type", hyper.type_vocab * h)?;
        let embed_norm = norm("emb.ln")?;
        Ok(ModelFile {
            vocab: Vocab {
                offsets,
                scores,
                blob: blob_start..blob_start + blob_len,
                bos: bos as u32,
                eos: eos as u32,
                unk: unk as u32,
                normalization,
            },
            hyper,
            eps,
            word,
            position,
            token_type,
            embed_norm,
            layers,
            map,
        })
    }
}

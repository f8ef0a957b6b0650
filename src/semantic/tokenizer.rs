//! The XLM-RoBERTa SentencePiece-unigram tokenizer, as the reference engine runs it.
//!
//! Each code point goes through the file's normalization map; runs of spaces collapse to
//! one; a leading `▁` is added and spaces become `▁`; then the Viterbi path over the
//! pieces' log-probabilities splits the text, with an unknown piece (the lowest score minus
//! ten) for a character no piece covers. The reference's tie-breaking (first best path
//! found, by start then end position) is kept, so the pieces are the same.

use super::file::Vocab;

/// SentencePiece's word-boundary marker.
const META: char = '\u{2581}';
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Token ids of pieces.
pub type TokenId = u32;

/// The piece table and its lookup.
pub struct Tokenizer {
    /// Open addressing: `piece id + 1`, 0 for an empty slot.
    slots: Vec<u32>,
    mask: usize,
    max_piece_bytes: usize,
    unk_score: f32,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    })
}

fn piece<'b>(vocab: &Vocab, blob: &'b [u8], id: usize) -> &'b [u8] {
    &blob[vocab.offsets[id] as usize..vocab.offsets[id + 1] as usize]
}

/// `text` as the Viterbi search reads it: each code point through the normalization map,
/// runs of spaces collapsed, a leading `▁`, spaces as `▁`; and the byte offset of each of
/// its characters, then its length.
pub fn normalize(vocab: &Vocab, text: &str) -> (String, Vec<usize>) {
    let mut chars: Vec<char> = Vec::with_capacity(text.len());
    for c in text.chars() {
        match vocab.normalization.get(&u32::from(c)) {
            // The map's code points come from the file: one that is not a scalar value
            // is dropped rather than trusted.
            Some(to) => chars.extend(to.iter().filter_map(|&cp| char::from_u32(cp))),
            None => chars.push(c),
        }
    }
    chars.dedup_by(|b, a| *a == ' ' && *b == ' ');
    let mut normalized = String::with_capacity(chars.len() * 3 + 3);
    // Byte offset of each character, and the end.
    let mut starts = Vec::with_capacity(chars.len() + 2);
    if chars.first() != Some(&' ') {
        starts.push(0);
        normalized.push(META);
    }
    for &c in &chars {
        starts.push(normalized.len());
        normalized.push(if c == ' ' { META } else { c });
    }
    starts.push(normalized.len());
    (normalized, starts)
}

impl Tokenizer {
    /// Builds the lookup over `vocab`, whose piece bytes are `blob`.
    pub fn new(vocab: &Vocab, blob: &[u8]) -> Tokenizer {
        let pieces = vocab.scores.len();
        let size = (pieces * 2).next_power_of_two().max(2);
        let mask = size - 1;
        let mut slots = vec![0u32; size];
        let mut max_piece_bytes = 1;
        for id in 0..pieces {
            let bytes = piece(vocab, blob, id);
            max_piece_bytes = max_piece_bytes.max(bytes.len());
            if bytes.is_empty() {
                continue;
            }
            let mut i = fnv1a(bytes) as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = id as u32 + 1;
        }
        let min_score = vocab.scores.iter().copied().fold(f32::INFINITY, f32::min);
        Tokenizer {
            slots,
            mask,
            max_piece_bytes,
            unk_score: min_score - 10.0,
        }
    }

    fn lookup(&self, vocab: &Vocab, blob: &[u8], bytes: &[u8]) -> Option<usize> {
        let mut i = fnv1a(bytes) as usize & self.mask;
        loop {
            let id = self.slots[i].checked_sub(1)? as usize;
            if piece(vocab, blob, id) == bytes {
                return Some(id);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The pieces of `text`, without `<s>` and `</s>`.
    pub fn encode(&self, vocab: &Vocab, blob: &[u8], text: &str) -> Vec<TokenId> {
        let (normalized, starts) = normalize(vocab, text);
        let n = starts.len() - 1;
        let bytes = normalized.as_bytes();

        const UNREACHED: f32 = -1e30;
        let mut best = vec![UNREACHED; n + 1];
        // Per end position: the piece (None: unknown) and where it starts.
        let mut back: Vec<(Option<usize>, usize)> = vec![(None, 0); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] <= -1e29 {
                continue;
            }
            let from = starts[i];
            for e in i + 1..=n {
                let len = starts[e] - from;
                if len > self.max_piece_bytes {
                    break;
                }
                if let Some(id) = self.lookup(vocab, blob, &bytes[from..starts[e]])
                    && id != vocab.unk as usize
                {
                    let score = best[i] + vocab.scores[id];
                    if score > best[e] {
                        best[e] = score;
                        back[e] = (Some(id), i);
                    }
                }
            }
            let score = best[i] + self.unk_score;
            if score > best[i + 1] {
                best[i + 1] = score;
                back[i + 1] = (None, i);
            }
        }
        let mut ids = Vec::new();
        let mut i = n;
        while i > 0 {
            let (id, from) = back[i];
            ids.push(id.map_or(vocab.unk, |id| id as u32));
            i = from;
        }
        ids.reverse();
        ids
    }
}

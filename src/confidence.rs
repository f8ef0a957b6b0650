//! Confidence: the probability that a ranked entry is the right answer.
//!
//! A BM25 score alone does not separate out-of-scope questions from answerable ones, so the
//! confidence is a logistic model over several signals of the match ([`Features`]). The
//! relative weights of the signals are set by hand from what each means (coverage of the
//! question counts most, words unknown to the FAQ count against); `faqbot calibrate` then
//! fits a scale and an offset of that logit (Platt scaling) on the even lines of the
//! regression corpus, with the label "the top entry is one of the expected ones"
//! (out-of-scope questions are negatives), and reports the odd lines. A fully free
//! eight-weight fit was measured too and separated out-of-scope questions worse on the
//! held-out half (README). A confidence of 0.5 therefore means: among questions whose
//! match looked like this one, about half got the right entry first.

use crate::tuning::{CALIBRATION_ITERATIONS, CALIBRATION_RATE, FIT_ITERATIONS, FIT_RATE, L2};

/// Signals of how well one entry matches one question.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Features {
    /// Share of the question's meaning (idf-weighted concepts) found in the entry: 0..1.
    pub coverage: f32,
    /// Share of the question's concepts that no entry of the language knows: 0..1.
    pub unknown: f32,
    /// `ln(1 + BM25)` of the entry, both languages combined.
    pub score: f32,
    /// `(s - s_next) / s`: lead over the best other entry, negative when behind.
    pub margin: f32,
    /// Language detection confidence, 1 when forced.
    pub lang: f32,
    /// `1 / concepts`: a one-word question says little.
    pub brevity: f32,
    /// 1 when the other language's page ranks the same entry first.
    pub agreement: f32,
    /// Share of the question's meaning found in the entry's best-matching phrasing (its
    /// title or one alternate).
    pub question: f32,
    /// Sentence-encoder cosine of the question with the entry's nearest phrasing, either
    /// language (0 without an encoder).
    pub semantic: f32,
    /// That cosine minus the best other entry's: negative when another is nearer.
    pub semantic_margin: f32,
    /// Cosine with the nearest line of the entry's answer.
    pub passage: f32,
    /// Cosine with the nearest off-topic phrasing minus `semantic`: positive when the
    /// question is nearer something the FAQ does not answer.
    pub off_topic_gap: f32,
    /// The entry classifier's probability that the question asks for this entry.
    pub class: f32,
    /// Its probability that the question asks for nothing the FAQ answers.
    pub class_none: f32,
    /// 1 when a long message was read for the clause that asks: its words are a person's
    /// situation around the question, not noise against the match.
    pub clause: f32,
    /// 1 when a follow-up was read with the question before it.
    pub follow_up: f32,
}

/// How many signals a [`Features`] holds.
pub const FEATURES: usize = 16;

impl Features {
    pub const NAMES: [&'static str; FEATURES] = [
        "coverage",
        "unknown",
        "score",
        "margin",
        "lang",
        "brevity",
        "agreement",
        "question",
        "semantic",
        "semantic_margin",
        "passage",
        "off_topic_gap",
        "class",
        "class_none",
        "clause",
        "follow_up",
    ];

    pub fn to_array(self) -> [f32; FEATURES] {
        [
            self.coverage,
            self.unknown,
            self.score,
            self.margin,
            self.lang,
            self.brevity,
            self.agreement,
            self.question,
            self.semantic,
            self.semantic_margin,
            self.passage,
            self.off_topic_gap,
            self.class,
            self.class_none,
            self.clause,
            self.follow_up,
        ]
    }
}

/// A logistic model over [`Features`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Model {
    pub weights: [f32; FEATURES],
    pub bias: f32,
}

impl Model {
    /// Without an encoder: fitted like [`Model::SEMANTIC`] with the encoder turned off
    /// (`--model none`); its semantic signals are always 0.
    pub const LEXICAL: Model = Model {
        weights: [
            4.343, 4.493, 4.434, 0.004, -0.528, 1.502, 0.611, 1.513, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            0.0, 0.0,
        ],
        bias: -14.193,
    };

    /// With the encoder: every weight fitted by `faqbot calibrate` on
    /// `tests/questions/train/` and `blind3/` to `blind8/` (tidy questions) with `chat3/` and
    /// `dialog1/` (the way people write in a chat, dialogues read as the bot reads them):
    /// 3,365 questions, every candidate of every question a sample, then Platt-scaled on the
    /// first-ranked candidates, with the alternates and off-topic lists as shipped. Checked
    /// on `blind12/` to `blind17/` (tidy, not fitted on), reported on `chat1/`, `chat2/` and
    /// `dialog2/` (README, *Quality*).
    pub const SEMANTIC: Model = Model {
        weights: [
            4.131, 2.506, 1.798, 0.004, -0.929, -0.199, 0.166, -0.067, -18.493, 14.717, 7.883,
            -31.470, 7.302, -1.026, 0.440, -0.723,
        ],
        bias: 2.537,
    };

    /// The probability that the entry with these features is right.
    pub fn predict(&self, features: &Features) -> f32 {
        let z = self.logit(features);
        // A signal that is not a number must never read as confidence.
        if z.is_nan() {
            return 0.0;
        }
        1.0 / (1.0 + (-z).exp())
    }

    /// The model's logit before the sigmoid.
    pub fn logit(&self, features: &Features) -> f32 {
        self.weights
            .iter()
            .zip(features.to_array())
            .map(|(w, x)| w * x)
            .sum::<f32>()
            + self.bias
    }

    /// Platt scaling: keeps this model's direction (the relative weights of the signals,
    /// set by hand from what each one means) and fits only a scale and an offset of its
    /// logit on labelled samples, by gradient descent on the log loss. Two parameters
    /// cannot overfit a few hundred questions; the result is a calibrated probability.
    pub fn calibrate(&self, samples: &[(Features, bool)]) -> Model {
        let n = samples.len().max(1) as f32;
        let logits: Vec<f32> = samples.iter().map(|(f, _)| self.logit(f)).collect();
        let (mut scale, mut offset) = (1.0f32, 0.0f32);
        for _ in 0..CALIBRATION_ITERATIONS {
            let (mut g_scale, mut g_offset) = (0.0, 0.0);
            for (z, (_, label)) in logits.iter().zip(samples) {
                let p = 1.0 / (1.0 + (-(scale * z + offset)).exp());
                let error = p - f32::from(u8::from(*label));
                g_scale += error * z;
                g_offset += error;
            }
            scale -= CALIBRATION_RATE * g_scale / n;
            offset -= CALIBRATION_RATE * g_offset / n;
        }
        Model {
            weights: self.weights.map(|w| w * scale),
            bias: self.bias * scale + offset,
        }
    }

    /// A free logistic regression over every signal (L2-regularized, on standardized
    /// signals, folded back into raw weights): fitting and reporting use separate corpora,
    /// so all weights may move.
    pub fn fit(samples: &[(Features, bool)]) -> Model {
        let n = samples.len().max(1) as f32;
        let xs: Vec<[f32; FEATURES]> = samples.iter().map(|(f, _)| f.to_array()).collect();
        let mut mean = [0.0f32; FEATURES];
        let mut std = [0.0f32; FEATURES];
        for x in &xs {
            for k in 0..FEATURES {
                mean[k] += x[k] / n;
            }
        }
        for x in &xs {
            for k in 0..FEATURES {
                std[k] += (x[k] - mean[k]).powi(2) / n;
            }
        }
        // A constant signal (all zero without an encoder) keeps weight 0.
        let std = std.map(|v| if v > 1e-10 { v.sqrt() } else { f32::INFINITY });
        let zs: Vec<[f32; FEATURES]> = xs
            .iter()
            .map(|x| std::array::from_fn(|k| (x[k] - mean[k]) / std[k]))
            .collect();
        let (mut w, mut b) = ([0.0f32; FEATURES], 0.0f32);
        for _ in 0..FIT_ITERATIONS {
            let mut gw = [0.0f32; FEATURES];
            let mut gb = 0.0;
            for (z, (_, label)) in zs.iter().zip(samples) {
                let logit: f32 = w.iter().zip(z).map(|(w, z)| w * z).sum::<f32>() + b;
                let error = 1.0 / (1.0 + (-logit).exp()) - f32::from(u8::from(*label));
                for k in 0..FEATURES {
                    gw[k] += error * z[k] / n;
                }
                gb += error / n;
            }
            for k in 0..FEATURES {
                w[k] -= FIT_RATE * (gw[k] + L2 * w[k]);
            }
            b -= FIT_RATE * gb;
        }
        let weights: [f32; FEATURES] = std::array::from_fn(|k| w[k] / std[k]);
        let bias = b - (0..FEATURES).map(|k| weights[k] * mean[k]).sum::<f32>();
        Model { weights, bias }
    }
}

impl std::fmt::Display for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (name, w) in Features::NAMES.iter().zip(self.weights) {
            writeln!(f, "  {name:<16}{w:>9.3}")?;
        }
        write!(f, "  {:<16}{:>9.3}", "bias", self.bias)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_sharpens_a_timid_prior() {
        let sample = |coverage: f32, label| {
            (
                Features {
                    coverage,
                    ..Features::default()
                },
                label,
            )
        };
        let samples: Vec<_> = (0..50).map(|i| sample(i as f32 / 50.0, i >= 25)).collect();
        // A prior that points the right way but is far too timid.
        let prior = Model {
            weights: [
                1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            ],
            bias: -0.5,
        };
        assert!(prior.predict(&samples[45].0) < 0.6);
        let model = prior.calibrate(&samples);
        assert!(model.predict(&samples[45].0) > 0.8);
        assert!(model.predict(&samples[5].0) < 0.2);
        assert!(model.weights[0] > 0.0);
    }
}

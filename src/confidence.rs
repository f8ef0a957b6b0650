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
}

impl Features {
    pub const NAMES: [&'static str; 8] = [
        "coverage",
        "unknown",
        "score",
        "margin",
        "lang",
        "brevity",
        "agreement",
        "question",
    ];

    pub fn to_array(self) -> [f32; 8] {
        [
            self.coverage,
            self.unknown,
            self.score,
            self.margin,
            self.lang,
            self.brevity,
            self.agreement,
            self.question,
        ]
    }
}

/// A logistic model over [`Features`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Model {
    pub weights: [f32; 8],
    pub bias: f32,
}

impl Model {
    /// The hand-set direction `[6, -4, 0.5, 2, 1, -0.5, 0.5, 1]`, bias -5, Platt-scaled by `faqbot calibrate
    /// tests/questions/pt.tsv tests/questions/es.tsv` on the corpus's even lines.
    pub const DEFAULT: Model = Model {
        weights: [4.120, -2.746, 0.343, 1.373, 0.687, -0.343, 0.343, 0.687],
        bias: -2.218,
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
    fn logit(&self, features: &Features) -> f32 {
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
        for _ in 0..20_000 {
            let (mut g_scale, mut g_offset) = (0.0, 0.0);
            for (z, (_, label)) in logits.iter().zip(samples) {
                let p = 1.0 / (1.0 + (-(scale * z + offset)).exp());
                let error = p - f32::from(u8::from(*label));
                g_scale += error * z;
                g_offset += error;
            }
            scale -= 0.05 * g_scale / n;
            offset -= 0.05 * g_offset / n;
        }
        Model {
            weights: self.weights.map(|w| w * scale),
            bias: self.bias * scale + offset,
        }
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
            weights: [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            bias: -0.5,
        };
        assert!(prior.predict(&samples[45].0) < 0.6);
        let model = prior.calibrate(&samples);
        assert!(model.predict(&samples[45].0) > 0.8);
        assert!(model.predict(&samples[5].0) < 0.2);
        assert!(model.weights[0] > 0.0);
    }
}

//! Confidence: the probability that a ranked entry is the right answer.
//!
//! A BM25 score alone does not separate out-of-scope questions from answerable ones, so the
//! confidence is a logistic model over several signals of the match ([`Features`]). Its
//! weights ([`Model::DEFAULT`]) were fitted by `faqbot calibrate` on the even lines of the
//! regression corpus (the label: the top entry is one of the expected ones; out-of-scope and
//! foreign questions are all negatives) and checked on the odd lines. A confidence of 0.5
//! therefore means: among questions whose match looked like this one, about half got the
//! right entry first.

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
    /// Fitted by `faqbot calibrate tests/questions/pt.tsv tests/questions/es.tsv`.
    pub const DEFAULT: Model = Model {
        weights: [6.0, -4.0, 0.5, 2.0, 1.0, -0.5, 0.5, 1.0],
        bias: -5.0,
    };

    /// The probability that the entry with these features is right.
    pub fn predict(&self, features: &Features) -> f32 {
        let z: f32 = self
            .weights
            .iter()
            .zip(features.to_array())
            .map(|(w, x)| w * x)
            .sum::<f32>()
            + self.bias;
        1.0 / (1.0 + (-z).exp())
    }

    /// Fits by gradient descent on the log loss with a little L2, from labelled samples.
    pub fn fit(samples: &[(Features, bool)]) -> Model {
        let mut model = Model {
            weights: [0.0; 8],
            bias: 0.0,
        };
        if samples.is_empty() {
            return model;
        }
        let n = samples.len() as f32;
        let (rate, l2) = (0.5, 1e-3);
        for _ in 0..20_000 {
            let mut grad = [0.0f32; 8];
            let mut grad_bias = 0.0;
            for (features, label) in samples {
                let error = model.predict(features) - f32::from(u8::from(*label));
                for (g, x) in grad.iter_mut().zip(features.to_array()) {
                    *g += error * x;
                }
                grad_bias += error;
            }
            for (w, g) in model.weights.iter_mut().zip(grad) {
                *w -= rate * (g / n + l2 * *w);
            }
            model.bias -= rate * grad_bias / n;
        }
        model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_separates_a_separable_signal() {
        let sample = |coverage: f32, label| {
            (
                Features {
                    coverage,
                    ..Features::default()
                },
                label,
            )
        };
        let samples: Vec<_> = (0..50)
            .map(|i| sample(i as f32 / 50.0, i >= 25))
            .collect();
        let model = Model::fit(&samples);
        assert!(model.predict(&samples[45].0) > 0.8);
        assert!(model.predict(&samples[5].0) < 0.2);
        assert!(model.weights[0] > 0.0);
    }
}

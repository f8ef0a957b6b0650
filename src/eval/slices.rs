//! Slices of a run and calibration: the figures of one file, one message length or one
//! kind of dialogue turn, and the first-ranked entry's confidence against how often it is
//! right.

use std::fmt;

use super::Outcome1;

/// The lengths [`Report::by_length`] tells apart, by their largest word count.
pub const LENGTHS: [(usize, &str); 3] = [
    (5, "up to 5 words"),
    (20, "6-20 words"),
    (usize::MAX, "over 20 words"),
];

/// The figures of one slice of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub questions: usize,
    pub in_scope: usize,
    pub answered_right: usize,
    pub one_tap: usize,
    pub answered: usize,
    pub answered_wrong: usize,
    /// `NONE` lines, and those answered.
    pub out_of_scope: usize,
    pub out_of_scope_answered: usize,
    pub small_talk: usize,
    pub small_talk_right: usize,
}

impl Summary {
    pub(super) fn add(&mut self, res: &Outcome1) {
        let q = &res.question;
        self.questions += 1;
        if res.answered.is_some() {
            self.answered += 1;
            self.answered_wrong += usize::from(!res.correct());
        }
        if q.in_scope() {
            self.in_scope += 1;
            self.answered_right += usize::from(res.correct());
            self.one_tap += usize::from(res.one_tap());
        } else if q.small_talk {
            self.small_talk += 1;
            self.small_talk_right += usize::from(res.correct());
        } else {
            self.out_of_scope += 1;
            self.out_of_scope_answered += usize::from(res.answered.is_some());
        }
    }

    pub(super) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "questions": self.questions, "in_scope": self.in_scope,
            "answered_right": self.answered_right, "one_tap": self.one_tap,
            "answered": self.answered, "answered_wrong": self.answered_wrong,
            "out_of_scope": self.out_of_scope,
            "out_of_scope_answered": self.out_of_scope_answered,
            "small_talk": self.small_talk, "small_talk_right": self.small_talk_right,
        })
    }
}

impl fmt::Display for Summary {
    /// One line: right, one tap, wrong, out of scope answered, small talk.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A share of nothing is shown as "-", not as a perfect score.
        let pct = |n: usize, d: usize| {
            if d == 0 {
                "    -".to_string()
            } else {
                format!("{:>5.1}%", 100.0 * n as f64 / d as f64)
            }
        };
        write!(
            f,
            "{:>4} lines  right {}  one tap {}  wrong {}  out of scope answered {}/{}",
            self.questions,
            pct(self.answered_right, self.in_scope),
            pct(self.one_tap, self.in_scope),
            pct(self.answered_wrong, self.answered),
            self.out_of_scope_answered,
            self.out_of_scope,
        )?;
        if self.small_talk > 0 {
            write!(
                f,
                "  small talk {}/{}",
                self.small_talk_right, self.small_talk
            )?;
        }
        Ok(())
    }
}

/// First-ranked candidates whose confidence is in `low..high`: how many, how many right.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Band {
    pub low: f32,
    pub high: f32,
    pub count: usize,
    pub right: usize,
    pub confidence_sum: f64,
}

/// The bands' edges: tenths, with the answering range cut finer.
const BAND_EDGES: [f32; 13] = [
    0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0,
];

pub(super) fn bands(results: &[Outcome1]) -> Vec<Band> {
    let mut bands: Vec<Band> = BAND_EDGES
        .windows(2)
        .map(|w| Band {
            low: w[0],
            high: w[1],
            ..Band::default()
        })
        .collect();
    for res in results {
        let Some(c) = res.top_confidence else {
            continue;
        };
        let i = bands
            .iter()
            .position(|b| c < b.high)
            .unwrap_or(bands.len() - 1);
        let band = &mut bands[i];
        band.count += 1;
        band.right += usize::from(res.top_right());
        band.confidence_sum += f64::from(c);
    }
    bands
}

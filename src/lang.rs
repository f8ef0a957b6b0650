//! The two languages faqbot answers in, and what a detector says of a question.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A language with FAQ pages: the only languages an answer can be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Pt,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Pt, Lang::Es];

    /// ISO 639-1 code, also the name of the language's folder under `faq/`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Pt => "pt",
            Lang::Es => "es",
        }
    }

    /// The other FAQ language, whose pages share entry ids with this one.
    pub fn other(self) -> Lang {
        match self {
            Lang::Pt => Lang::Es,
            Lang::Es => Lang::Pt,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A language code that is neither `pt` nor `es`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language {0:?} (expected pt or es)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Lang, UnknownLang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pt" | "pt-br" | "pt_br" | "pt-pt" => Ok(Lang::Pt),
            "es" | "es-es" | "es_es" | "es-419" | "es-mx" | "es-ar" => Ok(Lang::Es),
            _ => Err(UnknownLang(s.to_string())),
        }
    }
}

/// The language a question was judged to be in: `None` is any other language.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detected {
    pub lang: Option<Lang>,
    /// How sure the detector is, in 0..1.
    pub confidence: f32,
}

impl Detected {
    /// `pt`, `es` or `other`, as the JSON output and the corpus write it.
    pub fn code(&self) -> &'static str {
        self.lang.map_or("other", Lang::code)
    }
}

//! faqbot answers customers' questions about the Campaign email-infrastructure upgrade from
//! the vendor's FAQ pages, in Portuguese and Spanish, and hands everything else to the
//! Customer Care link those pages give.
//!
//! The engine is a pipeline, one module per step; the steps are private, [`Engine`] is the
//! way in:
//!
//! - `markdown` parses Experience League pages; `faq` turns a `faq/<lang>/` folder into
//!   answer entries, alternates, synonyms and the Customer Care link;
//! - `analysis` is the text pipeline (NFKC, case, stop words, accents, stemming), with each
//!   language's word lists in [`locale`];
//! - `index` builds and opens the tantivy index, rebuilding it when the sources change; its
//!   `search` holds the schema, the queries and the collector;
//! - [`semantic`] is the sentence encoder; `embed` stores the phrasings' vectors;
//! - `detect` tells Portuguese, Spanish and anything else apart;
//! - [`engine`] ranks entries (vocabulary, concepts, spelling, lexical and semantic
//!   signals, features) and decides, with [`confidence`], to answer, offer choices or hand
//!   off, giving a [`Reply`]; every number it was tuned by is in [`tuning`];
//! - [`teach`] adds phrasings to an entry's alternates or the off-topic list, checked
//!   against a regression corpus first;
//! - [`eval`] runs a question corpus and reports accuracy and every failure;
//! - [`live`] keeps a serving engine in step with edits of the FAQ folder.
//!
//! Front ends only translate between their medium and the engine:
//!
//! - [`conversation`] is what a chat remembers and how it reads a number or `/lang`, for
//!   every front end;
//! - [`render`] writes entries and replies for people (the walk over blocks, plain text,
//!   the phrases of each language);
//! - [`bot`] is the Telegram bot (teloxide), handed its `Bot` and a shutdown future;
//! - [`log`] writes what the bot did and what customers thought of it, masked ([`mask`]),
//!   and reads it back: `review` groups what it failed by meaning, `stats` counts per entry;
//! - the `faqbot` binary is the command line.
//!
//! ```no_run
//! use faqbot::{Engine, Reply, Settings};
//! # fn main() -> Result<(), faqbot::Error> {
//! let engine = Engine::open("faq".as_ref(), "index".as_ref(), Settings::default())?;
//! if let Reply::Answer(answer) = engine.ask("A atualização é obrigatória?") {
//!     println!("{} ({:.2})", answer.best.entry.title, answer.best.confidence);
//! }
//! # Ok(()) }
//! ```

mod analysis;
#[cfg(feature = "telegram")]
pub mod bot;
pub mod confidence;
pub mod conversation;
mod detect;
mod embed;
pub mod engine;
pub mod error;
pub mod eval;
mod faq;
mod index;
pub mod lang;
pub mod live;
pub mod locale;
pub mod log;
mod markdown;
pub mod mask;
pub mod render;
pub mod reply;
pub mod semantic;
mod smalltalk;
pub mod teach;
pub mod tuning;

pub use engine::{Context, Engine, Matcher, Outcome, Ranking, Reading, Scored, Settings};
pub use error::{Error, Result};
pub use faq::{CareLink, Entry, EntryId, embedded_dir};
pub use lang::{Detected, Lang};
pub use live::{Live, Reload};
pub use markdown::{Block, Inline};
pub use reply::{Answer, Candidate, Clarify, Decision, Escalation, Reason, Reply};

//! faqbot answers customers' questions about the Campaign email-infrastructure upgrade from
//! the vendor's FAQ pages, in Portuguese and Spanish, and hands everything else to the
//! Customer Care link those pages give.
//!
//! The engine is a pipeline, one module per step:
//!
//! - [`markdown`] parses Experience League pages; [`faq`] turns a `faq/<lang>/` folder into
//!   answer entries, alternates, synonyms and the Customer Care link;
//! - [`analysis`] is the text pipeline (NFKC, case, stop words, accents, stemming);
//! - [`index`] builds and opens the tantivy index, rebuilding it when the sources change;
//! - [`detect`] tells Portuguese, Spanish and anything else apart;
//! - [`engine`] ranks entries and decides, with [`confidence`], to answer or escalate,
//!   giving a [`Reply`];
//! - [`eval`] runs a question corpus and reports accuracy and every failure;
//! - [`live`] keeps a serving engine in step with edits of the FAQ folder.
//!
//! Front ends only translate between their medium and the engine:
//!
//! - [`render`] writes entries and replies as plain text and Telegram HTML, with the
//!   customer-facing phrases in both languages;
//! - [`bot`] is the Telegram bot (teloxide), handed its `Bot` and a shutdown future;
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

pub mod analysis;
#[cfg(feature = "telegram")]
pub mod bot;
pub mod confidence;
pub mod conversation;
pub mod detect;
mod embed;
pub mod engine;
pub mod error;
pub mod eval;
pub mod faq;
pub mod index;
pub mod lang;
pub mod live;
pub mod locale;
pub mod markdown;
pub mod render;
pub mod reply;
pub mod semantic;
mod smalltalk;
pub mod tuning;
pub mod unanswered;

pub use engine::{Engine, Matcher, Outcome, Ranking, Scored, Settings};
pub use error::{Error, Result};
pub use faq::{CareLink, Entry, EntryId};
pub use lang::{Detected, Lang};
pub use live::{Live, Reload};
pub use reply::{Answer, Candidate, Clarify, Decision, Escalation, Reason, Reply};

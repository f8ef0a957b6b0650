//! One conversation for every front end: what a chat remembers between messages (its answer
//! language, the entries last offered, the question a follow-up leans on), how a number
//! picks an offered entry, what `/lang` accepts, and which replies are small talk.
//! `faqbot chat` and the Telegram bot both talk through it, so they behave the same.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::engine::{Context, Engine, Reading};
use crate::faq::{Entry, EntryId};
use crate::lang::Lang;
use crate::mask::mask_personal_data;
use crate::reply::Reply;
use crate::tuning;

/// Entries put before the customer to choose from ("did you mean", or a clarifying question),
/// in the language they were shown in: typing `2` picks the second.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub lang: Lang,
    pub ids: Vec<EntryId>,
}

impl Offer {
    /// The entries `reply` offers, if it offers any.
    pub fn of(reply: &Reply) -> Option<Offer> {
        let (lang, candidates) = match reply {
            Reply::Answer(answer) if answer.suggest => (answer.lang, &answer.alternatives),
            Reply::Clarify(clarify) => (clarify.lang, &clarify.choices),
            _ => return None,
        };
        let ids: Vec<EntryId> = candidates.iter().map(|c| c.entry.id.clone()).collect();
        (!ids.is_empty()).then_some(Offer { lang, ids })
    }
}

/// What a chat remembers between messages.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Fixed with `/lang`; `None` answers in each question's own language.
    pub lang: Option<Lang>,
    /// What the last reply offered; any other reply replaces it.
    #[serde(default)]
    pub offer: Option<Offer>,
    /// The question behind the last answer or choices (masked as logs are), for reading
    /// a follow-up; gone after a hand-off, after [`tuning::CONTEXT_EXPIRES`], on `/start`.
    #[serde(default)]
    pub context: Option<Remembered>,
}

/// A context and when it was set, in seconds since the Unix epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remembered {
    #[serde(flatten)]
    pub context: Context,
    pub at: u64,
}

/// Now, in seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A message read as the choice of an offered entry.
#[derive(Clone, Debug)]
pub enum Pick {
    /// The entry offered under that number.
    Entry(Arc<Entry>),
    /// A number, but none of the offered ones: `1..=count` are, offered in `lang`.
    OutOfRange { count: usize, lang: Lang },
}

/// What `/lang` was asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LangCommand {
    /// No argument: say the setting.
    Show,
    /// `pt`, `es` (any case, regional forms too), or `auto` for `None`.
    Set(Option<Lang>),
    /// Anything else: say how to use it.
    Invalid,
}

impl LangCommand {
    pub fn parse(arg: &str) -> LangCommand {
        let arg = arg.trim();
        if arg.is_empty() {
            LangCommand::Show
        } else if arg.eq_ignore_ascii_case("auto") {
            LangCommand::Set(None)
        } else {
            arg.parse()
                .map_or(LangCommand::Invalid, |lang| LangCommand::Set(Some(lang)))
        }
    }
}

/// How a language setting reads: `pt`, `es` or `auto`.
pub fn setting_name(lang: Option<Lang>) -> &'static str {
    lang.map_or("auto", Lang::code)
}

impl Conversation {
    pub fn new(lang: Option<Lang>) -> Conversation {
        Conversation {
            lang,
            offer: None,
            context: None,
        }
    }

    /// The context a message sent at `now` is read in: none once it has expired.
    pub fn context_at(&self, now: u64) -> Option<&Context> {
        self.context
            .as_ref()
            .filter(|r| now.saturating_sub(r.at) < tuning::CONTEXT_EXPIRES.as_secs())
            .map(|r| &r.context)
    }

    /// `text` as the choice of an offered entry: `None` when it is not a bare number or
    /// nothing is on offer, so it is a question. An entry removed by a live edit since the
    /// offer counts as out of range.
    pub fn pick(&self, engine: &Engine, text: &str) -> Option<Pick> {
        let offer = self.offer.as_ref()?;
        let n: usize = text.trim().parse().ok()?;
        let entry = offer
            .ids
            .get(n.wrapping_sub(1))
            .and_then(|id| engine.entry(offer.lang, id.as_str()));
        Some(entry.map_or(
            Pick::OutOfRange {
                count: offer.ids.len(),
                lang: offer.lang,
            },
            Pick::Entry,
        ))
    }

    /// Asks the engine in the chat's language setting, reading a follow-up with the
    /// question before it, and remembers what the reply offers.
    pub fn ask(&mut self, engine: &Engine, text: &str) -> Reply {
        let now = now();
        let reading = engine.read(text, self.lang, self.context_at(now));
        let reply = engine.decide(reading.ranking.clone());
        self.replied(text, &reading, &reply, now);
        reply
    }

    /// Remembers what `reply` offers and what a follow-up of `text` would lean on, for a
    /// front end that asked the engine itself (the bot asks on a blocking thread).
    pub fn replied(&mut self, text: &str, reading: &Reading, reply: &Reply, now: u64) {
        self.offer = Offer::of(reply);
        let before = self.context_at(now).cloned();
        let at = match (&before, reply) {
            // Small talk keeps the question it followed, and its age.
            (Some(_), Reply::Escalation(e)) if e.reason.is_small_talk() => {
                self.context.as_ref().map_or(now, |r| r.at)
            }
            _ => now,
        };
        self.context = reading
            .context_after(text, reply, before)
            .map(|context| Remembered {
                context: Context {
                    text: mask_personal_data(&context.text),
                    lang: context.lang,
                },
                at,
            });
    }

    /// Forgets the question a follow-up would lean on (`/start`).
    pub fn forget(&mut self) {
        self.context = None;
    }

    /// Carries out `/lang`; the new setting when it changed.
    pub fn lang_command(&mut self, command: LangCommand) -> Option<Option<Lang>> {
        match command {
            LangCommand::Set(lang) => {
                self.lang = lang;
                Some(lang)
            }
            LangCommand::Show | LangCommand::Invalid => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lang_arguments() {
        assert_eq!(LangCommand::parse(""), LangCommand::Show);
        assert_eq!(LangCommand::parse("  "), LangCommand::Show);
        assert_eq!(LangCommand::parse("AUTO"), LangCommand::Set(None));
        assert_eq!(LangCommand::parse("Es"), LangCommand::Set(Some(Lang::Es)));
        assert_eq!(
            LangCommand::parse("pt-BR"),
            LangCommand::Set(Some(Lang::Pt))
        );
        assert_eq!(LangCommand::parse("fr"), LangCommand::Invalid);
        let mut talk = Conversation::new(Some(Lang::Pt));
        assert_eq!(talk.lang_command(LangCommand::Invalid), None);
        assert_eq!(talk.lang, Some(Lang::Pt));
        assert_eq!(talk.lang_command(LangCommand::Set(None)), Some(None));
        assert_eq!(talk.lang, None);
    }

    #[test]
    fn the_context_expires_and_start_forgets_it() {
        let mut talk = Conversation::new(None);
        talk.context = Some(Remembered {
            context: Context {
                text: "prazo?".into(),
                lang: Lang::Pt,
            },
            at: 1_000,
        });
        let expires = tuning::CONTEXT_EXPIRES.as_secs();
        assert!(talk.context_at(1_000 + expires - 1).is_some());
        assert!(talk.context_at(1_000 + expires).is_none());
        talk.forget();
        assert!(talk.context_at(1_000).is_none());
    }

    #[test]
    fn state_written_before_the_offer_type_still_reads() {
        // A chat stored by an older faqbot: its offer is dropped, its language kept.
        let old = r#"{"lang":"es","offered":["p/aws-faq-1"],"offered_lang":"es"}"#;
        let talk: Conversation = serde_json::from_str(old).expect("old state reads");
        assert_eq!(talk, Conversation::new(Some(Lang::Es)));
    }
}

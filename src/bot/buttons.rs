//! Button and inline-result ids: what a button press or an inline result stands for,
//! within Telegram's 64-byte cap.

use std::sync::Arc;

use teloxide::types::InlineKeyboardButton;

use crate::engine::Engine;
use crate::faq::{Entry, EntryId};
use crate::lang::Lang;
use crate::reply::Candidate;

/// Telegram's cap on callback data and inline result ids, in bytes.
const TELEGRAM_ID_MAX: usize = 64;

/// `e:<lang>:<entry id>`, or `h:<lang>:<digest>` when the id would pass Telegram's cap.
pub(super) fn callback_data(lang: Lang, id: &EntryId) -> String {
    let full = format!("e:{}:{}", lang.code(), id.as_str());
    if full.len() <= TELEGRAM_ID_MAX {
        full
    } else {
        format!("h:{}:{}", lang.code(), id.digest())
    }
}

/// The entry a button stands for, if it still exists.
pub(super) fn chosen_entry(engine: &Engine, data: &str) -> Option<Arc<Entry>> {
    let (kind, rest) = data.split_once(':')?;
    let (lang, key) = rest.split_once(':')?;
    let lang = lang.parse().ok()?;
    match kind {
        "e" => engine.entry(lang, key),
        "h" => engine
            .entries(lang)
            .iter()
            .find(|entry| entry.id.digest() == key)
            .cloned(),
        _ => None,
    }
}

/// An inline result id: unique per entry and language, within Telegram's cap.
pub(super) fn result_id(entry: &Entry) -> String {
    let id = format!("{}:{}", entry.lang, entry.id.local());
    if id.len() <= TELEGRAM_ID_MAX {
        id
    } else {
        format!("{}:{}", entry.lang, entry.id.digest())
    }
}

/// One button a row per entry; a press sends that entry.
pub(super) fn entry_buttons(lang: Lang, entries: &[Candidate]) -> Vec<Vec<InlineKeyboardButton>> {
    entries
        .iter()
        .map(|c| {
            vec![InlineKeyboardButton::callback(
                c.entry.title.clone(),
                callback_data(lang, &c.entry.id),
            )]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data_stays_under_telegrams_cap() {
        let short = EntryId::new("migrate-infra-to-aws", "aws-faq-6");
        assert_eq!(
            callback_data(Lang::Pt, &short),
            "e:pt:migrate-infra-to-aws/aws-faq-6"
        );
        let long = EntryId::new(&"a-very-long-page-anchor".repeat(3), "section-1");
        let data = callback_data(Lang::Es, &long);
        assert!(data.len() <= TELEGRAM_ID_MAX, "{data}");
        assert_eq!(data, format!("h:es:{}", long.digest()));
        assert_ne!(long.digest(), short.digest());
    }

    #[test]
    fn buttons_lead_back_to_their_entry_by_id_or_digest() {
        let (engine, _index) = crate::engine::tests::repo_engine();
        for lang in Lang::ALL {
            for entry in engine.entries(lang) {
                let by_id = chosen_entry(&engine, &callback_data(lang, &entry.id));
                let by_digest =
                    chosen_entry(&engine, &format!("h:{}:{}", lang.code(), entry.id.digest()));
                for chosen in [by_id, by_digest] {
                    let chosen = chosen.expect("an entry");
                    assert_eq!((chosen.lang, &chosen.id), (lang, &entry.id));
                }
            }
        }
        assert!(chosen_entry(&engine, "h:pt:0000000000000000").is_none());
        assert!(chosen_entry(&engine, "x:pt:whatever").is_none());
    }
}

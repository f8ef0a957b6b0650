//! How a message is read before it is ranked. A long message tells its situation first
//! and asks last: it is read for the clause that asks, beside the whole. A short follow-up
//! ("e pro ambiente de teste?") names no topic of its own: it is read with the question
//! before it, and that reading is kept when the follow-up alone is weak.

use serde::{Deserialize, Serialize};

use super::{Engine, Outcome, Ranking};
use crate::analysis;
use crate::lang::Lang;
use crate::smalltalk;
use crate::tuning::{CONTEXT_MAX_CHARS, FOLLOW_UP_MAX_WORDS, LONG_MESSAGE_WORDS};

/// What a conversation carries to the next message: the question behind its last answer
/// or choices, as it was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    pub text: String,
    pub lang: Lang,
}

/// How a message was read: the confidence model weighs each kind apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum How {
    Whole,
    /// A long message's clause that asks.
    Clause,
    /// A follow-up with the question before it.
    FollowUp,
}

/// A message's ranking and the text it was ranked on.
#[derive(Clone, Debug)]
pub struct Reading {
    pub ranking: Ranking,
    /// The text ranked when it is not the message as typed: the clause that asks, or the
    /// previous question with this one.
    pub read_as: Option<String>,
}

impl Reading {
    /// The context the next message is read in, after this one got `reply`: the question
    /// behind an answer or choices; small talk keeps the one before; anything else (a
    /// hand-off) ends it.
    pub fn context_after(
        &self,
        message: &str,
        reply: &crate::reply::Reply,
        before: Option<Context>,
    ) -> Option<Context> {
        use crate::reply::Reply;
        match reply {
            Reply::Answer(a) => Some(self.context(message, a.lang)),
            Reply::Clarify(c) => Some(self.context(message, c.lang)),
            Reply::Escalation(e) if e.reason.is_small_talk() => before,
            Reply::Escalation(_) => None,
        }
    }

    fn context(&self, message: &str, lang: Lang) -> Context {
        let text = self.read_as.as_deref().unwrap_or(message);
        // The end of a long reading is where its question is.
        let skip = text.chars().count().saturating_sub(CONTEXT_MAX_CHARS);
        Context {
            text: text.chars().skip(skip).collect(),
            lang,
        }
    }
}

impl Engine {
    /// Detects the language and ranks the entries for `message`, read for its question,
    /// and with `context` when it is a follow-up; without deciding.
    pub fn read(&self, message: &str, lang: Option<Lang>, context: Option<&Context>) -> Reading {
        let message = super::within_limit(message);
        let alone = self.read_alone(message, lang);
        let Some(context) = context else {
            return alone;
        };
        if !is_follow_up(message, &alone.ranking.outcome) {
            return alone;
        }
        let joined = format!("{} {message}", context.text);
        let with = Reading {
            ranking: self.rank_text(&joined, lang, &joined, How::FollowUp),
            read_as: Some(joined),
        };
        let top = |r: &Reading| match &r.ranking.outcome {
            Outcome::Ranked { candidates, .. } => candidates.first().map_or(0.0, |s| s.confidence),
            _ => 0.0,
        };
        let vague = matches!(alone.ranking.outcome, Outcome::Ranked { vague: true, .. });
        let weak = vague || top(&alone) < self.settings.threshold;
        if weak && top(&with) > top(&alone) {
            with
        } else {
            alone
        }
    }

    /// `message` read on its own: whole when short, for the clause that asks when long.
    fn read_alone(&self, message: &str, lang: Option<Lang>) -> Reading {
        let clause = question_clause(message, |s| self.names_a_topic(s, None));
        if let Some(clause) = &clause {
            tracing::debug!(clause = %clause, "read for the clause that asks");
        }
        let (text, how) = match &clause {
            Some(clause) => (clause.as_str(), How::Clause),
            None => (message, How::Whole),
        };
        Reading {
            ranking: self.rank_text(text, lang, message, how),
            read_as: clause,
        }
    }
}

/// A message that may lean on the one before: short, ranked (not small talk, not empty),
/// and asking: a question mark, a question word, or the "and…?" that opens a follow-up
/// ("e pro stage", "y en producción"). A reaction ("poxa", "ni modo") leans on nothing.
/// Whether it names a topic of its own is left to the comparison of readings.
fn is_follow_up(message: &str, alone: &Outcome) -> bool {
    // Nearer a question the FAQ does not answer than any entry: a topic of its own.
    if matches!(
        alone,
        Outcome::Ranked {
            off_topic: true,
            ..
        }
    ) {
        return false;
    }
    let words: Vec<String> = analysis::words(message)
        .iter()
        .map(|w| analysis::fold(w))
        .collect();
    let asks = message.contains('?')
        || message.contains('¿')
        || words
            .iter()
            .any(|w| crate::locale::QUESTION_WORDS.contains(&w.as_str()))
        || words
            .first()
            .is_some_and(|w| FOLLOW_UP_OPENINGS.contains(&w.as_str()));
    matches!(alone, Outcome::Ranked { .. } | Outcome::OtherLanguage)
        && asks
        && words.len() <= FOLLOW_UP_MAX_WORDS
}

/// First words that carry a question over from the message before, folded.
const FOLLOW_UP_OPENINGS: &[&str] = &[
    "e",
    "y",
    "mas",
    "pero",
    "entao",
    "entonces",
    "tambem",
    "tambien",
    "tb",
    "tbm",
    "tmb",
    "so",
    "solo",
    "inclusive",
    "incluso",
    "isso",
    "eso",
    "esse",
    "essa",
    "ese",
    "esa",
    "and",
];

/// Words that open a message's closing formula and its signature: everything from the
/// first sentence opening with one of them on is left out ("Atentamente, Lic. Gabriela
/// Sosa, Comunicación Institucional").
const SIGN_OFFS: &[&str] = &[
    "atenciosamente",
    "att",
    "atte",
    "cordialmente",
    "respeitosamente",
    "abracos",
    "abraco",
    "abs",
    "atentamente",
    "saludos",
    "saludo",
    "cordiales",
];

/// Words that open a sentence of politeness around the question ("Fico no aguardo.",
/// "Agradecemos desde já a atenção.", "Quedo atento."): such a sentence is left out.
const POLITE: &[&str] = &[
    "grato",
    "grata",
    "obrigado",
    "obrigada",
    "gracias",
    "agradeco",
    "agradezco",
    "agradecemos",
    "fico",
    "ficamos",
    "quedo",
    "quedamos",
    "aguardo",
    "aguardamos",
    "permaneco",
    "permanecemos",
    "reciban",
    "recebam",
    "sem",
    "sin",
];

/// The clause of a long message that asks, when the message is long and has one apart
/// from the rest: the last sentence with a question mark (with the sentence before it
/// when it is only a few words, "e agora?"), else the last sentence that is neither small
/// talk nor a sign-off. `None` when the message is short or is one sentence.
pub(crate) fn question_clause(message: &str, topical: impl Fn(&str) -> bool) -> Option<String> {
    if analysis::words(message).len() <= LONG_MESSAGE_WORDS {
        return None;
    }
    let mut sentences = sentences(message);
    // A sign-off ends the message: what follows it is a signature ("Atentamente, Lic.
    // Gabriela Sosa, Comunicación Institucional"), whatever its sentences look like.
    if let Some(end) = sentences
        .iter()
        .skip(1)
        .position(|s| is_sign_off(s))
        .map(|i| i + 1)
    {
        sentences.truncate(end);
    }
    let sentences: Vec<&str> = sentences.into_iter().filter(|s| !is_filler(s)).collect();
    let asking = sentences
        .iter()
        .rposition(|s| s.contains('?') || s.contains('¿'));
    // Without a question mark, the last sentence that names a topic of the FAQ: not the
    // name and title under a letter.
    let last = asking
        .or_else(|| sentences.iter().rposition(|s| topical(s)))
        .or(sentences.len().checked_sub(1))?;
    let mut first = last;
    if first > 0 && analysis::words(sentences[last]).len() < 5 {
        first -= 1;
    }
    let clause = sentences[first..=last].join(" ");
    let whole = analysis::words(message).len();
    (analysis::words(&clause).len() < whole).then_some(clause)
}

/// Small talk, politeness, a sign-off, or no word at all.
fn is_filler(sentence: &str) -> bool {
    analysis::words(sentence).is_empty()
        || smalltalk::classify(sentence).is_some()
        || opens_with(sentence, SIGN_OFFS)
        || opens_with(sentence, POLITE)
}

/// A sentence that closes a message: it opens with a sign-off word and asks nothing.
fn is_sign_off(sentence: &str) -> bool {
    opens_with(sentence, SIGN_OFFS)
}

/// The sentence asks nothing and its first word is one of `words` (folded).
fn opens_with(sentence: &str, words: &[&str]) -> bool {
    !sentence.contains('?')
        && analysis::words(sentence)
            .first()
            .is_some_and(|first| words.contains(&analysis::fold(first).as_str()))
}

/// Sentences: ended by `.`, `!`, `?`, `…`, `;` or a line break, the mark kept. A dot
/// between digits or letters without a space ("v8.1", "adobe.com") ends nothing.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end = match c {
            '?' | '!' | '…' | ';' | '\n' => true,
            '.' => chars.peek().is_none_or(|&(_, n)| n.is_whitespace()),
            _ => false,
        };
        if end {
            // A run of marks ("?!", "...") stays with its sentence.
            let mut stop = i + c.len_utf8();
            while let Some(&(j, n)) = chars.peek() {
                if matches!(n, '?' | '!' | '.' | '…') {
                    stop = j + n.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let s = text[start..stop].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = stop;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::repo_engine;
    use crate::reply::Reply;

    fn top(reading: &Reading) -> Option<String> {
        match &reading.ranking.outcome {
            Outcome::Ranked { candidates, .. } => {
                candidates.first().map(|s| s.entry.id.local().to_string())
            }
            _ => None,
        }
    }

    #[test]
    fn a_follow_up_is_read_with_the_question_before_it_and_a_reaction_is_not() {
        let (engine, _index) = repo_engine();
        let first = "Vamos ficar sem enviar emails durante a atualização?";
        let reading = engine.read(first, None, None);
        let reply = engine.decide(reading.ranking.clone());
        assert!(matches!(reply, Reply::Answer(_)), "{reply:?}");
        let context = reading
            .context_after(first, &reply, None)
            .expect("answered");
        assert_eq!(context.text, first);

        let follow_up = engine.read("e quanto tempo dura?", None, Some(&context));
        assert_eq!(
            follow_up.read_as.as_deref(),
            Some("Vamos ficar sem enviar emails durante a atualização? e quanto tempo dura?")
        );
        let alone = engine.read("e quanto tempo dura?", None, None);
        assert!(alone.read_as.is_none());
        assert!(
            matches!(top(&follow_up).as_deref(), Some("impact" | "aws-faq-3")),
            "{:?}",
            top(&follow_up)
        );

        // A reaction asks nothing: read alone, whatever came before.
        for reaction in ["poxa", "ni modo", "ok, vou repassar pro time"] {
            let read = engine.read(reaction, None, Some(&context));
            assert!(read.read_as.is_none(), "{reaction}: {:?}", read.read_as);
        }
    }

    #[test]
    fn small_talk_keeps_the_context_and_a_hand_off_ends_it() {
        let (engine, _index) = repo_engine();
        let context = Context {
            text: "A atualização é obrigatória?".into(),
            lang: Lang::Pt,
        };
        let thanks = engine.read("valeu!", None, Some(&context));
        let reply = engine.decide(thanks.ranking.clone());
        assert_eq!(
            thanks.context_after("valeu!", &reply, Some(context.clone())),
            Some(context.clone())
        );
        let foreign = engine.read("What is the weather in Paris today?", None, None);
        let reply = engine.decide(foreign.ranking.clone());
        assert!(matches!(reply, Reply::Escalation(_)), "{reply:?}");
        assert_eq!(foreign.context_after("x", &reply, Some(context)), None);
    }

    #[test]
    fn a_long_message_is_read_for_the_sentence_that_asks() {
        let message = "Boa tarde, tudo bem? Trabalho no CRM de uma varejista e vimos o \
                       comunicado sobre a atualização. Estamos fechando o calendário de \
                       dezembro com várias campanhas de Natal e Black Friday atrasada. \
                       Vamos conseguir enviar normalmente nesses dias? Obrigado!";
        assert_eq!(
            question_clause(message, |_| true).as_deref(),
            Some("Vamos conseguir enviar normalmente nesses dias?")
        );
    }

    #[test]
    fn a_short_last_question_keeps_the_sentence_before_it() {
        let message = "Hola equipo, somos una agencia en Bogotá con tres clientes en \
                       Campaign Standard y uno en Classic. Nos dijeron que la ventana de \
                       actualización la define Adobe. ¿Se puede cambiar? Saludos cordiales, \
                       Marta";
        assert_eq!(
            question_clause(message, |_| true).as_deref(),
            Some("Nos dijeron que la ventana de actualización la define Adobe. ¿Se puede cambiar?")
        );
    }

    #[test]
    fn short_messages_and_single_sentences_are_read_whole() {
        assert_eq!(
            question_clause("A atualização é obrigatória?", |_| true),
            None
        );
        let run_on = "entao eu queria saber tipo assim se a gente tem que fazer alguma \
                      coisa antes da atualizacao porque o meu chefe falou que sim e eu nao \
                      sei bem o que e";
        assert_eq!(question_clause(run_on, |_| true), None);
    }

    #[test]
    fn sentences_end_at_marks_but_not_inside_names() {
        assert_eq!(
            sentences("Vi em adobe.com a v8.1. E agora?! Ok"),
            ["Vi em adobe.com a v8.1.", "E agora?!", "Ok"]
        );
    }
}

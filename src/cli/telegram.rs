//! `faqbot bot`: reads the token, opens the engine, runs the bot until SIGINT or SIGTERM.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use faqbot::bot::{self, Options, Secret};
use faqbot::{Engine, Live};
use teloxide::Bot;
use teloxide::payloads::DeleteWebhookSetters;
use teloxide::prelude::Requester;

const TOKEN: &str = "TELOXIDE_TOKEN";
const API_URL: &str = "TELOXIDE_API_URL";

pub fn run(
    open: impl FnOnce() -> anyhow::Result<Engine>,
    reopen: impl Fn() -> faqbot::Result<Engine> + Send + Sync + 'static,
    faq_dir: &Path,
    options: Options,
) -> anyhow::Result<ExitCode> {
    let telegram = match bot_from_env() {
        Ok(telegram) => telegram,
        Err(code) => return Ok(code),
    };
    let live = Arc::new(Live::new(open()?, reopen));
    let _watcher = live.watch(faq_dir, faqbot::tuning::WATCH_EVERY);
    let runtime = tokio::runtime::Runtime::new()?;
    let ran = runtime.block_on(async {
        let hangups = tokio::spawn(reload_on_sighup(live.clone()));
        let ran = bot::run(telegram, live, options, shutdown_signal()).await;
        hangups.abort();
        ran
    });
    // A reload still rebuilding the index must not hold up the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    ran?;
    Ok(ExitCode::SUCCESS)
}

/// SIGHUP reloads the FAQ at once, as daemons reload their configuration.
async fn reload_on_sighup(live: Arc<Live>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangup = match signal(SignalKind::hangup()) {
            Ok(hangup) => hangup,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGHUP: edits are still watched");
                return;
            }
        };
        while hangup.recv().await.is_some() {
            let live = live.clone();
            match tokio::task::spawn_blocking(move || live.reload()).await {
                Ok(reload) => faqbot::live::log(&reload, "SIGHUP"),
                Err(error) => tracing::error!(%error, "the reload failed"),
            }
        }
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await
}

/// `faqbot webhook …`: what an operator does once per deployment, not each replica.
#[derive(Debug, clap::Subcommand)]
pub enum WebhookCommand {
    /// Register the public HTTPS URL Telegram posts updates to (pending updates are kept).
    Set {
        /// e.g. https://bot.example.com/telegram/webhook (ports 443, 80, 88 or 8443).
        url: url::Url,
        /// The secret every replica is started with (FAQBOT_WEBHOOK_SECRET).
        #[arg(long, env = "FAQBOT_WEBHOOK_SECRET", hide_env_values = true)]
        secret: Secret,
    },
    /// Remove the webhook, e.g. to go back to long polling.
    Delete {
        /// Also drop the updates Telegram is holding.
        #[arg(long)]
        drop_pending: bool,
    },
    /// Show the registered URL, pending updates and Telegram's last delivery error.
    Info,
}

pub fn webhook(command: WebhookCommand) -> anyhow::Result<ExitCode> {
    let telegram = match bot_from_env() {
        Ok(telegram) => telegram,
        Err(code) => return Ok(code),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match command {
            WebhookCommand::Set { url, secret } => {
                bot::register_webhook(&telegram, &url, &secret)
                    .await
                    .context("cannot set the webhook")?;
                println!("webhook set: {url}");
            }
            WebhookCommand::Delete { drop_pending } => {
                telegram
                    .delete_webhook()
                    .drop_pending_updates(drop_pending)
                    .await
                    .context("cannot delete the webhook")?;
                println!("webhook deleted");
            }
            WebhookCommand::Info => {
                let info = telegram
                    .get_webhook_info()
                    .await
                    .context("cannot read the webhook")?;
                let url = info
                    .url
                    .as_ref()
                    .map_or("(none: long polling)", |u| u.as_str());
                println!("url: {url}");
                println!("pending updates: {}", info.pending_update_count);
                if let Some(error) = info.last_error_message {
                    println!("last error: {error}");
                }
            }
        }
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

/// The bot of TELOXIDE_TOKEN (and TELOXIDE_API_URL); a missing or bad one is a usage
/// error (exit 2) said in one line, never showing the token.
fn bot_from_env() -> Result<Bot, ExitCode> {
    let token = match std::env::var(TOKEN) {
        Ok(token) if !token.trim().is_empty() => token,
        _ => {
            eprintln!(
                "faqbot: {TOKEN} is not set: create a bot with @BotFather and export its token"
            );
            return Err(ExitCode::from(2));
        }
    };
    let mut telegram = Bot::new(token);
    if let Ok(url) = std::env::var(API_URL) {
        match url.parse() {
            Ok(url) => telegram = telegram.set_api_url(url),
            Err(error) => {
                eprintln!("faqbot: {API_URL} is not a URL: {error}");
                return Err(ExitCode::from(2));
            }
        }
    }
    Ok(telegram)
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM, what systemd and container runtimes send.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(term) => term,
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
}

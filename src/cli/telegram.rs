//! `faqbot bot`: reads the token, opens the engine, runs the bot until SIGINT or SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;

use faqbot::Engine;
use faqbot::bot::{self, Options};
use teloxide::Bot;

const TOKEN: &str = "TELOXIDE_TOKEN";
const API_URL: &str = "TELOXIDE_API_URL";

pub fn run(
    open: impl FnOnce() -> anyhow::Result<Engine>,
    options: Options,
) -> anyhow::Result<ExitCode> {
    // A missing token is a usage error: say so in one line, never show the token.
    let token = match std::env::var(TOKEN) {
        Ok(token) if !token.trim().is_empty() => token,
        _ => {
            eprintln!(
                "faqbot: {TOKEN} is not set: create a bot with @BotFather and export its token"
            );
            return Ok(ExitCode::from(2));
        }
    };
    let mut telegram = Bot::new(token);
    if let Ok(url) = std::env::var(API_URL) {
        match url.parse() {
            Ok(url) => telegram = telegram.set_api_url(url),
            Err(error) => {
                eprintln!("faqbot: {API_URL} is not a URL: {error}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let engine = Arc::new(open()?);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(bot::run(telegram, engine, options, shutdown_signal()))?;
    Ok(ExitCode::SUCCESS)
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

//! The Telegram bot against the fake Bot API server: what it sends for each kind of update.

use std::sync::Arc;

use faqbot::bot::{self, Options};
use faqbot::{Engine, Live, Settings};
use serde_json::{Value, json};
use teloxide::Bot;
use tokio::sync::oneshot;

use crate::fake_telegram::{FakeTelegram, TOKEN, callback_query, group_text, private_text};
use crate::util::{Scratch, semantic_engine_with};

/// A bot running against a fake server until dropped.
struct Running {
    server: FakeTelegram,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    _scratch: Scratch,
}

impl Running {
    async fn start(options: Options) -> Running {
        Running::start_with(options, FakeTelegram::start().await).await
    }

    async fn start_with(options: Options, server: FakeTelegram) -> Running {
        Running::start_engine(options, server, Settings::default()).await
    }

    /// With thresholds where the engine offers choices for every FAQ question: the
    /// clarify path, whatever the model makes of one phrasing.
    async fn start_clarifying(options: Options) -> Running {
        Running::start_engine(options, FakeTelegram::start().await, clarifying()).await
    }

    async fn start_engine(options: Options, server: FakeTelegram, settings: Settings) -> Running {
        let scratch = Scratch::new();
        let engine = semantic_engine_with(&scratch, settings);
        let telegram = Bot::new(TOKEN).set_api_url(server.url().parse().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            bot::run(telegram, Arc::new(Live::fixed(engine)), options, async {
                let _ = stopped.await;
            })
            .await
            .expect("the bot ran");
        });
        Running {
            server,
            stop: Some(stop),
            task,
            _scratch: scratch,
        }
    }

    /// Stops the bot and hands back the server, to read what the bot sent while stopping.
    async fn stop(mut self) -> FakeTelegram {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(std::time::Duration::from_secs(20), &mut self.task)
            .await
            .expect("the bot stops")
            .expect("the bot task did not panic");
        self.server
    }
}

fn to_chat(chat: i64) -> impl Fn(&Value) -> bool {
    move |body| body["chat_id"] == json!(chat)
}

/// A question about the upgrade, paraphrased.
const CLARIFIED: &str = "Preferíamos ficar de fora disto. É mesmo indispensável?";

/// Nothing is sure enough to answer, anything plausible is offered.
fn clarifying() -> Settings {
    Settings {
        // Above 1: a sigmoid in f32 can reach exactly 1.0.
        threshold: 1.01,
        clarify: 0.01,
        ..Settings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_pt_and_es_questions_in_telegram_html() {
    let bot = Running::start(Options::default()).await;
    bot.server
        .push(private_text(101, "pt-br", "A atualização é obrigatória?"));
    bot.server.push(private_text(
        102,
        "es",
        "¿Cuándo se actualizan los entornos de producción?",
    ));
    let pt = bot.server.wait_for("sendMessage", 1, to_chat(101)).await;
    let es = bot.server.wait_for("sendMessage", 1, to_chat(102)).await;
    assert_eq!(pt[0]["parse_mode"], "HTML");
    let text = pt[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("<b>Esta atualização é obrigatória?</b>"),
        "{text}"
    );
    assert!(text.contains("Sim. Como cliente do Campaign"), "{text}");
    let text = es[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("<b>¿Cuándo se producirá esta actualización?</b>"),
        "{text}"
    );
    assert!(text.contains("<b>enero de 2024</b>"), "{text}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_carries_the_customer_care_url_button() {
    let bot = Running::start(Options::default()).await;
    bot.server
        .push(private_text(103, "pt-br", "qual o preço do campaign?"));
    let sent = bot.server.wait_for("sendMessage", 1, to_chat(103)).await;
    let button = &sent[0]["reply_markup"]["inline_keyboard"][0][0];
    assert_eq!(button["text"], "Atendimento ao cliente Adobe");
    assert!(
        button["url"]
            .as_str()
            .unwrap()
            .starts_with("https://experienceleague.adobe.com/")
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greeting_gets_a_greeting_not_a_link() {
    let bot = Running::start(Options::default()).await;
    bot.server.push(private_text(104, "es", "¡Hola!"));
    let sent = bot.server.wait_for("sendMessage", 1, to_chat(104)).await;
    assert!(
        sent[0]["text"].as_str().unwrap().starts_with("¡Hola!"),
        "{}",
        sent[0]
    );
    assert!(sent[0]["reply_markup"].is_null());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_of_alternatives_and_the_callback_path() {
    let bot = Running::start_clarifying(Options::default()).await;
    // Checked first so that an engine change shows up here as what it is.
    let scratch = Scratch::new();
    let engine = semantic_engine_with(&scratch, clarifying());
    match engine.ask(CLARIFIED) {
        faqbot::Reply::Clarify(c) => assert!(!c.choices.is_empty(), "{c:?}"),
        other => panic!("precondition: {other:?}"),
    }
    bot.server.push(private_text(105, "pt-br", CLARIFIED));
    let sent = bot.server.wait_for("sendMessage", 1, to_chat(105)).await;
    assert_eq!(
        sent[0]["text"],
        "Não tenho certeza do que você procura. É sobre um destes?"
    );
    let buttons = sent[0]["reply_markup"]["inline_keyboard"]
        .as_array()
        .unwrap();
    assert!(
        (2..=4).contains(&buttons.len()),
        "choices and Customer Care"
    );
    let care = &buttons[buttons.len() - 1][0];
    assert!(
        care["url"].as_str().unwrap().starts_with("https://"),
        "{care}"
    );
    let data = buttons[0][0]["callback_data"].as_str().unwrap();
    assert!(data.starts_with("e:pt:migrate-infra-to-aws/"), "{data}");

    // Pressing a button: the callback is answered and the entry is sent.
    bot.server.push(callback_query(
        "cb-1",
        105,
        "e:pt:migrate-infra-to-aws/aws-faq-6",
    ));
    bot.server
        .wait_for("answerCallbackQuery", 1, |b| {
            b["callback_query_id"] == "cb-1"
        })
        .await;
    bot.server
        .wait_for("sendMessage", 1, |b| {
            b["chat_id"] == json!(105)
                && b["text"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("Posso solicitar uma alteração")
        })
        .await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_help_and_lang_commands() {
    let bot = Running::start(Options::default()).await;
    bot.server.push(private_text(106, "pt-br", "/start"));
    let sent = bot.server.wait_for("sendMessage", 1, to_chat(106)).await;
    let text = sent[0]["text"].as_str().unwrap();
    assert!(text.starts_with("Olá!") && text.contains("<i>"), "{text}");
    assert!(!text.contains("¡Hola!"), "pt user, pt only: {text}");

    bot.server.push(private_text(107, "en", "/help"));
    let sent = bot.server.wait_for("sendMessage", 1, to_chat(107)).await;
    let text = sent[0]["text"].as_str().unwrap();
    assert!(
        text.contains("Olá!") && text.contains("¡Hola!"),
        "neither pt nor es: both: {text}"
    );

    // /lang es, then a Portuguese word is answered in Spanish.
    bot.server.push(private_text(108, "pt-br", "/lang es"));
    let sent = bot.server.wait_for("sendMessage", 1, to_chat(108)).await;
    assert_eq!(sent[0]["text"], "Idioma de las respuestas: es");
    bot.server.push(private_text(108, "pt-br", "obrigatório"));
    let sent = bot.server.wait_for("sendMessage", 2, to_chat(108)).await;
    let text = sent[1]["text"].as_str().unwrap();
    assert!(
        text.contains("¿Es obligatoria esta actualización?"),
        "{text}"
    );

    bot.server.push(private_text(113, "pt-br", "/lang auto"));
    let sent = bot.server.wait_for("sendMessage", 1, to_chat(113)).await;
    assert_eq!(
        sent[0]["text"],
        "Idioma das respostas: auto\n\nIdioma de las respuestas: auto"
    );

    let menus = bot.server.wait_for("setMyCommands", 3, |_| true).await;
    let codes: Vec<&Value> = menus.iter().map(|b| &b["language_code"]).collect();
    assert!(
        codes.contains(&&json!("pt")) && codes.contains(&&json!("es")),
        "{codes:?}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_text_messages_get_text_only_please() {
    let bot = Running::start(Options::default()).await;
    bot.server.push(json!({"message": {
        "message_id": 1, "date": 1_700_000_000,
        "chat": {"id": 109, "type": "private", "first_name": "Ana"},
        "from": {"id": 109, "is_bot": false, "first_name": "Ana", "language_code": "es"},
        "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}],
    }}));
    let sent = bot.server.wait_for("sendMessage", 1, to_chat(109)).await;
    assert!(
        sent[0]["text"]
            .as_str()
            .unwrap()
            .contains("solo entiendo mensajes de texto")
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_answer_only_when_addressed() {
    let bot = Running::start(Options::default()).await;
    bot.server
        .push(group_text(-200, "a atualização é obrigatória?", false));
    bot.server.push(group_text(
        -201,
        "@faqtest_bot a atualização é obrigatória?",
        false,
    ));
    // Commands addressed to other bots are theirs.
    bot.server.push(group_text(-203, "/start@other_bot", false));
    bot.server.push(group_text(
        -204,
        "/ban@admin_bot a atualização é obrigatória?",
        false,
    ));
    bot.server.push(group_text(-202, "e quando é?", true));
    bot.server.wait_for("sendMessage", 1, to_chat(-201)).await;
    bot.server.wait_for("sendMessage", 1, to_chat(-202)).await;
    // The unaddressed messages came first; their silence is settled once later ones are
    // answered.
    let silent = bot
        .server
        .calls()
        .into_iter()
        .filter(|(m, b)| {
            m == "sendmessage" && [json!(-200), json!(-203), json!(-204)].contains(&b["chat_id"])
        })
        .count();
    assert_eq!(silent, 0);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_mode_returns_entries_for_agents() {
    let bot = Running::start(Options::default()).await;
    bot.server.push(json!({"inline_query": {
        "id": "iq-1", "query": "reagendar a janela", "offset": "",
        "from": {"id": 300, "is_bot": false, "first_name": "Agente"},
    }}));
    let answered = bot.server.wait_for("answerInlineQuery", 1, |_| true).await;
    let results = answered[0]["results"].as_array().unwrap();
    assert!(!results.is_empty() && results.len() <= 5);
    assert_eq!(results[0]["type"], "article");
    assert_eq!(
        results[0]["title"],
        "Posso solicitar uma alteração na Data/Hora para o slot de atualização de segurança programado?"
    );
    assert_eq!(results[0]["input_message_content"]["parse_mode"], "HTML");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_on_send_message_is_retried_and_delivered() {
    let bot = Running::start(Options::default()).await;
    bot.server.fail_with_429("sendMessage", 1);
    bot.server
        .push(private_text(110, "pt-br", "A atualização é obrigatória?"));
    let sent = bot.server.wait_for("sendMessage", 2, to_chat(110)).await;
    assert_eq!(
        sent[0]["text"], sent[1]["text"],
        "the same message, sent again"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_on_callback_and_inline_answers_is_retried() {
    let bot = Running::start(Options::default()).await;
    bot.server.fail_with_429("answerCallbackQuery", 1);
    bot.server.fail_with_429("answerInlineQuery", 1);
    bot.server.push(callback_query(
        "cb-429",
        113,
        "e:es:migrate-infra-to-aws/aws-faq-6",
    ));
    bot.server.push(json!({"inline_query": {
        "id": "iq-429", "query": "¿es obligatoria?", "offset": "",
        "from": {"id": 301, "is_bot": false, "first_name": "Agente"},
    }}));
    bot.server
        .wait_for("answerCallbackQuery", 2, |b| {
            b["callback_query_id"] == "cb-429"
        })
        .await;
    let inline = bot
        .server
        .wait_for("answerInlineQuery", 2, |b| b["inline_query_id"] == "iq-429")
        .await;
    assert_eq!(
        inline[0]["results"], inline[1]["results"],
        "the same answer, sent again"
    );
    // The chosen entry still arrives after the callback's retry.
    bot.server.wait_for("sendMessage", 1, to_chat(113)).await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_502_from_a_proxy_is_retried_and_delivered() {
    let bot = Running::start(Options::default()).await;
    // teloxide itself waits 10 s after a 5xx before reporting it: one failure is enough.
    bot.server.fail_sends_with_502(1);
    bot.server
        .push(private_text(112, "es", "¿Es obligatoria la actualización?"));
    let sent = bot.server.wait_for("sendMessage", 2, to_chat(112)).await;
    assert_eq!(
        sent[0]["text"], sent[1]["text"],
        "the same message, sent again"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_are_logged_masked_and_reviewed() {
    let scratch = tempfile::tempdir().unwrap();
    let log = scratch.path().join("faqbot.jsonl");
    let bot = Running::start(Options {
        log: Some(log.clone()),
        ..Options::default()
    })
    .await;
    bot.server.push(private_text(
        111,
        "pt-br",
        "meu email é ana@empresa.com e o preço?",
    ));
    bot.server.wait_for("sendMessage", 1, to_chat(111)).await;
    bot.server
        .push(private_text(111, "pt-br", "a atualização é obrigatória?"));
    bot.server.wait_for("sendMessage", 2, to_chat(111)).await;
    bot.stop().await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("[email]") && !text.contains("ana@empresa.com"),
        "{text}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "customers' words are for the owner only");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(
        (&lines[0]["kind"], &lines[0]["lang"]),
        (&Value::from("handoff"), &Value::from("pt"))
    );
    assert_eq!(lines[1]["kind"], "answer", "{text}");
    assert!(
        lines[1]["entry"].as_str().unwrap().ends_with("/aws-faq-1"),
        "{text}"
    );
    let review = |log: &std::path::Path| {
        let read = faqbot::log::read(&[log]).unwrap();
        let groups = faqbot::log::review::review(&read.lines, None);
        (faqbot::log::review::report(&groups), read.skipped)
    };
    let (report, _) = review(&log);
    assert!(report.contains("[email]"), "{report}");
    assert!(!report.contains("obrigatória"), "answered: {report}");

    // A line cut short (a crash mid-write) is reported; the rest is still reviewed.
    let mut text = std::fs::read_to_string(&log).unwrap();
    let count = text.lines().count();
    text.push_str("{\"time\": \"2026-");
    std::fs::write(&log, text).unwrap();
    let (report, skipped) = review(&log);
    assert!(report.contains("[email]"), "{report}");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(
        skipped[0].contains(&format!("faqbot.jsonl:{}:", count + 1)),
        "{skipped:?}"
    );
}

#[test]
fn bot_without_a_token_is_a_usage_error() {
    let scratch = Scratch::new();
    let out = scratch
        .faqbot()
        .arg("bot")
        .env_remove("TELOXIDE_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("TELOXIDE_TOKEN"), "{err}");
}

#[test]
fn a_webhook_secret_telegram_would_refuse_is_a_usage_error() {
    let scratch = Scratch::new();
    for secret in ["has space", "x".repeat(257).as_str()] {
        let out = scratch
            .faqbot()
            .args(["bot", "--webhook-url", "https://bot.example.com/hook"])
            .args(["--listen", "127.0.0.1:0", "--webhook-secret", secret])
            .env("TELOXIDE_TOKEN", TOKEN)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{secret:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("webhook secret"), "{err}");
    }
}

#[test]
fn webhook_commands_need_a_token_and_set_needs_a_secret() {
    let scratch = Scratch::new();
    let out = scratch
        .faqbot()
        .args(["webhook", "delete"])
        .env_remove("TELOXIDE_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = scratch
        .faqbot()
        .args(["webhook", "set", "https://bot.example.com/hook"])
        .env("TELOXIDE_TOKEN", TOKEN)
        .env_remove("FAQBOT_WEBHOOK_SECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "set without a secret");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_program_answers_stops_on_sigterm_and_never_prints_the_token() {
    let scratch = Scratch::new();
    let server = FakeTelegram::start().await;
    let child = scratch
        .faqbot()
        .arg("bot")
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", server.url())
        .env("RUST_LOG", "trace")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    server.push(private_text(120, "es", "¿Es obligatoria la actualización?"));
    let sent = server.wait_for("sendMessage", 1, to_chat(120)).await;
    assert!(sent[0]["text"].as_str().unwrap().contains("obligatoria"));

    // SIGHUP reloads the FAQ (here unchanged) and the bot keeps answering.
    let pid = child.id() as libc::pid_t;
    // SAFETY: kill(2) with a pid this test spawned and a valid signal number.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    server.push(private_text(121, "es", "¿Es obligatoria la actualización?"));
    let sent = server.wait_for("sendMessage", 1, to_chat(121)).await;
    assert!(sent[0]["text"].as_str().unwrap().contains("obligatoria"));

    // SIGTERM, as systemd and container runtimes send it.
    // SAFETY: kill(2) with a pid this test spawned and a valid signal number.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let out = tokio::task::spawn_blocking(move || {
        crate::util::wait_bounded(child, std::time::Duration::from_secs(30))
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "graceful exit on SIGTERM");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.is_empty(), "trace logging produced output");
    let secret = TOKEN.split(':').nth(1).unwrap();
    assert!(!all.contains(secret), "the token leaked into the output");
    // One structured event for the update, in plain text (no terminal, no colours).
    let events: Vec<&str> = all
        .lines()
        .filter(|l| l.contains("answered") && l.contains("update=\"message\""))
        .collect();
    assert_eq!(events.len(), 2, "{all}");
    assert!(
        all.contains("FAQ unchanged") && all.contains("SIGHUP"),
        "{all}"
    );
    for field in [
        "chat=\"private\"",
        "lang=\"es\"",
        "entry=migrate-infra-to-aws/aws-faq-1",
        "confidence=",
        "elapsed_us=",
    ] {
        assert!(events[0].contains(field), "{field} in {}", events[0]);
    }
    assert!(!all.contains('\u{1b}'), "no colour codes in a piped log");
    // The update was confirmed: a last getUpdates asks for the offset after it.
    let confirmed = server
        .calls()
        .iter()
        .any(|(m, b)| m == "getupdates" && b["offset"].as_i64() == Some(3));
    assert!(confirmed, "the handled updates were confirmed");
}

/// Sends one HTTP/1.1 request to the bot's webhook server, returns the status line.
async fn http(addr: std::net::SocketAddr, head: &str, secret: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = format!(
        "{head} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         X-Telegram-Bot-Api-Secret-Token: {secret}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response.lines().next().unwrap_or_default().to_string()
}

fn free_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Runs a bot over a words-only engine that is never told to stop, and returns what `run`
/// returned: for the failures that must end it at start. Panics if it runs on.
async fn run_until_it_fails(telegram: Bot, options: Options) -> Result<(), bot::RunError> {
    let scratch = Scratch::new();
    let engine =
        Engine::open_with(&scratch.faq(), &scratch.index(), Settings::default(), None).unwrap();
    let run = bot::run(
        telegram,
        Arc::new(Live::fixed(engine)),
        options,
        std::future::pending(),
    );
    tokio::time::timeout(std::time::Duration::from_secs(30), run)
        .await
        .expect("the bot stops at start, not later")
}

fn webhook_at(listen: std::net::SocketAddr) -> bot::Webhook {
    bot::Webhook {
        url: format!("http://{listen}/hook").parse().unwrap(),
        listen,
        secret: Some("s3cret-shared-by-replicas".parse().unwrap()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_checks_the_secret_and_never_deletes_the_webhook() {
    let listen = free_port();
    let server = FakeTelegram::start().await;
    let bot = Running::start_with(
        Options {
            webhook: Some(webhook_at(listen)),
            ..Options::default()
        },
        server,
    )
    .await;
    let set = bot.server.wait_for("setWebhook", 1, |_| true).await;
    assert_eq!(set[0]["secret_token"], "s3cret-shared-by-replicas");
    assert_eq!(set[0]["url"], format!("http://{listen}/hook"));
    // A form field (setWebhook is sent as multipart), holding JSON.
    let allowed: Value =
        serde_json::from_str(set[0]["allowed_updates"].as_str().unwrap_or("null")).unwrap();
    assert_eq!(
        allowed,
        json!(["message", "callback_query", "inline_query"])
    );

    let mut update = private_text(130, "pt-br", "A atualização é obrigatória?");
    update["update_id"] = json!(1);
    let update = update.to_string();
    // The address is bound before registering, so it answers at once.
    let status = http(listen, "POST /hook", "wrong", &update).await;
    assert!(
        status.contains("401"),
        "a wrong secret is refused: {status}"
    );
    let status = http(listen, "GET /healthz", "", "").await;
    assert!(status.contains("200"), "health: {status}");
    // A body that is not an update is dropped without stopping the next one.
    let status = http(
        listen,
        "POST /hook",
        "s3cret-shared-by-replicas",
        "{\"update_id\": \"Ana\"",
    )
    .await;
    assert!(status.contains("200"), "{status}");
    let status = http(listen, "POST /hook", "s3cret-shared-by-replicas", &update).await;
    assert!(status.contains("200"), "{status}");
    let sent = bot.server.wait_for("sendMessage", 1, to_chat(130)).await;
    assert_eq!(
        sent.len(),
        1,
        "only the update with the right secret was handled"
    );
    let server = bot.stop().await;
    // Other replicas behind the URL keep receiving: stopping one never unregisters it.
    assert!(
        !server.calls().iter().any(|(m, _)| m == "deletewebhook"),
        "a stopping replica deleted the webhook"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_port_in_use_is_an_error_at_start() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap();
    let server = FakeTelegram::start().await;
    let telegram = Bot::new(TOKEN).set_api_url(server.url().parse().unwrap());
    let options = Options {
        webhook: Some(webhook_at(listen)),
        ..Options::default()
    };
    let result = run_until_it_fails(telegram, options).await;
    match result {
        Err(bot::RunError::Listen { addr, .. }) => assert_eq!(addr, listen),
        other => panic!("expected a listen error, got {other:?}"),
    }
    assert!(server.calls().is_empty(), "nothing was registered");
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_storage_keeps_the_language_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        storage: sqlite_in(&dir).parse().unwrap(),
        ..Options::default()
    };
    let bot = Running::start(options.clone()).await;
    bot.server.push(private_text(140, "pt-br", "/lang es"));
    bot.server.wait_for("sendMessage", 1, to_chat(140)).await;
    bot.stop().await;

    let bot = Running::start(options).await;
    bot.server.push(private_text(140, "pt-br", "obrigatório"));
    let sent = bot.server.wait_for("sendMessage", 1, to_chat(140)).await;
    let text = sent[0]["text"].as_str().unwrap();
    assert!(
        text.contains("¿Es obligatoria esta actualización?"),
        "{text}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_picks_an_offered_alternative() {
    let bot = Running::start_clarifying(Options::default()).await;
    bot.server.push(private_text(141, "pt-br", CLARIFIED));
    let sent = bot.server.wait_for("sendMessage", 1, to_chat(141)).await;
    let first = &sent[0]["reply_markup"]["inline_keyboard"][0][0];
    let title = first["text"].as_str().unwrap().to_string();
    let offered = sent[0]["reply_markup"]["inline_keyboard"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row[0]["callback_data"].is_string())
        .count();
    // A number none of the choices has says which numbers are; the offer stays, as in chat.
    bot.server.push(private_text(141, "pt-br", "9"));
    let sent = bot.server.wait_for("sendMessage", 2, to_chat(141)).await;
    let text = sent[1]["text"].as_str().unwrap();
    assert_eq!(text, format!("Escolha um número de 1 a {offered}."));
    bot.server.push(private_text(141, "pt-br", "1"));
    let sent = bot.server.wait_for("sendMessage", 3, to_chat(141)).await;
    let text = sent[2]["text"].as_str().unwrap();
    assert!(text.starts_with(&format!("<b>{title}</b>")), "{text}");
    bot.stop().await;
}

#[test]
fn storage_option_parses_and_rejects() {
    use faqbot::bot::StorageKind;
    assert_eq!("memory".parse(), Ok(StorageKind::Memory));
    // sqlite and Redis are cargo features: a build without one says how to get it.
    let sqlite = "sqlite:/tmp/x.db".parse::<StorageKind>();
    if cfg!(feature = "sqlite") {
        assert_eq!(sqlite, Ok(StorageKind::Sqlite("/tmp/x.db".into())));
    } else {
        assert!(sqlite.unwrap_err().contains("--features sqlite"));
    }
    let redis = "redis://h:6379".parse::<StorageKind>();
    if cfg!(feature = "redis") {
        assert_eq!(redis, Ok(StorageKind::Redis("redis://h:6379".into())));
    } else {
        assert!(redis.unwrap_err().contains("--features redis"));
    }
    assert!("postgres://x".parse::<StorageKind>().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_stops_the_bot_with_an_error() {
    let server = FakeTelegram::start().await;
    let telegram = Bot::new("999:WRONG").set_api_url(server.url().parse().unwrap());
    // No endless retrying of a refused token.
    let result = run_until_it_fails(telegram, Options::default()).await;
    assert!(
        matches!(result, Err(bot::RunError::InvalidToken)),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_log_is_an_error_at_start() {
    let server = FakeTelegram::start().await;
    let telegram = Bot::new(TOKEN).set_api_url(server.url().parse().unwrap());
    let options = Options {
        log: Some("/nonexistent-folder/faqbot.jsonl".into()),
        ..Options::default()
    };
    let result = run_until_it_fails(telegram, options).await;
    match result {
        Err(e @ bot::RunError::Log { .. }) => {
            assert!(
                e.to_string().contains("/nonexistent-folder/faqbot.jsonl"),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alternate_added_while_running_is_answered_and_a_broken_edit_changes_nothing() {
    let server = FakeTelegram::start().await;
    let scratch = Scratch::new();
    let (faq, index) = (scratch.faq(), scratch.index());
    let open = move || Engine::open_with(&faq, &index, Settings::default(), None);
    let live = Arc::new(Live::new(open().unwrap(), open));
    let _watcher = live.watch(&scratch.faq(), std::time::Duration::from_millis(100));
    let telegram = Bot::new(TOKEN).set_api_url(server.url().parse().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(bot::run(
        telegram,
        live.clone(),
        Options::default(),
        async {
            let _ = stopped.await;
        },
    ));
    // A phrasing no page or alternate has: handed off.
    let question = "o zorblax trimestral vai parar?";
    let mut update_id = 0;
    let mut ask = |chat: i64| {
        update_id += 1;
        let mut update = private_text(chat, "pt-br", question);
        update["update_id"] = json!(update_id);
        server.push(update);
    };
    ask(300);
    let before = server.wait_for("sendMessage", 1, to_chat(300)).await;
    assert!(
        !before[0]["text"]
            .as_str()
            .unwrap()
            .contains("Esta atualização é obrigatória?"),
        "{}",
        before[0]["text"]
    );

    // An agent adds it as an alternate of the mandatory entry, while the bot runs.
    let alternates = scratch
        .faq()
        .join("pt/campaign-email-infrastructure-upgrade.alternates.toml");
    let shipped = std::fs::read_to_string(&alternates).unwrap();
    let added = shipped.replacen(
        "aws-faq-1 = [",
        &format!("aws-faq-1 = [\n  \"{question}\","),
        1,
    );
    assert_ne!(added, shipped);
    std::fs::write(&alternates, &added).unwrap();
    let mut answered = false;
    for chat in 301..340 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        ask(chat);
        let sent = server.wait_for("sendMessage", 1, to_chat(chat)).await;
        if sent[0]["text"]
            .as_str()
            .unwrap()
            .contains("Esta atualização é obrigatória?")
        {
            answered = true;
            break;
        }
    }
    assert!(
        answered,
        "the new alternate was answered from without a restart"
    );
    let generation = live.engine().generation().to_path_buf();

    // A broken edit: customers keep getting the same answers.
    std::fs::write(&alternates, format!("{added}\nbroken = [\"unclosed\"\n")).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(
        live.engine().generation(),
        generation,
        "the last good index serves"
    );
    ask(400);
    let sent = server.wait_for("sendMessage", 1, to_chat(400)).await;
    assert!(
        sent[0]["text"]
            .as_str()
            .unwrap()
            .contains("Esta atualização é obrigatória?")
    );
    assert!(matches!(live.reload(), faqbot::Reload::Kept(_)));

    let _ = stop.send(());
    tokio::time::timeout(std::time::Duration::from_secs(20), task)
        .await
        .expect("stops")
        .expect("no panic")
        .expect("ran");
}

/// A real `redis-server` on a free loopback port, killed when dropped.
#[cfg(feature = "redis")]
struct RedisServer {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

#[cfg(feature = "redis")]
impl RedisServer {
    fn start_on(port: u16) -> RedisServer {
        let dir = tempfile::tempdir().unwrap();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (Debian: apt-get install redis-server; .ci/run installs it)");
        let server = RedisServer {
            child,
            port,
            _dir: dir,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("redis-server did not start on port {port}");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

#[cfg(feature = "redis")]
impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_storage_is_shared_survives_restarts_and_its_outage_costs_no_reply() {
    let redis = RedisServer::start_on(free_port().port());
    let options = Options {
        storage: redis.url().parse().unwrap(),
        ..Options::default()
    };
    // Two bots share the store: a setting made through one is seen by the other.
    let first = Running::start(options.clone()).await;
    let second = Running::start(options.clone()).await;
    first.server.push(private_text(150, "pt-br", "/lang es"));
    first.server.wait_for("sendMessage", 1, to_chat(150)).await;
    second
        .server
        .push(private_text(150, "pt-br", "obrigatório"));
    let sent = second.server.wait_for("sendMessage", 1, to_chat(150)).await;
    let text = sent[0]["text"].as_str().unwrap();
    assert!(
        text.contains("¿Es obligatoria esta actualización?"),
        "{text}"
    );
    first.stop().await;

    // Redis goes away mid-run: the question is still answered, in the question's language.
    let port = redis.port;
    drop(redis);
    second
        .server
        .push(private_text(151, "pt-br", "A atualização é obrigatória?"));
    let sent = second.server.wait_for("sendMessage", 1, to_chat(151)).await;
    let text = sent[0]["text"].as_str().unwrap();
    assert!(text.contains("Esta atualização é obrigatória?"), "{text}");

    // Back on the same port, the shared state serves again (this Redis kept nothing).
    let _redis = RedisServer::start_on(port);
    second.server.push(private_text(152, "pt-br", "/lang es"));
    second.server.wait_for("sendMessage", 1, to_chat(152)).await;
    let restarted = Running::start(options).await;
    restarted
        .server
        .push(private_text(152, "pt-br", "obrigatório"));
    let sent = restarted
        .server
        .wait_for("sendMessage", 1, to_chat(152))
        .await;
    let text = sent[0]["text"].as_str().unwrap();
    assert!(
        text.contains("¿Es obligatoria esta actualización?"),
        "{text}"
    );
    second.stop().await;
    restarted.stop().await;
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_is_an_error_at_start() {
    let server = FakeTelegram::start().await;
    let telegram = Bot::new(TOKEN).set_api_url(server.url().parse().unwrap());
    let options = Options {
        // Nothing listens there: the port was free a moment ago.
        storage: format!("redis://:s3cret@127.0.0.1:{}/0", free_port().port())
            .parse()
            .unwrap(),
        ..Options::default()
    };
    // At start, not at the first update.
    let result = run_until_it_fails(telegram, options).await;
    match result {
        Err(e @ bot::RunError::Storage(_)) => {
            let text = e.to_string();
            assert!(text.contains("redis"), "{text}");
            assert!(
                !text.contains("s3cret"),
                "the password is not shown: {text}"
            );
        }
        other => panic!("expected a storage error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_log_stream_never_stops_the_bot() {
    use std::io::BufRead;
    let scratch = Scratch::new();
    let server = FakeTelegram::start().await;
    // `faqbot bot 2>&1 | head -1`: the reader of the log goes away after one line.
    let mut child = scratch
        .faqbot()
        .args(["--model", "none", "bot"])
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", server.url())
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut first = String::new();
    std::io::BufReader::new(stderr)
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty());
    // The reader is dropped here: every later log line fails to write.
    server.push(private_text(160, "es", "¿Es obligatoria la actualización?"));
    let sent = server.wait_for("sendMessage", 1, to_chat(160)).await;
    assert!(sent[0]["text"].as_str().unwrap().contains("obligatoria"));
    server.push(private_text(161, "es", "¿Es obligatoria la actualización?"));
    server.wait_for("sendMessage", 1, to_chat(161)).await;
    let pid = child.id() as libc::pid_t;
    // SAFETY: kill(2) with a pid this test spawned and a valid signal number.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = tokio::task::spawn_blocking(move || {
        crate::util::wait_bounded(child, std::time::Duration::from_secs(30)).status
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(0), "no panic on a closed stderr");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_is_retried_past_a_long_run_of_429s() {
    let bot = Running::start(Options::default()).await;
    // Eight refusals in a row: more than the six tries a reply used to get.
    bot.server.fail_with_429("sendMessage", 8);
    bot.server
        .push(private_text(170, "es", "¿Es obligatoria la actualización?"));
    let sent = bot.server.wait_for("sendMessage", 9, to_chat(170)).await;
    assert_eq!(sent.len(), 9);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_has_a_deadline_while_telegram_keeps_refusing() {
    let bot = Running::start(Options {
        shutdown_deadline: std::time::Duration::from_secs(2),
        ..Options::default()
    })
    .await;
    bot.server.fail_with_429("sendMessage", 10_000);
    bot.server
        .push(private_text(171, "es", "¿Es obligatoria la actualización?"));
    bot.server.wait_for("sendMessage", 1, to_chat(171)).await;
    let asked = std::time::Instant::now();
    bot.stop().await;
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(15),
        "stopped at the deadline, not after Telegram relented"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_delivered_twice_is_answered_once() {
    let listen = free_port();
    let bot = Running::start(Options {
        webhook: Some(webhook_at(listen)),
        ..Options::default()
    })
    .await;
    bot.server.wait_for("setWebhook", 1, |_| true).await;
    let mut update = private_text(172, "pt-br", "A atualização é obrigatória?");
    update["update_id"] = json!(41);
    let update = update.to_string();
    // Telegram sends an update again when it did not see the 200 in time.
    for _ in 0..2 {
        let status = http(listen, "POST /hook", "s3cret-shared-by-replicas", &update).await;
        assert!(status.contains("200"), "{status}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let mut later = private_text(172, "pt-br", "obrigado");
    later["update_id"] = json!(42);
    http(
        listen,
        "POST /hook",
        "s3cret-shared-by-replicas",
        &later.to_string(),
    )
    .await;
    let sent = bot.server.wait_for("sendMessage", 2, to_chat(172)).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let all: Vec<_> = bot
        .server
        .calls()
        .into_iter()
        .filter(|(m, b)| m == "sendmessage" && b["chat_id"] == 172)
        .collect();
    assert_eq!(all.len(), 2, "the question once, then the thanks: {sent:?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_answered_after_the_client_timeout_is_not_sent_twice() {
    let server = FakeTelegram::start().await;
    let scratch = Scratch::new();
    let engine =
        Engine::open_with(&scratch.faq(), &scratch.index(), Settings::default(), None).unwrap();
    // A client that gives up after 1 s, against a server that delivers and answers in 2 s.
    let client = teloxide::net::default_reqwest_settings()
        .timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap();
    let telegram = Bot::with_client(TOKEN, client).set_api_url(server.url().parse().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(bot::run(
        telegram,
        Arc::new(Live::fixed(engine)),
        Options::default(),
        async {
            let _ = stopped.await;
        },
    ));
    server.slow_sends(1);
    server.push(private_text(180, "es", "¿Es obligatoria la actualización?"));
    server.wait_for("sendMessage", 1, to_chat(180)).await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let sends = server
        .calls()
        .into_iter()
        .filter(|(m, b)| m == "sendmessage" && b["chat_id"] == 180)
        .count();
    assert_eq!(sends, 1, "delivered once, not sent again after the timeout");
    let _ = stop.send(());
    tokio::time::timeout(std::time::Duration::from_secs(20), task)
        .await
        .expect("stops")
        .expect("no panic")
        .expect("ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_resumes_within_seconds_after_telegram_answers_500() {
    let server = FakeTelegram::start().await;
    let bot = Running::start_with(Options::default(), server.clone()).await;
    server.wait_for("getUpdates", 1, |_| true).await;
    // Four 500s in a row, then Telegram is back: teloxide's own polling slept 10 s per 500
    // and backed off to 8 s, deaf for about a minute.
    server.fail_updates_with_500(4);
    server.push(private_text(151, "pt-br", "a atualização é obrigatória?"));
    let started = std::time::Instant::now();
    let sent = server.wait_for("sendMessage", 1, to_chat(151)).await;
    let waited = started.elapsed();
    assert!(sent[0]["text"].as_str().unwrap().contains("obrigatória"));
    // Four pauses of at most 2 s: answered within seconds, where teloxide's own polling
    // (10 s a 500) took 40. Generous against a loaded machine, and still the behaviour.
    eprintln!("answered {waited:?} after four 500s");
    assert!(
        waited < std::time::Duration::from_secs(15),
        "answered only after {waited:?}"
    );
    let failures = server
        .calls()
        .iter()
        .filter(|(m, _)| m == "getupdates")
        .count();
    assert!(failures >= 5, "{failures} getUpdates");
    // Only the kinds of update the handlers take are asked for.
    let asked = server
        .calls()
        .into_iter()
        .find(|(m, _)| m == "getupdates")
        .map(|(_, body)| body["allowed_updates"].clone())
        .unwrap_or_default();
    for kind in ["message", "callback_query", "inline_query"] {
        assert!(
            asked.as_array().is_some_and(|a| a.contains(&json!(kind))),
            "{asked}"
        );
    }
    assert!(!asked.to_string().contains("edited_message"), "{asked}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_never_deletes_a_webhook_and_waits_after_a_refusal() {
    let server = FakeTelegram::start().await;
    // A webhook is set (for replicas): Telegram refuses getUpdates with 409.
    server.refuse_updates_with_409(1);
    let bot = Running::start_with(Options::default(), server.clone()).await;
    server.wait_for("getUpdates", 1, |_| true).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let calls = server.calls();
    let polls = calls.iter().filter(|(m, _)| m == "getupdates").count();
    assert_eq!(
        polls, 1,
        "not asked again within 3 s of a refusal (the pause is 30 s), not in a loop"
    );
    assert!(
        !calls.iter().any(|(m, _)| m == "deletewebhook"),
        "the webhook is the operator's"
    );
    // The pause does not hold up a stop.
    bot.stop().await;
}

/// Telegram refuses every reply until the bot stops (`refuse`); a bot started on the same
/// storage against a Telegram that works again delivers the reply, once, unasked, and a
/// third start finds nothing left to send.
#[cfg(any(feature = "sqlite", feature = "redis"))]
async fn a_refused_reply_is_delivered_after_a_restart(
    storage: &str,
    chat: i64,
    refuse: fn(&FakeTelegram),
) {
    let options = Options {
        storage: storage.parse().unwrap(),
        shutdown_deadline: std::time::Duration::from_secs(1),
        ..Options::default()
    };
    let stopped = Running::start(options.clone()).await;
    refuse(&stopped.server);
    stopped
        .server
        .push(private_text(chat, "pt-br", "A atualização é obrigatória?"));
    stopped
        .server
        .wait_for("sendMessage", 2, to_chat(chat))
        .await;
    stopped.stop().await;

    // Two processes start on the same storage: the reply is taken over by one of them.
    let (first, second) = tokio::join!(
        Running::start(options.clone()),
        Running::start(options.clone())
    );
    let sent = tokio::select! {
        sent = first.server.wait_for("sendMessage", 1, to_chat(chat)) => sent,
        sent = second.server.wait_for("sendMessage", 1, to_chat(chat)) => sent,
    };
    let text = sent[0]["text"].as_str().unwrap();
    assert!(text.contains("Esta atualização é obrigatória?"), "{text}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let sends = |server: &FakeTelegram| {
        server
            .calls()
            .iter()
            .filter(|(method, body)| method == "sendmessage" && to_chat(chat)(body))
            .count()
    };
    let delivered = sends(&first.stop().await) + sends(&second.stop().await);
    assert_eq!(delivered, 1, "delivered once, by one process");

    // Delivered means forgotten: the next start sends nothing.
    let third = Running::start(options).await;
    third.server.wait_for("getUpdates", 2, |_| true).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sends(&third.stop().await), 0, "sent again by a later start");
}

/// `--storage` for a sqlite file in `dir`.
#[cfg(feature = "sqlite")]
fn sqlite_in(dir: &tempfile::TempDir) -> String {
    format!("sqlite:{}", dir.path().join("chats.sqlite").display())
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_a_refused_reply_for_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    a_refused_reply_is_delivered_after_a_restart(&sqlite_in(&dir), 180, |server| {
        server.fail_sends_with_502(usize::MAX)
    })
    .await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_held_back_by_429s_is_kept_for_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    a_refused_reply_is_delivered_after_a_restart(&sqlite_in(&dir), 182, |server| {
        server.fail_with_429("sendMessage", usize::MAX)
    })
    .await;
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_keeps_a_refused_reply_for_the_next_start() {
    let redis = RedisServer::start_on(free_port().port());
    a_refused_reply_is_delivered_after_a_restart(&redis.url(), 181, |server| {
        server.fail_sends_with_502(usize::MAX)
    })
    .await;
}

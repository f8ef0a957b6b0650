//! A fake Telegram Bot API server on 127.0.0.1: it serves queued updates to `getUpdates`,
//! records every request, and can fail chosen methods a given number of times (429, or a
//! proxy's 502 page).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub const TOKEN: &str = "123456:FAKE-TOKEN-never-printed";
pub const BOT_ID: i64 = 4242;
pub const BOT_USERNAME: &str = "faqtest_bot";

#[derive(Default)]
struct Inner {
    updates: VecDeque<Value>,
    calls: Vec<(String, Value)>,
    next_update_id: i64,
    next_message_id: i64,
    /// Method (lower case) → how many more calls get a 429.
    fail_with_429: HashMap<String, usize>,
    fail_sends_with_502: usize,
    fail_updates_with_500: usize,
    refuse_updates_with_409: usize,
    slow_sends: usize,
}

/// A running fake server.
#[derive(Clone)]
pub struct FakeTelegram {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/{bot}/{method}", axum::routing::post(handle))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeTelegram { addr, inner }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Queues an update; `update_id` is filled in.
    pub fn push(&self, mut update: Value) {
        let mut inner = self.inner.lock().unwrap();
        inner.next_update_id += 1;
        update["update_id"] = json!(inner.next_update_id);
        inner.updates.push_back(update);
    }

    /// The next `times` calls of `method` get a 429 with `retry_after` 1.
    pub fn fail_with_429(&self, method: &str, times: usize) {
        self.inner
            .lock()
            .unwrap()
            .fail_with_429
            .insert(method.to_ascii_lowercase(), times);
    }

    /// The next `times` sendMessage get a proxy's 502 page, not JSON.
    pub fn fail_sends_with_502(&self, times: usize) {
        self.inner.lock().unwrap().fail_sends_with_502 = times;
    }

    /// The next `times` getUpdates get the 409 Telegram gives while a webhook is set.
    pub fn refuse_updates_with_409(&self, times: usize) {
        self.inner.lock().unwrap().refuse_updates_with_409 = times;
    }

    /// The next `times` getUpdates get Telegram's own 500.
    pub fn fail_updates_with_500(&self, times: usize) {
        self.inner.lock().unwrap().fail_updates_with_500 = times;
    }

    /// The next `times` sendMessage calls are delivered but answered 2 s late.
    pub fn slow_sends(&self, times: usize) {
        self.inner.lock().unwrap().slow_sends = times;
    }

    /// Every request so far: method (lower case) and JSON body.
    pub fn calls(&self) -> Vec<(String, Value)> {
        self.inner.lock().unwrap().calls.clone()
    }

    /// Waits until `count` requests of `method` satisfying `pred` arrived; returns them.
    pub async fn wait_for(
        &self,
        method: &str,
        count: usize,
        pred: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found: Vec<Value> = self
                .calls()
                .into_iter()
                .filter(|(m, body)| m.eq_ignore_ascii_case(method) && pred(body))
                .map(|(_, body)| body)
                .collect();
            if found.len() >= count {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {count} {method}; calls: {:#?}",
                self.calls()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Reads a `multipart/form-data` body into a JSON object of its text fields.
fn form_fields(content_type: &str, body: &[u8]) -> Value {
    let Some(boundary) = content_type.split("boundary=").nth(1) else {
        return Value::Null;
    };
    let body = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in body.split(&format!("--{}", boundary.trim_matches('"'))) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|n| n.split('"').next())
        else {
            continue;
        };
        fields.insert(name.to_string(), json!(value.trim_end_matches("\r\n")));
    }
    Value::Object(fields)
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path((bot, method)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return axum::Json(json!({"ok": false, "error_code": 401, "description": "Unauthorized"}))
            .into_response();
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let body: Value = if content_type.starts_with("multipart/form-data") {
        form_fields(content_type, &body)
    } else {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    };
    // Telegram reads method names case-insensitively; teloxide sends `SendMessage`.
    let method = method.to_ascii_lowercase();
    let mut slow = false;
    let reply = {
        let mut inner = inner.lock().unwrap();
        inner.calls.push((method.clone(), body.clone()));
        if let Some(left) = inner.fail_with_429.get_mut(&method).filter(|n| **n > 0) {
            *left -= 1;
            return axum::Json(json!({
                "ok": false, "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }))
            .into_response();
        }
        match method.as_str() {
            "getme" => Some(json!({
                "id": BOT_ID, "is_bot": true, "first_name": "FAQ", "username": BOT_USERNAME,
                "can_join_groups": true, "can_read_all_group_messages": false,
                "supports_inline_queries": true, "has_main_web_app": false,
            })),
            "getupdates" if inner.refuse_updates_with_409 > 0 => {
                inner.refuse_updates_with_409 -= 1;
                return (
                    axum::http::StatusCode::CONFLICT,
                    axum::Json(json!({
                        "ok": false, "error_code": 409,
                        "description": "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
                    })),
                )
                    .into_response();
            }
            "getupdates" if inner.fail_updates_with_500 > 0 => {
                inner.fail_updates_with_500 -= 1;
                return (
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    axum::Json(json!({
                        "ok": false, "error_code": 500, "description": "Internal Server Error",
                    })),
                )
                    .into_response();
            }
            "getupdates" => {
                let offset = body["offset"].as_i64().unwrap_or(0);
                inner
                    .updates
                    .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                // At most `limit`, 100 by default, as Telegram gives.
                let limit = body["limit"].as_u64().unwrap_or(100) as usize;
                let updates: Vec<Value> = inner.updates.iter().take(limit).cloned().collect();
                if updates.is_empty() {
                    None
                } else {
                    Some(json!(updates))
                }
            }
            "sendmessage" => {
                if inner.fail_sends_with_502 > 0 {
                    inner.fail_sends_with_502 -= 1;
                    return (
                        axum::http::StatusCode::BAD_GATEWAY,
                        "<html><body>502 Bad Gateway</body></html>",
                    )
                        .into_response();
                }
                if inner.slow_sends > 0 {
                    inner.slow_sends -= 1;
                    slow = true;
                }
                inner.next_message_id += 1;
                Some(json!({
                    "message_id": inner.next_message_id, "date": 1_700_000_000,
                    "chat": {"id": body["chat_id"], "type": "private", "first_name": "X"},
                    "from": {"id": BOT_ID, "is_bot": true, "first_name": "FAQ"},
                    "text": body["text"],
                }))
            }
            _ => Some(json!(true)),
        }
    };
    if slow {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    match reply {
        Some(result) => axum::Json(json!({"ok": true, "result": result})).into_response(),
        None => {
            // Long polling with nothing to deliver: wait a little, as Telegram would.
            tokio::time::sleep(Duration::from_millis(30)).await;
            axum::Json(json!({"ok": true, "result": []})).into_response()
        }
    }
}

/// A private text message from a user with a Telegram language.
pub fn private_text(chat: i64, language_code: &str, text: &str) -> Value {
    json!({"message": {
        "message_id": 1, "date": 1_700_000_000,
        "chat": {"id": chat, "type": "private", "first_name": "Ana"},
        "from": {"id": chat, "is_bot": false, "first_name": "Ana", "language_code": language_code},
        "text": text,
    }})
}

/// A press on an inline button with `data`, under a message in a private chat.
pub fn callback_query(id: &str, chat: i64, data: &str) -> Value {
    json!({"callback_query": {
        "id": id, "chat_instance": "ci",
        "from": {"id": chat, "is_bot": false, "first_name": "Ana"},
        "data": data,
        "message": {"message_id": 9, "date": 1_700_000_000,
                    "chat": {"id": chat, "type": "private", "first_name": "Ana"}, "text": "…"},
    }})
}

/// A text message in a group.
pub fn group_text(chat: i64, text: &str, reply_to_bot: bool) -> Value {
    let mut message = json!({
        "message_id": 7, "date": 1_700_000_000,
        "chat": {"id": chat, "type": "group", "title": "Clientes"},
        "from": {"id": 555, "is_bot": false, "first_name": "Rui"},
        "text": text,
    });
    if reply_to_bot {
        message["reply_to_message"] = json!({
            "message_id": 6, "date": 1_700_000_000,
            "chat": {"id": chat, "type": "group", "title": "Clientes"},
            "from": {"id": BOT_ID, "is_bot": true, "first_name": "FAQ", "username": BOT_USERNAME},
            "text": "…",
        });
    }
    json!({ "message": message })
}

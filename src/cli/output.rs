//! What `ask`, `search` and `index` print: plain text for people, JSON lines for scripts.

use std::io::Write;
use std::process::ExitCode;

use faqbot::render;
use faqbot::{Engine, Lang, Matcher, Reply};
use serde_json::{Value, json};

/// Answers `question`, or every line of standard input in order, flushing each reply.
pub fn ask(
    engine: &Engine,
    question: Option<&str>,
    lang: Option<Lang>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let paint = Paint::for_stdout();
    let answer = |question: &str, out: &mut dyn Write| -> anyhow::Result<()> {
        let reading = engine.read(question, lang, None);
        let read_as = reading.read_as.clone();
        let reply = engine.decide(reading.ranking);
        tracing::debug!(question = %faqbot::mask::mask_personal_data(question), "asked");
        if json {
            let value = reply_json(question, read_as.as_deref(), &reply, engine.matcher());
            writeln!(out, "{value}")?;
        } else {
            let text = render::reply_plain(&reply);
            // The title (or the one-line reply) stands out; the agents' line recedes.
            let body = match text.split_once('\n') {
                Some((first, rest)) => format!("{}\n{rest}", paint.bold(first)),
                None => paint.bold(&text),
            };
            writeln!(out, "{body}\n{}\n", paint.dim(&summary(&reply)))?;
        }
        out.flush()?;
        Ok(())
    };
    match question {
        Some(question) => answer(question, &mut out)?,
        None => {
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                eprintln!(
                    "faqbot: reading questions from standard input, one per line (Ctrl-D ends); \
                     or give the question as an argument"
                );
            }
            for line in super::input_lines() {
                answer(&line?, &mut out)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Bold and dim text on a terminal; none when piped or with `NO_COLOR` set (no-color.org).
struct Paint(bool);

impl Paint {
    fn for_stdout() -> Paint {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Paint(!no_color && std::io::IsTerminal::is_terminal(&std::io::stdout()))
    }

    fn bold(&self, text: &str) -> String {
        self.style("1", text)
    }

    fn dim(&self, text: &str) -> String {
        self.style("2", text)
    }

    fn style(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// One line for agents under each plain reply: language, entry or reason, confidence, each
/// number labelled.
fn summary(reply: &Reply) -> String {
    let detected = reply.detected();
    let lang = format!("lang {} {}", detected.code(), shown(detected.confidence));
    match reply {
        Reply::Answer(a) => format!(
            "-- {lang} | answer {} | confidence {}",
            a.best.entry.id,
            shown(a.best.confidence)
        ),
        Reply::Clarify(c) => format!(
            "-- {lang} | choices: {}",
            c.choices
                .iter()
                .map(|c| format!("{} {}", c.entry.id, shown(c.confidence)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Reply::Escalation(e) => format!(
            "-- {lang} | handed off: {}{}",
            e.reason.as_str(),
            e.best.as_ref().map_or(String::new(), |b| format!(
                " | best {} confidence {}",
                b.entry.id,
                shown(b.confidence)
            ))
        ),
    }
}

/// A confidence with two decimals, cut rather than rounded: printed beside a threshold it
/// never reads as reaching it when it does not (0.988 escalated at 0.99 shows 0.98).
pub fn shown(x: f32) -> String {
    // The epsilon keeps an f32 such as 0.29 (0.2899999…) from showing as 0.28.
    format!("{:.2}", (f64::from(x) * 100.0 + 1e-4).floor() / 100.0)
}

/// The stable JSON object of `faqbot ask --json` (README: "JSON output"), keys in the
/// documented order.
pub fn reply_json(question: &str, read_as: Option<&str>, reply: &Reply, matcher: Matcher) -> Value {
    let detected = reply.detected();
    let round = |x: f32| (f64::from(x) * 1000.0).round() / 1000.0;
    let candidate = |c: &faqbot::Candidate| {
        json!({
            "id": c.entry.id.as_str(),
            "title": c.entry.title,
            "confidence": round(c.confidence),
        })
    };
    let mut value = match reply {
        Reply::Answer(a) => json!({
            "question": question,
            "lang": detected.code(),
            "lang_confidence": round(detected.confidence),
            "answered": true,
            "id": a.best.entry.id.as_str(),
            "title": a.best.entry.title,
            "answer": render::entry_plain(&a.best.entry)
                .split_once("\n\n")
                .map_or(String::new(), |(_, body)| body.to_string()),
            "confidence": round(a.best.confidence),
            "alternatives": a.alternatives.iter().map(candidate).collect::<Vec<_>>(),
            "escalation": null,
            "reason": null,
            "contacts": [],
        }),
        Reply::Clarify(c) => json!({
            "question": question,
            "lang": detected.code(),
            "lang_confidence": round(detected.confidence),
            "answered": false,
            "id": null,
            "title": null,
            "answer": null,
            "confidence": round(c.choices.first().map_or(0.0, |b| b.confidence)),
            "alternatives": [],
            "escalation": {"label": c.care.label, "url": c.care.url},
            "reason": null,
            "contacts": [{"lang": c.lang.code(), "label": c.care.label, "url": c.care.url}],
        }),
        Reply::Escalation(e) => json!({
            "question": question,
            "lang": detected.code(),
            "lang_confidence": round(detected.confidence),
            "answered": false,
            "id": null,
            "title": null,
            "answer": null,
            "confidence": round(e.best.as_ref().map_or(0.0, |b| b.confidence)),
            "alternatives": [],
            // Small talk gets small talk back: no Customer Care to show.
            "escalation": e.contacts.first()
                .filter(|_| !e.reason.is_small_talk())
                .map(|(_, c)| json!({"label": c.label, "url": c.url})),
            "reason": e.reason.as_str(),
            "contacts": e.contacts.iter()
                .filter(|_| !e.reason.is_small_talk())
                .map(|(l, c)| json!({"lang": l.code(), "label": c.label, "url": c.url}))
                .collect::<Vec<_>>(),
        }),
    };
    // Keys only ever join at the end: scripts read the ones before by position too.
    if let Value::Object(map) = &mut value {
        map.insert("decision".into(), json!(reply.decision().as_str()));
        let choices = match reply {
            Reply::Clarify(c) => c.choices.iter().map(candidate).collect(),
            _ => Vec::new(),
        };
        map.insert("choices".into(), Value::Array(choices));
        map.insert("matcher".into(), json!(matcher.as_str()));
        let truncated = faqbot::engine::within_limit(question).len() < question.len();
        map.insert("truncated".into(), json!(truncated));
        map.insert("read_as".into(), json!(read_as));
    }
    value
}

/// Ranked entries with confidence and a snippet.
pub fn search(
    engine: &Engine,
    query: &str,
    lang: Option<Lang>,
    top: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let (lang, hits) = engine.search(query, lang);
    // An entry that would print as 0.00 is noise to an agent.
    let hits: Vec<_> = hits
        .into_iter()
        .filter(|h| h.confidence >= 0.01)
        .take(top)
        .collect();
    let mut out = std::io::stdout().lock();
    if json {
        for (rank, hit) in hits.iter().enumerate() {
            let value = json!({
                "rank": rank + 1,
                "lang": lang.code(),
                "id": hit.entry.id.as_str(),
                "title": hit.entry.title,
                "confidence": (f64::from(hit.confidence) * 1000.0).round() / 1000.0,
            });
            writeln!(out, "{value}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if hits.is_empty() {
        writeln!(out, "no {lang} entry matches {query:?}")?;
    }
    for (rank, hit) in hits.iter().enumerate() {
        let body = hit.entry.body_text().replace('\n', " ");
        let snippet: String = body.chars().take(100).collect();
        let more = if body.chars().count() > 100 {
            "…"
        } else {
            ""
        };
        writeln!(
            out,
            "{}. {}  {}  {}\n   {snippet}{more}",
            rank + 1,
            shown(hit.confidence),
            hit.entry.id,
            hit.entry.title
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// What `faqbot index` reports.
pub fn index(engine: &Engine) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    for lang in Lang::ALL {
        writeln!(
            out,
            "{lang}: {} entries from {} page(s)",
            engine.entries(lang).len(),
            engine.pages(lang)
        )?;
    }
    writeln!(out, "index: {}", engine.generation().display())?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn a_confidence_never_prints_as_a_threshold_it_is_below() {
        assert_eq!(shown(0.988), "0.98");
        assert_eq!(shown(0.9999), "0.99");
        assert_eq!(shown(0.85), "0.85");
        assert_eq!(shown(0.29), "0.29");
        assert_eq!(shown(1.0), "1.00");
        assert_eq!(shown(0.0), "0.00");
    }
}

//! `faqbot review`: the questions the bot failed (handed off, offered choices, answered and
//! voted down), grouped by meaning per language, biggest group first, each with the entry
//! it most likely belongs to, or none: what an agent should teach it next.
//!
//! Grouping is one pass of leader clustering over the questions' vectors, most frequent
//! first (a question joins the group whose centre is nearest, if near enough, else starts
//! one), then one pass that moves every question to its nearest centre. It needs no count
//! of groups, and compares each question with the groups' centres, not with every other
//! question. Without the encoder, questions are grouped by their best candidate.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{Event, Line, Vote};
use crate::engine::Engine;
use crate::mask::escape;
use crate::semantic::Embedding;
use crate::tuning::{REVIEW_CANDIDATE, REVIEW_JOIN, REVIEW_SHOWN, REVIEW_SUGGEST};

/// The entry a group most likely belongs to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Suggested {
    pub id: String,
    pub confidence: f32,
}

/// Questions of one language that mean about the same.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    pub lang: String,
    /// Questions in the group, repeats counted.
    pub size: usize,
    /// Up to [`REVIEW_SHOWN`] of them, the most typical first.
    pub questions: Vec<String>,
    /// `None`: no entry fits (a new entry to write, or an off-topic phrasing).
    pub suggested: Option<Suggested>,
}

/// A failed question: its language, text (as read), and the bot's best candidate.
struct Failed<'a> {
    lang: &'a str,
    text: &'a str,
    best: Option<&'a str>,
    confidence: f32,
}

/// The questions the bot failed, in log order.
fn failed(lines: &[Line]) -> Vec<Failed<'_>> {
    // The last vote per message decides whether an answer was rejected.
    let mut last_vote: HashMap<&str, (&str, Vote)> = HashMap::new();
    for line in lines {
        if let Event::Feedback { message, vote, .. } = &line.event
            && last_vote
                .get(message.as_str())
                .is_none_or(|(time, _)| *time <= line.time.as_str())
        {
            last_vote.insert(message, (&line.time, *vote));
        }
    }
    let rejected = |message: &Option<String>| {
        message
            .as_deref()
            .and_then(|m| last_vote.get(m))
            .is_some_and(|(_, vote)| *vote == Vote::Down)
    };
    let mut out = Vec::new();
    for line in lines {
        let failure = match &line.event {
            event @ Event::Handoff {
                lang,
                question,
                best,
                confidence,
                read_as,
                ..
            } if !event.is_small_talk() => Failed {
                lang,
                text: read_as.as_deref().unwrap_or(question),
                best: best.as_deref(),
                confidence: *confidence,
            },
            Event::Clarify {
                lang,
                question,
                choices,
                confidence,
                read_as,
            } => Failed {
                lang,
                text: read_as.as_deref().unwrap_or(question),
                best: choices.first().map(String::as_str),
                confidence: *confidence,
            },
            Event::Answer {
                lang,
                question,
                read_as,
                message,
                ..
            } if rejected(message) => Failed {
                lang,
                text: read_as.as_deref().unwrap_or(question),
                // The answer given is the one thing it is known not to be.
                best: None,
                confidence: 0.0,
            },
            _ => continue,
        };
        if !failure.text.trim().is_empty() {
            out.push(failure);
        }
    }
    out
}

/// Groups the failed questions of `lines`, biggest first within each language. With an
/// engine that has the encoder, by meaning; else by best candidate.
pub fn review(lines: &[Line], engine: Option<&Engine>) -> Vec<Group> {
    let failed = failed(lines);
    let mut by_lang: BTreeMap<&str, Vec<&Failed>> = BTreeMap::new();
    for f in &failed {
        by_lang.entry(f.lang).or_default().push(f);
    }
    let mut groups = Vec::new();
    for (lang, questions) in by_lang {
        let mut these = engine
            .and_then(|engine| by_meaning(engine, lang, &questions))
            .unwrap_or_else(|| by_candidate(lang, &questions));
        these.sort_by(|a, b| b.size.cmp(&a.size).then(a.questions.cmp(&b.questions)));
        groups.extend(these);
    }
    groups
}

/// Distinct texts (case and spacing aside) with how often each came, most frequent first.
fn distinct<'a>(questions: &[&'a Failed]) -> Vec<(&'a str, usize)> {
    let mut counts: HashMap<String, (&str, usize)> = HashMap::new();
    for q in questions {
        let key = q
            .text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        counts.entry(key).or_insert((q.text, 0)).1 += 1;
    }
    let mut out: Vec<(&str, usize)> = counts.into_values().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out
}

/// A question to group: its text, and the bot's best candidate for it, if any.
#[derive(Clone, Debug)]
pub struct Item<'a> {
    pub text: &'a str,
    pub best: Option<&'a str>,
    pub confidence: f32,
}

/// Groups `items` by meaning: the members of each group (indexes into `items`) and the
/// entry suggested for it. `None` without the encoder.
///
/// A question is its vector less the FAQ's mean ([`Engine::centred`]) beside its best
/// candidate (one-hot), weighed [`REVIEW_CANDIDATE`]: the encoder alone scatters the
/// questions the bot failed (they are the oddly put ones), the candidate alone lumps
/// together whatever it half-matched.
pub fn group(engine: &Engine, items: &[Item]) -> Option<Vec<(Vec<usize>, Option<Suggested>)>> {
    group_with(engine, items, REVIEW_JOIN, REVIEW_CANDIDATE)
}

/// [`group`] with other weights, for fitting them.
pub fn group_with(
    engine: &Engine,
    items: &[Item],
    join: f32,
    weight: f32,
) -> Option<Vec<(Vec<usize>, Option<Suggested>)>> {
    let texts: Vec<&str> = items.iter().map(|i| i.text).collect();
    let raw = engine.embed_questions(&texts)?;
    let mut bests: Vec<&str> = items.iter().filter_map(|i| i.best).collect();
    bests.sort_unstable();
    bests.dedup();
    let (meaning, candidate) = ((1.0 - weight).sqrt(), weight.sqrt());
    let vectors: Vec<Embedding> = raw
        .iter()
        .zip(items)
        .map(|(v, item)| {
            let centred = engine.centred(v);
            let mut hot = vec![0.0; bests.len()];
            // Without a candidate (no entry came close, or the answer was voted down) a
            // question is its meaning alone: "none" is no topic to group by.
            let Some(k) = item.best.and_then(|b| bests.iter().position(|x| *x == b)) else {
                let mut x = centred.as_slice().to_vec();
                x.extend(hot);
                return Embedding::from_normalized(x);
            };
            hot[k] = candidate;
            let mut x: Vec<f32> = centred.as_slice().iter().map(|x| x * meaning).collect();
            x.extend(hot);
            Embedding::from_normalized(x)
        })
        .collect();
    let groups = cluster(&vectors, join)
        .into_iter()
        .map(|members| {
            let suggested = suggest(members.iter().map(|&i| &items[i]));
            (members, suggested)
        })
        .collect();
    Some(groups)
}

/// The best candidate most members share, with their mean confidence in it; none when
/// they have none, or too little confidence for it to be more than a guess.
fn suggest<'a, 'b: 'a>(members: impl Iterator<Item = &'a Item<'b>>) -> Option<Suggested> {
    let mut votes: HashMap<&str, (usize, f32)> = HashMap::new();
    let mut none = 0;
    for item in members {
        match item.best {
            Some(best) => {
                let vote = votes.entry(best).or_default();
                vote.0 += 1;
                vote.1 += item.confidence;
            }
            None => none += 1,
        }
    }
    let (id, (count, sum)) = votes
        .into_iter()
        .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.0.cmp(a.0)))?;
    let confidence = sum / count as f32;
    (count >= none && confidence >= REVIEW_SUGGEST).then(|| Suggested {
        id: id.to_string(),
        confidence,
    })
}

fn by_meaning(engine: &Engine, lang: &str, questions: &[&Failed]) -> Option<Vec<Group>> {
    // Each distinct text once, with its commonest best candidate.
    let texts = distinct(questions);
    let items: Vec<Item> = texts
        .iter()
        .map(|&(text, _)| {
            let same = questions.iter().find(|q| q.text == text);
            Item {
                text,
                best: same.and_then(|q| q.best),
                confidence: same.map_or(0.0, |q| q.confidence),
            }
        })
        .collect();
    let groups = group(engine, &items)?
        .into_iter()
        .map(|(members, suggested)| Group {
            lang: lang.to_string(),
            size: members.iter().map(|&i| texts[i].1).sum(),
            // Most asked first; among equals, the order of the log.
            questions: members
                .iter()
                .take(REVIEW_SHOWN)
                .map(|&i| texts[i].0.to_string())
                .collect(),
            suggested,
        })
        .collect();
    Some(groups)
}

/// Leader clustering, then one reassignment to the nearest centre: the members of each
/// group, as indexes into `vectors` (which come most frequent first, so the frequent
/// phrasings lead).
pub fn cluster(vectors: &[Embedding], join: f32) -> Vec<Vec<usize>> {
    let dim = vectors.first().map_or(0, |v| v.as_slice().len());
    let mut sums: Vec<Vec<f32>> = Vec::new();
    let mut centres: Vec<Vec<f32>> = Vec::new();
    for v in vectors {
        let v = v.as_slice();
        let nearest = nearest(&centres, v);
        match nearest {
            Some((k, cos)) if cos >= join => {
                sums[k].iter_mut().zip(v).for_each(|(s, x)| *s += x);
                centres[k] = normalized(&sums[k]);
            }
            _ => {
                sums.push(v.to_vec());
                centres.push(normalized(v));
            }
        }
    }
    let mut members = vec![Vec::new(); centres.len()];
    for (i, v) in vectors.iter().enumerate() {
        if let Some((k, _)) = nearest(&centres, v.as_slice()) {
            members[k].push(i);
        }
    }
    debug_assert!(dim == 0 || members.iter().map(Vec::len).sum::<usize>() == vectors.len());
    members.retain(|m| !m.is_empty());
    members
}

fn nearest(centres: &[Vec<f32>], v: &[f32]) -> Option<(usize, f32)> {
    centres
        .iter()
        .enumerate()
        .map(|(k, c)| (k, dot(c, v)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalized(v: &[f32]) -> Vec<f32> {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 {
        v.iter().map(|x| x / norm).collect()
    } else {
        v.to_vec()
    }
}

/// Without the encoder: one group per best candidate, its mean logged confidence.
fn by_candidate(lang: &str, questions: &[&Failed]) -> Vec<Group> {
    let mut by_best: BTreeMap<Option<&str>, Vec<&Failed>> = BTreeMap::new();
    for q in questions {
        by_best.entry(q.best).or_default().push(q);
    }
    by_best
        .into_iter()
        .map(|(best, questions)| Group {
            lang: lang.to_string(),
            size: questions.len(),
            questions: distinct(&questions)
                .into_iter()
                .take(REVIEW_SHOWN)
                .map(|(t, _)| t.to_string())
                .collect(),
            suggested: best.map(|id| Suggested {
                id: id.to_string(),
                confidence: questions.iter().map(|q| q.confidence).sum::<f32>()
                    / questions.len() as f32,
            }),
        })
        .collect()
}

/// The groups for a terminal; logged text escaped, so that a question holding terminal
/// escapes, newlines or bidi overrides cannot forge lines in an agent's terminal.
pub fn report(groups: &[Group]) -> String {
    let mut out = String::new();
    let mut lang = None;
    for g in groups {
        if lang != Some(&g.lang) {
            let of_lang: Vec<&Group> = groups.iter().filter(|o| o.lang == g.lang).collect();
            let total: usize = of_lang.iter().map(|o| o.size).sum();
            out.push_str(&format!(
                "{}: {total} question(s) in {} group(s)\n",
                escape(&g.lang),
                of_lang.len()
            ));
            lang = Some(&g.lang);
        }
        let suggested = g
            .suggested
            .as_ref()
            .map_or("no entry fits".to_string(), |s| {
                format!("likely {} ({:.2})", escape(&s.id), s.confidence)
            });
        out.push_str(&format!("{:>5}  {suggested}\n", g.size));
        for q in &g.questions {
            out.push_str(&format!("       {}\n", escape(q)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(values: &[f32]) -> Embedding {
        Embedding::from_normalized(normalized(values))
    }

    #[test]
    fn near_vectors_share_a_group_and_far_ones_do_not() {
        let vectors = [
            unit(&[1.0, 0.0, 0.0]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[0.98, 0.1, 0.0]),
            unit(&[0.1, 0.97, 0.05]),
            unit(&[0.0, 0.0, 1.0]),
        ];
        let mut groups = cluster(&vectors, 0.9);
        groups.iter_mut().for_each(|g| g.sort_unstable());
        groups.sort();
        assert_eq!(groups, vec![vec![0, 2], vec![1, 3], vec![4]]);
        assert_eq!(cluster(&vectors, -1.0).len(), 1);
        assert!(cluster(&[], 0.9).is_empty());
    }

    #[test]
    fn without_the_encoder_groups_by_best_candidate_and_escapes() {
        let handoff = |lang: &str, best: &str, question: &str| Line {
            time: "2026-12-01T00:00:00Z".into(),
            event: Event::Handoff {
                lang: lang.into(),
                reason: "low_confidence".into(),
                question: question.into(),
                best: Some(best.into()),
                confidence: 0.5,
                read_as: None,
            },
        };
        let thanks = Line {
            time: "2026-12-01T00:00:00Z".into(),
            event: Event::Handoff {
                lang: "pt".into(),
                reason: "thanks".into(),
                question: "valeu".into(),
                best: None,
                confidence: 0.0,
                read_as: None,
            },
        };
        let lines = vec![
            handoff("pt", "a/b", "quando?"),
            handoff("es", "a/b", "¿cuándo?"),
            handoff("pt", "a/b", "fake\n   1  forged/entry\u{1b}[2J\u{202e}txt"),
            handoff("pt", "a/c", "Quando?"),
            thanks,
        ];
        let groups = review(&lines, None);
        assert_eq!(groups.len(), 3);
        assert_eq!((groups[0].lang.as_str(), groups[0].size), ("es", 1));
        assert_eq!((groups[1].lang.as_str(), groups[1].size), ("pt", 2));
        let text = report(&groups);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(text.contains("\\u{a}"), "{text}");
        assert!(!text.contains("valeu"), "{text}");
    }
}

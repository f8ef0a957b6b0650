//! Where the FAQ, its index and the encoder's model are for this run.
//!
//! In a checkout of the repository (a `faq/` folder here) they are `faq/`, `index/` and
//! `model/`, as always. Anywhere else, as after `cargo install`, the FAQ built into the
//! binary is written to the user's cache folder and the index and model live beside it.
//! An explicit flag or variable always wins.

use std::path::{Path, PathBuf};

use anyhow::Context;
use faqbot::semantic::fetch;

/// The locations of one run.
#[derive(Debug)]
pub struct Paths {
    pub faq: PathBuf,
    pub index: PathBuf,
    pub model: String,
    /// The FAQ is the built-in one's copy in the cache, which an upgrade replaces.
    pub builtin_faq: bool,
}

impl Paths {
    pub fn locate(
        faq: Option<PathBuf>,
        index: Option<PathBuf>,
        model: Option<String>,
    ) -> anyhow::Result<Paths> {
        let here = Path::new("faq").is_dir();
        let builtin_faq = faq.is_none() && !here;
        let faq = match faq {
            Some(faq) => faq,
            None if here => "faq".into(),
            None => faqbot::embedded_dir(&cache()?)
                .context("cannot write the built-in FAQ to the cache folder")?,
        };
        let index = match index {
            Some(index) => index,
            None if here => "index".into(),
            None => cache()?.join("index"),
        };
        let model = match model {
            Some(model) => model,
            None if here => fetch::DEFAULT_PATH.into(),
            None => cache()?
                .join(fetch::DEFAULT_PATH)
                .to_string_lossy()
                .into_owned(),
        };
        Ok(Paths {
            faq,
            index,
            model,
            builtin_faq,
        })
    }
}

/// `$XDG_CACHE_HOME/faqbot`, else `~/.cache/faqbot`.
fn cache() -> anyhow::Result<PathBuf> {
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    absolute("XDG_CACHE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".cache")))
        .map(|cache| cache.join("faqbot"))
        .context("no cache folder (neither XDG_CACHE_HOME nor HOME is set): pass --faq and --index")
}

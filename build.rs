//! Embeds the repository's FAQ pages (`faq/<lang>/*`) in the binary, so that an installed
//! `faqbot` answers from any folder. The list is generated so that a page added to `faq/`
//! is embedded without touching code.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=faq");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
    let mut files = Vec::new();
    if let Ok(langs) = std::fs::read_dir(&root) {
        for lang in langs.flatten().filter(|e| e.path().is_dir()) {
            for file in std::fs::read_dir(lang.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = file.file_name().to_string_lossy().into_owned();
                // What `faqbot` reads (pages and lists), not an editor's swap file.
                let source = name.ends_with(".md") || name.ends_with(".toml");
                if source && !name.starts_with('.') && file.path().is_file() {
                    let name = format!(
                        "{}/{}",
                        lang.file_name().to_string_lossy(),
                        file.file_name().to_string_lossy()
                    );
                    files.push((name, file.path()));
                }
            }
        }
    }
    files.sort();
    let mut code = String::from("&[\n");
    for (name, path) in files {
        let _ = writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    code.push(']');
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_faq.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}

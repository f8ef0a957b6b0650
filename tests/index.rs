//! The on-disk index: rebuilt when stale or corrupt, never replaced by a failed build.

use std::path::Path;

use crate::util::{Scratch, ask_json, stderr, stdout};

const PAGE: &str = "pt/campaign-email-infrastructure-upgrade.md";

/// Writes `broken` to `file` and checks that indexing fails naming `file`'s last line.
fn assert_index_names_last_line(s: &Scratch, file: &Path, broken: &str) {
    let line = broken.lines().count();
    std::fs::write(file, broken).unwrap();
    let out = s.run(&["index"], "");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(err.contains(&format!("{name}:{line}:")), "{err}");
}

#[test]
fn a_matching_index_is_reused_and_a_changed_source_rebuilds_it() {
    let s = Scratch::new();
    assert!(s.run(&["ask", "é obrigatório?"], "").status.success());
    let first = s.current();
    assert!(s.run(&["ask", "é obrigatório?"], "").status.success());
    assert_eq!(s.current(), first, "same sources, same generation");
    // A generation is removed once retired for a while (a young one may be another
    // process's): age this one, and leave a young stranger beside it.
    let two_minutes_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
    std::fs::File::open(s.index().join(&first))
        .and_then(|dir| dir.set_modified(two_minutes_ago))
        .unwrap();
    let young = s.index().join("gen-0000000000000000-another-process");
    std::fs::create_dir(&young).unwrap();

    let alternates = s
        .faq()
        .join("pt/campaign-email-infrastructure-upgrade.alternates.toml");
    let mut text = std::fs::read_to_string(&alternates).unwrap();
    text.push_str("\n# an agent's note\n");
    std::fs::write(&alternates, text).unwrap();
    assert!(s.run(&["ask", "é obrigatório?"], "").status.success());
    let second = s.current();
    assert_ne!(second, first);
    assert!(
        !s.index().join(&first).exists(),
        "old generations are removed"
    );
    assert!(young.exists(), "a generation just built elsewhere is kept");
}

#[test]
fn a_malformed_page_names_file_and_line_and_keeps_the_last_good_index() {
    let s = Scratch::new();
    assert!(s.run(&["index"], "").status.success());
    let good = s.current();

    let page = s.faq().join(PAGE);
    let text = std::fs::read_to_string(&page).unwrap();
    let broken = text.replace(
        "**Esta atualização é obrigatória?**",
        "**Esta atualização é obrigatória?",
    );
    assert_ne!(broken, text);
    std::fs::write(&page, &broken).unwrap();
    let line = broken
        .lines()
        .position(|l| l.contains("**Esta atualização é obrigatória?"))
        .unwrap()
        + 1;

    let named =
        |err: &str| err.contains(&format!("campaign-email-infrastructure-upgrade.md:{line}:"));
    // Building and measuring fail on a broken page ...
    let corpus = s.dir.path().join("one.tsv");
    std::fs::write(&corpus, "é obrigatório?\tmigrate-infra-to-aws/aws-faq-1\n").unwrap();
    let corpus = corpus.to_string_lossy().into_owned();
    for args in [&["index"][..], &["eval", &corpus][..]] {
        let out = s.run(args, "");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert!(named(&err), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // ... while agents keep answering from the last good index, warned.
    for args in [
        &["ask", "--json", "é obrigatório?"][..],
        &["search", "obrigatória"][..],
    ] {
        let out = s.run(args, "");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).contains("aws-faq-1"), "{}", stdout(&out));
        let err = stderr(&out);
        assert!(named(&err) && err.contains("last good index"), "{err}");
    }
    assert_eq!(s.current(), good, "CURRENT still names the last good build");
    assert!(s.index().join(&good).join("faqbot.json").exists());
    let leftovers: Vec<_> = std::fs::read_dir(s.index())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".build-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "a failed build cleans up after itself"
    );
}

#[test]
fn a_corrupt_or_foreign_index_is_rebuilt_not_served() {
    let s = Scratch::new();
    assert!(s.run(&["index"], "").status.success());
    let generation = s.index().join(s.current());
    // Truncate every tantivy file of the generation.
    for entry in std::fs::read_dir(&generation).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != "faqbot.json" {
            std::fs::write(&path, b"").unwrap();
        }
    }
    let out = s.run(&["ask", "--json", "é obrigatório?"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("aws-faq-1"));
    assert_ne!(s.index().join(s.current()), generation);

    std::fs::write(s.index().join("CURRENT"), "../../etc\n").unwrap();
    let out = s.run(&["ask", "--json", "é obrigatório?"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(s.current().starts_with("gen-"));

    // A `CURRENT` that is a folder is damage too: rebuilt, not a failure.
    std::fs::remove_file(s.index().join("CURRENT")).unwrap();
    std::fs::create_dir_all(s.index().join("CURRENT").join("inside")).unwrap();
    let out = s.run(&["ask", "--json", "é obrigatório?"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("aws-faq-1"));
    assert!(s.current().starts_with("gen-"));
}

#[test]
fn an_unknown_language_folder_is_named() {
    let s = Scratch::new();
    std::fs::create_dir(s.faq().join("fr")).unwrap();
    let out = s.run(&["index"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("\"fr\" is not a language"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn alternates_for_an_unknown_entry_name_their_line() {
    let s = Scratch::new();
    let file = s
        .faq()
        .join("es/campaign-email-infrastructure-upgrade.alternates.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_index_names_last_line(&s, &file, &format!("{text}\nno-such-entry = [\"x\"]\n"));
}

#[test]
fn a_new_page_dropped_in_a_language_folder_is_picked_up() {
    let s = Scratch::new();
    std::fs::write(
        s.faq().join("es/otra.md"),
        "# Otra página {#otra}\n\n## ¿Hay soporte para SMS?{#sms}\n\nLos SMS no cambian.\n",
    )
    .unwrap();
    let out = s.run(&["index"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("es: 11 entries from 2 page(s)"),
        "{}",
        stdout(&out)
    );
    let out = s.run(&["search", "sms", "--lang", "es"], "");
    assert!(stdout(&out).contains("otra/sms"), "{}", stdout(&out));
}

#[test]
fn off_topic_questions_are_not_answered_and_a_bad_list_names_its_line() {
    let s = Scratch::new();
    let question = "Qual o preço do Campaign Standard?";
    let decision = |s: &Scratch| ask_json(s, question)["decision"].clone();
    // The shipped list covers prices: never answered (the product name makes the entry
    // that names it likely enough to be offered, with the Customer Care link).
    assert_eq!(decision(&s), "clarify", "the shipped list covers prices");
    assert_eq!(
        ask_json(&s, "Qual o preço da licença?")["reason"],
        "out_of_scope",
        "nothing likely: handed off"
    );

    // Without the list the product name pulls the question to an entry: the list is
    // what keeps it from being answered.
    let file = s.faq().join("pt/off-topic.toml");
    let shipped = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    assert_eq!(decision(&s), "answer", "answered without it");

    let broken = format!("{shipped}\nphrasing = [\"typo in the key\"]\n");
    assert_index_names_last_line(&s, &file, &broken);
}

#[test]
fn processes_building_the_same_index_at_once_all_answer() {
    let s = Scratch::new();
    let children: Vec<_> = (0..6)
        .map(|_| {
            s.faqbot()
                .args(["ask", "a atualização é obrigatória?"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn faqbot")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait faqbot");
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("aws-faq-1"), "{}", stdout(&out));
    }
}

#[test]
fn pages_saved_with_a_byte_order_mark_and_crlf_lines_read_the_same() {
    let s = Scratch::new();
    let page = s.faq().join(PAGE);
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(&page, format!("\u{feff}{}", text.replace('\n', "\r\n"))).unwrap();
    let reply = ask_json(&s, "a atualização é obrigatória?");
    assert_eq!(reply["id"], "migrate-infra-to-aws/aws-faq-1");
    assert_eq!(reply["title"], "Esta atualização é obrigatória?");
    assert!(!reply["answer"].as_str().unwrap().contains('\r'));
}

#[test]
fn a_customer_care_link_that_is_not_a_web_address_is_rejected_with_its_line() {
    let s = Scratch::new();
    let page = s.faq().join(PAGE);
    let text = std::fs::read_to_string(&page).unwrap();
    let (head, _) = text.trim_end().rsplit_once('\n').expect("a closing line");
    for bad in ["javascript:alert(1)", "/support", "mailto:care@example.com"] {
        let broken =
            format!("{head}\nPara qualquer outra pergunta, fale com [Atendimento]({bad}).\n");
        assert_index_names_last_line(&s, &page, &broken);
        let err = stderr(&s.run(&["index"], ""));
        assert!(err.contains("not an absolute http(s) address"), "{err}");
    }
}

#[test]
fn a_damaged_segment_is_rebuilt_never_served() {
    let s = Scratch::new();
    assert!(s.run(&["index"], "").status.success());
    // Garbage in the middle of the stored documents, then of the terms: opening verifies
    // checksums, so each is rebuilt instead of panicking or answering differently.
    for ext in ["store", "term", "fieldnorm"] {
        let generation = s.index().join(s.current());
        let file = std::fs::read_dir(&generation)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == ext))
            .unwrap();
        let mut bytes = std::fs::read(&file).unwrap();
        let middle = bytes.len() / 2;
        for b in &mut bytes[middle..middle + 8] {
            *b ^= 0x5a;
        }
        std::fs::write(&file, bytes).unwrap();
        let out = s.run(&["ask", "--json", "a atualização é obrigatória?"], "");
        assert!(out.status.success(), "{ext}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("aws-faq-1"),
            "{ext}: {}",
            stdout(&out)
        );
        assert_ne!(s.index().join(s.current()), generation, "{ext}: rebuilt");
    }
    // A segment file deleted outright.
    let generation = s.index().join(s.current());
    let pos = std::fs::read_dir(&generation)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "pos"))
        .unwrap();
    std::fs::remove_file(pos).unwrap();
    let out = s.run(&["ask", "--json", "a atualização é obrigatória?"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(s.index().join(s.current()), generation, "rebuilt");
}

#[test]
fn generations_stay_bounded_under_a_burst_of_edits() {
    let s = Scratch::new();
    let alternates = s
        .faq()
        .join("pt/campaign-email-infrastructure-upgrade.alternates.toml");
    let shipped = std::fs::read_to_string(&alternates).unwrap();
    for edit in 0..8 {
        std::fs::write(&alternates, format!("{shipped}\n# edit {edit}\n")).unwrap();
        assert!(s.run(&["index"], "").status.success());
    }
    let generations = std::fs::read_dir(s.index())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("gen-")
        })
        .count();
    assert!(generations <= 4, "{generations} generations kept");
}

#[cfg(unix)]
#[test]
fn only_regular_files_under_the_faq_folder_are_read() {
    let s = Scratch::new();
    // A FIFO would block a reader forever: it is named, not opened.
    let fifo = s.faq().join("pt/notes.md");
    let path = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o644) }, 0);
    let out = s.run(&["index"], "");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("notes.md") && err.contains("not a regular file"),
        "{err}"
    );
    std::fs::remove_file(&fifo).unwrap();

    // A link that leaves the folder is refused, and its target's content never echoed.
    let outside = s.dir.path().join("secret.md");
    std::fs::write(&outside, "# Secret {#s}\n\nhunter2\n").unwrap();
    let link = s.faq().join("pt/linked.md");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let out = s.run(&["index"], "");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("linked.md") && err.contains("outside the FAQ folder"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    std::fs::remove_file(&link).unwrap();

    // A page over the size limit is an error, not a minute of parsing.
    let big = s.faq().join("pt/big.md");
    let line = "Texto de exemplo para encher uma página muito grande. ".repeat(20) + "\n";
    std::fs::write(&big, line.repeat(1100)).unwrap();
    let out = s.run(&["index"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("over the limit"), "{}", stderr(&out));
}

#[test]
fn the_last_good_index_of_another_faq_folder_is_never_served() {
    let s = Scratch::new();
    assert!(s.run(&["index"], "").status.success());
    // Another folder, broken, with the same index folder.
    let other = s.dir.path().join("other-faq");
    std::fs::create_dir_all(other.join("pt")).unwrap();
    std::fs::write(other.join("pt/page.md"), "no title here\n").unwrap();
    let out = s
        .faqbot()
        .env("FAQBOT_FAQ_DIR", &other)
        .args(["ask", "é obrigatório?"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("page.md"), "{}", stderr(&out));
}

#[test]
fn stored_metadata_without_a_customer_care_link_is_damaged_never_a_panic() {
    let s = Scratch::new();
    assert!(s.run(&["index"], "").status.success());
    let meta = s.index().join(s.current()).join("faqbot.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta).unwrap()).unwrap();
    for lang in json["langs"].as_array_mut().unwrap() {
        lang.as_object_mut().unwrap().remove("care");
    }
    std::fs::write(&meta, serde_json::to_vec(&json).unwrap()).unwrap();
    let damaged = s.current();
    // With the sources readable, it is rebuilt ...
    let out = s.run(&["ask", "--json", "é obrigatório?"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("aws-faq-1"));
    assert_ne!(s.current(), damaged);

    // ... and with a broken page it is no last good index: a clear error, not a panic.
    std::fs::write(&meta, serde_json::to_vec(&json).unwrap()).unwrap();
    std::fs::write(s.index().join("CURRENT"), &damaged).unwrap();
    let page = s.faq().join(PAGE);
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        text.replace("**Esta atualização é obrigatória?**", "**x"),
    )
    .unwrap();
    let out = s.run(&["ask", "é obrigatório?"], "");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("campaign-email-infrastructure-upgrade.md:"),
        "{}",
        stderr(&out)
    );
}

/// Containers with a read-only root are common: a valid generation is served from a folder
/// the process cannot write, with no lock file. The tests run as root, which writes
/// anywhere, so the real program runs as `nobody` through `setpriv`; where the test is not
/// root it says so loudly and checks nothing; as root without `setpriv` it fails.
#[test]
fn a_valid_index_in_a_read_only_folder_serves_another_user() {
    use std::os::unix::fs::PermissionsExt;
    let root = unsafe { libc::geteuid() } == 0;
    let setpriv = std::process::Command::new("setpriv")
        .arg("--version")
        .output();
    if !root {
        eprintln!("SKIPPED a_valid_index_in_a_read_only_folder_serves_another_user: not root");
        return;
    }
    // As root (CI is) the check must run: a missing setpriv fails it, never skips it.
    assert!(
        setpriv.is_ok(),
        "setpriv (Debian: util-linux) is needed to run faqbot as another user"
    );
    let s = Scratch::new();
    let out = s
        .faqbot()
        .env("FAQBOT_MODEL", "none")
        .arg("index")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let chmod = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    chmod(s.dir.path(), 0o755);
    fn read_only(path: &Path, chmod: &dyn Fn(&Path, u32)) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                read_only(&entry.unwrap().path(), chmod);
            }
            chmod(path, 0o555);
        } else {
            chmod(path, 0o444);
        }
    }
    read_only(&s.index(), &chmod);
    read_only(&s.faq(), &chmod);
    let listing = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = listing(&s.index().join(s.current()));
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_faqbot"))
        .args(["ask", "--json", "é obrigatório?"])
        .env("FAQBOT_FAQ_DIR", s.faq())
        .env("FAQBOT_INDEX_DIR", s.index())
        .env("FAQBOT_MODEL", "none")
        .env("HOME", "/nonexistent")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(stdout(&out).contains("aws-faq-1"), "{}", stdout(&out));
    assert!(!err.contains("WARN") && !err.contains("ERROR"), "{err}");
    assert_eq!(
        listing(&s.index().join(s.current())),
        before,
        "nothing written"
    );
    // Writable again, so that the scratch folder can be removed.
    chmod(&s.index(), 0o755);
}

//! The `faqbot` command line: a thin layer that reads arguments, calls the engine and prints.

use std::io::Write;
use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    cli::init_logging();
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`faqbot ask | head`) is not an error worth a message.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            // Not eprintln!: it panics when stderr is closed.
            let _ = writeln!(std::io::stderr(), "faqbot: {err:#}");
            ExitCode::FAILURE
        }
    }
}

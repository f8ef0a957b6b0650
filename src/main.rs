//! The `faqbot` command line: a thin layer that reads arguments, calls the engine and prints.

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
            eprintln!("faqbot: {err:#}");
            ExitCode::FAILURE
        }
    }
}

//! Integration tests, built into one binary: they drive the real `faqbot` program and the
//! library over copies of the FAQ folder.

mod cli;
mod corpus;
#[cfg(feature = "telegram")]
mod fake_telegram;
mod index;
mod learning;
mod semantic;
#[cfg(feature = "telegram")]
mod telegram;
mod util;

//! faqbot
pub mod analysis;
pub mod detect;
pub mod error;
pub mod faq;
pub mod index;
pub mod lang;
pub mod markdown;
mod stopwords;

//! faqbot
pub mod analysis;
pub mod error;
pub mod faq;
pub mod lang;
pub mod markdown;
mod stopwords;

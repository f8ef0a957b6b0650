//! faqbot
pub mod analysis;
pub mod error;
pub mod lang;
mod stopwords;

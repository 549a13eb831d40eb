//! Reading the words of needs and offers, with no I/O.
//!
//! A human broker reads a need before anything else; inside one GCM objective the topics differ
//! enormously (objective 10 covers victim identification at borders and supply-chain due
//! diligence alike). This module turns a title and a description into terms the hub can compare:
//!
//! - [`language`]: which language a text is in: the one its script and function words show
//!   clearly, else the one its record's `languages` name, else
//!   [whatlang](https://crates.io/crates/whatlang)'s guess.
//! - [`analysis`]: tokens, lower-cased, stop words removed, stemmed per language (Snowball, from
//!   rust-stemmers) and folded (accents dropped), so "protección" meets "proteccion".
//! - [`glossary`](mod@glossary): the curated multilingual glossary (`data/glossary.tsv`): a text's words also
//!   map to concepts, so "trata de personas" meets "human trafficking".
//! - [`relevance`]: BM25 with the offers' collection statistics, normalised to [0, 1]: how well an
//!   offer's words and concepts answer a need's, and which ones they share.

pub mod analysis;
pub mod glossary;
pub mod language;
pub mod relevance;

pub use analysis::{TextReading, TextTerms, record_language};
pub use glossary::{Glossary, glossary};
pub use language::{Language, text_language};
pub use relevance::{
    Document, NeedTerms, NeedWeight, OfferReader, TermCount, TextIndex, TextMatch, TextQuery, WordedQuery,
};

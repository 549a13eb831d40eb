//! Snippets: a passage of a hit's text with the words that matched marked. tantivy's
//! `SnippetGenerator` picks the passage; it reads the text again with a tokenizer, which here is
//! the hub's own analysis in the record's language, so that what it marks is exactly what matched
//! (a concept such as "trata de personas" is marked whole).

use std::collections::BTreeMap;
use std::ops::Range;

use tantivy::schema::Field;
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

use crate::text::Language;
use crate::text::analysis::for_each_placed_term;

/// Where a matched word starts and ends in a snippet.
pub const MARK_START: &str = "«";
/// See [`MARK_START`].
pub const MARK_END: &str = "»";
/// The longest snippet, in characters.
const SNIPPET_CHARS: usize = 200;

/// The hub's reading of a text in one language, as a tantivy tokenizer.
#[derive(Clone)]
pub struct HubTokenizer {
    language: Option<Language>,
}

impl HubTokenizer {
    /// Reads texts in `language` (none: word for word, unstemmed).
    pub fn new(language: Option<Language>) -> HubTokenizer {
        HubTokenizer { language }
    }
}

/// The tokens of one text, read at once.
pub struct HubTokens {
    tokens: Vec<Token>,
    /// One past the current token: 0 before the first `advance`.
    next: usize,
}

impl TokenStream for HubTokens {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next.saturating_sub(1)]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next.saturating_sub(1)]
    }
}

impl Tokenizer for HubTokenizer {
    type TokenStream<'a> = HubTokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> HubTokens {
        let mut tokens = Vec::new();
        for_each_placed_term("", text, self.language, |_, key, bytes, words| {
            tokens.push(Token {
                offset_from: bytes.start,
                offset_to: bytes.end,
                position: tokens.len(),
                text: key.to_string(),
                position_length: words,
            });
        });
        // Concepts are read after the words they span; the snippet generator wants tokens in
        // the order of the text (it measures each from the start of the passage it is in).
        tokens.sort_by_key(|token| (token.offset_from, token.offset_to));
        // tantivy's stream starts with no current token; `token` before `advance` is a default.
        if tokens.is_empty() {
            tokens.push(Token::default());
            return HubTokens { tokens, next: 1 };
        }
        HubTokens { tokens, next: 0 }
    }
}

/// A hit's snippet: a passage of its `body` around the keys of `weights` it holds, each marked
/// between [`MARK_START`] and [`MARK_END`]. A hit found by its title alone shows the whole title
/// with its matched words marked, then as much of the body's opening as fits, so every snippet
/// shows why the record matched; one found by neither (a concept of the query, say) shows the
/// body's opening. Both are read in `language`; `field` is the index's body field, which
/// tantivy's snippet generator is made for.
pub fn hit_snippet(
    title: &str,
    body: &str,
    language: Option<Language>,
    weights: &BTreeMap<String, f32>,
    field: Field,
) -> String {
    let generator = SnippetGenerator::new(
        weights.clone(),
        TextAnalyzer::from(HubTokenizer::new(language)),
        field,
        SNIPPET_CHARS,
    );
    if let Some(found) = matched(&generator, body) {
        let ellipsis = |shown: bool| if shown { "…" } else { "" };
        let passage = body.get(found.passage.clone()).unwrap_or_default();
        return format!(
            "{}{}{}",
            ellipsis(found.passage.start > 0),
            one_line(&marked(passage, &found.spans)),
            ellipsis(found.passage.end < body.len())
        );
    }
    let Some(found) = matched(&generator, title) else {
        return opening(body, SNIPPET_CHARS);
    };
    // The whole title: the passage the generator picks may cut it short of its last words.
    let spans: Vec<Range<usize>> = found
        .spans
        .iter()
        .map(|span| span.start + found.passage.start..span.end + found.passage.start)
        .collect();
    let title = one_line(&marked(title, &spans));
    let rest = SNIPPET_CHARS.saturating_sub(title.chars().count() + TITLE_THEN_BODY.chars().count());
    if rest < LEAST_BODY_CHARS {
        return title;
    }
    match opening(body, rest) {
        body if body.is_empty() => title,
        body => format!("{title}{TITLE_THEN_BODY}{body}"),
    }
}

/// Between a marked title and the body's opening in a snippet.
const TITLE_THEN_BODY: &str = ": ";

/// The fewest characters of the body worth showing after a title: fewer would be a word or two
/// cut short.
const LEAST_BODY_CHARS: usize = 40;

/// Where a text matched, as tantivy's snippet generator found it.
struct Matched {
    /// The passage it picked: a byte range of the text.
    passage: Range<usize>,
    /// The matched words within the passage, in order and not overlapping (byte ranges of the
    /// passage).
    spans: Vec<Range<usize>>,
}

/// Where `text` holds the generator's keys; `None` when it holds none.
fn matched(generator: &SnippetGenerator, text: &str) -> Option<Matched> {
    let snippet = generator.snippet(text);
    if snippet.is_empty() || snippet.highlighted().is_empty() {
        return None;
    }
    // A concept and the words inside it both match: mark the span they cover once.
    let mut ranges: Vec<Range<usize>> = snippet.highlighted().to_vec();
    ranges.sort_by_key(|range| (range.start, std::cmp::Reverse(range.end)));
    let mut spans: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match spans.last_mut() {
            Some(last) if range.start < last.end => last.end = last.end.max(range.end),
            _ => spans.push(range),
        }
    }
    Some(Matched {
        passage: snippet.fragment_range(),
        spans,
    })
}

/// `text` with its `spans` (byte ranges, in order, not overlapping) between [`MARK_START`] and
/// [`MARK_END`].
fn marked(text: &str, spans: &[Range<usize>]) -> String {
    let mut marked = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for span in spans {
        let (Some(before), Some(word)) = (text.get(at..span.start), text.get(span.clone())) else {
            continue;
        };
        marked.push_str(before);
        marked.push_str(MARK_START);
        marked.push_str(word);
        marked.push_str(MARK_END);
        at = span.end;
    }
    marked.push_str(text.get(at..).unwrap_or_default());
    marked
}

/// The passage on one line: paragraphs and runs of spaces become one space.
fn one_line(passage: &str) -> String {
    passage.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first `chars` characters of `text`, cut at a space.
fn opening(text: &str, chars: usize) -> String {
    let text = one_line(text);
    let text = text.as_str();
    match text.char_indices().nth(chars) {
        None => text.to_string(),
        Some((end, _)) => {
            let cut = text[..end].rfind(char::is_whitespace).unwrap_or(end);
            format!("{}…", text[..cut].trim_end())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concept_is_marked_whole_and_stems_as_written() {
        let (_, fields) = super::super::document::Fields::schema();
        let weights: BTreeMap<String, f32> = [
            ("#human_trafficking".to_string(), 1.0),
            ("trat".to_string(), 0.3),
            ("person".to_string(), 0.2),
            ("consul".to_string(), 0.5),
        ]
        .into_iter()
        .collect();
        let text = "Capacitación de consulados sobre trata de personas y remesas";
        let marked = hit_snippet("", text, Some(Language::Spanish), &weights, fields.body);
        assert!(marked.contains("«trata de personas»"), "{marked}");
        assert!(marked.contains("«consulados»"), "{marked}");
    }

    #[test]
    fn a_hit_found_by_its_title_shows_it_marked_and_one_found_by_neither_the_opening() {
        let (_, fields) = super::super::document::Fields::schema();
        let weights: BTreeMap<String, f32> = [("remitt".to_string(), 1.0)].into_iter().collect();
        let long = "word ".repeat(100);
        let marked = hit_snippet("Remittances", &long, Some(Language::English), &weights, fields.body);
        assert!(
            marked.starts_with("«Remittances»: word") && marked.ends_with('…'),
            "a title-only match is shown marked before the body's opening: {marked}"
        );
        assert!(marked.chars().count() <= SNIPPET_CHARS + 1, "{marked}");
        let marked = hit_snippet("Diaspora bonds", &long, Some(Language::English), &weights, fields.body);
        assert!(
            marked.ends_with('…') && marked.chars().count() <= SNIPPET_CHARS + 1,
            "{marked}"
        );
        assert!(!marked.contains(MARK_START));
        assert_eq!(
            hit_snippet("Remittances", "", Some(Language::English), &weights, fields.body),
            "«Remittances»"
        );
    }

    #[test]
    fn a_long_title_is_shown_whole_and_alone() {
        let (_, fields) = super::super::document::Fields::schema();
        let weights: BTreeMap<String, f32> = [("remitt".to_string(), 1.0)].into_iter().collect();
        let title = "Support for families receiving remittances in the rural districts of the \
                     highlands, with financial literacy courses for women and young people, and a \
                     study of what transfers cost (2025-2027)?";
        let body = "word ".repeat(100);
        let marked = hit_snippet(title, &body, Some(Language::English), &weights, fields.body);
        assert_eq!(marked, title.replace("remittances", "«remittances»"));
    }
}

//! Field rules and their error type. Every rule a request can break is checked here (or by a
//! record's `validate`, which calls these helpers), so the caps and the wording of errors live in
//! one place.

use std::fmt;

use super::geography;

/// Longest actor name, need or offer title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4_000;
/// Longest contact, partnership note or response reason, in characters.
pub const MAX_NOTE_CHARS: usize = 1_000;
/// Most countries a need or offer may name.
pub const MAX_COUNTRIES: usize = 100;
/// Most languages, areas or modalities a record may name.
pub const MAX_SHORT_LIST: usize = 16;

/// One broken rule: the field (with its index for list items) and the rule in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Request field path, such as `themes[0]` or `window.end_date`.
    pub field: String,
    /// What the value must be, or why it is refused.
    pub rule: String,
}

/// Every ISO 639-1 code, in order (183 since "bh" was withdrawn in 2021): two letters that name
/// no language are as wrong as a malformed code, and would never match a need to an offer.
const ISO_639_1: [&str; 183] = [
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bi", "bm", "bn", "bo",
    "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de", "dv", "dz", "ee", "el", "en", "eo",
    "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi",
    "ho", "hr", "ht", "hu", "hy", "hz", "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka",
    "kg", "ki", "kj", "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb", "nd", "ne", "ng",
    "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl", "ps", "pt", "qu", "rm", "rn",
    "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su",
    "sv", "sw", "ta", "te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur",
    "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

/// Every rule a request broke, so a client can fix them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations(Vec<Violation>);

/// A requested count (a limit, a page size, a depth) where 0 asks for `default` and more than
/// `max` breaks the rule: the count to use, or the violation of `field`. Every such argument of
/// the API follows this one rule.
pub fn count_or_default<N>(field: &str, requested: N, default: usize, max: usize) -> Result<usize, Violations>
where
    N: TryInto<usize> + std::fmt::Display + Copy,
{
    match requested.try_into() {
        Ok(0) => Ok(default),
        Ok(count) if count <= max => Ok(count),
        _ => Err(Violations::single(
            field,
            format!("{requested} must be between 0 and {max}"),
        )),
    }
}

impl Violations {
    /// Adds the violations that a check of its own found (such as [`count_or_default`]).
    pub fn append(&mut self, found: Violations) {
        self.0.extend(found.0);
    }

    /// Records that `field` broke `rule`.
    pub fn push(&mut self, field: impl Into<String>, rule: impl Into<String>) {
        self.0.push(Violation {
            field: field.into(),
            rule: rule.into(),
        });
    }

    /// Records `rule` for `field` unless `holds`.
    pub fn check(&mut self, holds: bool, field: &str, rule: impl Into<String>) {
        if !holds {
            self.push(field, rule);
        }
    }

    /// The broken rules so far.
    pub fn as_slice(&self) -> &[Violation] {
        &self.0
    }

    /// `Ok` when no rule was broken.
    pub fn into_result(self) -> Result<(), Violations> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// A single violation as an error, for rules checked one at a time.
    pub fn single(field: impl Into<String>, rule: impl Into<String>) -> Violations {
        let mut violations = Violations::default();
        violations.push(field, rule);
        violations
    }

    /// Checks a free-text field against its cap (and, when `required`, that it is not blank).
    pub fn text(&mut self, field: &str, value: &str, max_chars: usize, required: bool) {
        if required && value.trim().is_empty() {
            self.push(field, "must not be empty");
        }
        let chars = value.chars().count();
        if chars > max_chars {
            self.push(field, format!("is {chars} characters long; the limit is {max_chars}"));
        }
        if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            self.push(field, "must not contain control characters");
        }
    }

    /// Checks a list's length against its cap.
    pub fn list_len<T>(&mut self, field: &str, list: &[T], max: usize) {
        if list.len() > max {
            self.push(field, format!("names {} items; the limit is {max}", list.len()));
        }
    }

    /// Checks ISO 3166-1 alpha-3 country codes.
    pub fn countries(&mut self, field: &str, countries: &[String]) {
        self.list_len(field, countries, MAX_COUNTRIES);
        for (i, code) in countries.iter().enumerate() {
            self.country(&format!("{field}[{i}]"), code);
        }
    }

    /// Checks one ISO 3166-1 alpha-3 country code.
    pub fn country(&mut self, field: &str, code: &str) {
        if geography::country(code).is_none() {
            self.push(
                field,
                format!("'{code}' is not an ISO 3166-1 alpha-3 country code (such as GTM)"),
            );
        }
    }

    /// Checks UN M49 area slugs ("central_america", "africa").
    pub fn areas(&mut self, field: &str, areas: &[String]) {
        self.list_len(field, areas, MAX_SHORT_LIST);
        for (i, slug) in areas.iter().enumerate() {
            self.area(&format!("{field}[{i}]"), slug);
        }
    }

    /// Checks one UN M49 area slug.
    pub fn area(&mut self, field: &str, slug: &str) {
        if !geography::is_area(slug) {
            self.push(
                field,
                format!("'{slug}' is not a UN M49 region slug (such as central_america or africa)"),
            );
        }
    }

    /// The same violations with `prefix` before every field ("need." for an update's record).
    pub fn within(self, prefix: &str) -> Violations {
        let fields = self.0.into_iter().map(|Violation { field, rule }| Violation {
            field: format!("{prefix}{field}"),
            rule,
        });
        Violations(fields.collect())
    }

    /// Checks ISO 639-1 language codes: two lower-case letters that name a language.
    pub fn languages(&mut self, field: &str, languages: &[String]) {
        self.list_len(field, languages, MAX_SHORT_LIST);
        for (i, code) in languages.iter().enumerate() {
            let well_formed = code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase());
            if !well_formed {
                self.push(
                    format!("{field}[{i}]"),
                    format!("'{code}' is not an ISO 639-1 language code (two lower-case letters, such as es)"),
                );
            } else if ISO_639_1.binary_search(&code.as_str()).is_err() {
                self.push(
                    format!("{field}[{i}]"),
                    format!("'{code}' names no language in ISO 639-1 (such as es, fr, ar)"),
                );
            }
        }
    }

    /// Checks that a list has no repeated item; reports the first repeat only, so a long list of
    /// copies makes one line, not hundreds.
    pub fn distinct<T: PartialEq + fmt::Debug>(&mut self, field: &str, list: &[T]) {
        let repeat = list.iter().enumerate().find(|(i, item)| list[..*i].contains(item));
        if let Some((i, item)) = repeat {
            self.push(format!("{field}[{i}]"), format!("{item:?} is listed twice"));
        }
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for Violation { field, rule } in &self.0 {
            if !first {
                f.write_str("; ")?;
            }
            write!(f, "{field}: {rule}")?;
            first = false;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_every_field_and_rule() {
        let mut violations = Violations::default();
        violations.text("title", " ", MAX_TITLE_CHARS, true);
        violations.countries("countries", &["XXX".to_string()]);
        let message = violations.to_string();
        assert!(message.starts_with("title: must not be empty"), "{message}");
        assert!(
            message.contains("countries[0]: 'XXX' is not an ISO 3166-1 alpha-3"),
            "{message}"
        );
    }

    #[test]
    fn a_language_code_must_name_a_language() {
        assert!(
            ISO_639_1.windows(2).all(|pair| pair[0] < pair[1]),
            "sorted, for the binary search"
        );
        let mut violations = Violations::default();
        let codes = ["es", "zz", "zu", "aa"].map(String::from);
        violations.languages("languages", &codes);
        let fields: Vec<&str> = violations.as_slice().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["languages[1]"]);
    }

    #[test]
    fn text_cap_counts_characters_not_bytes() {
        let mut violations = Violations::default();
        violations.text("title", &"é".repeat(MAX_TITLE_CHARS), MAX_TITLE_CHARS, true);
        assert!(violations.into_result().is_ok());
    }
}

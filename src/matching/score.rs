//! The pairwise fit of a need and an offer: a weighted sum of components in [0, 1], each
//! reported with its weight and a sentence, and a one-line summary in words.

use serde::{Deserialize, Serialize};

use crate::domain::geography::{self, AreaFit};
use crate::domain::offer::GeographicFit;
use crate::domain::{Explanation, Level, Need, Offer, ScoreComponent, Staleness, Violations};
use crate::text::TextMatch;

/// Weights of the score's components. They need not sum to 1: the score is divided by their sum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreWeights {
    /// How well the offer's words and concepts answer the need's (BM25, see [`crate::text`]).
    pub text_relevance: f64,
    /// Share of the need's objectives the offer covers.
    pub theme_coverage: f64,
    /// Share of the need's modalities the offer delivers.
    pub modality_coverage: f64,
    /// How precisely the offer's coverage names the need's countries.
    pub geography: f64,
    /// Share of the need's languages the offer works in.
    pub language: f64,
    /// Whether the offer serves the need's level of governance.
    pub level: f64,
    /// Trust along the best partnership path between requester and provider.
    pub partnership_proximity: f64,
    /// The provider's completed outcomes (a provider with none counts as neutral).
    pub track_record: f64,
    /// Share of the offer's capacity still free: spreads work over providers.
    pub load: f64,
}

impl Default for ScoreWeights {
    /// The words weigh most: a broker reads the need first. Their share, 0.42, is the one
    /// `cargo bench --bench matching -- relevance` chose on the tuning half of the labelled set;
    /// the other weights keep the proportions they had before the hub read text (objectives and
    /// trust first: the workshops found that existing partnerships are the best predictor that a
    /// collaboration works, and that help must fit the demand), scaled to the remaining 0.58.
    fn default() -> Self {
        ScoreWeights {
            text_relevance: 0.42,
            theme_coverage: 0.145,
            modality_coverage: 0.087,
            geography: 0.087,
            language: 0.058,
            level: 0.029,
            partnership_proximity: 0.116,
            track_record: 0.0406,
            load: 0.0174,
        }
    }
}

impl ScoreWeights {
    /// Every weight must be finite and non-negative, and at least one positive.
    pub fn validate(&self) -> Result<(), Violations> {
        let ScoreWeights {
            text_relevance,
            theme_coverage,
            modality_coverage,
            geography,
            language,
            level,
            partnership_proximity,
            track_record,
            load,
        } = self;
        let named = [
            ("text_relevance", text_relevance),
            ("theme_coverage", theme_coverage),
            ("modality_coverage", modality_coverage),
            ("geography", geography),
            ("language", language),
            ("level", level),
            ("partnership_proximity", partnership_proximity),
            ("track_record", track_record),
            ("load", load),
        ];
        let mut violations = Violations::default();
        for (name, weight) in named {
            violations.check(
                weight.is_finite() && *weight >= 0.0,
                name,
                format!("{weight} must be a number >= 0"),
            );
        }
        violations.check(
            named.iter().any(|(_, w)| **w > 0.0),
            "weights",
            "at least one weight must be positive",
        );
        violations.into_result()
    }
}

/// The best partnership path from requester to provider, already put in words.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustLink {
    /// Product of the path's trusts.
    pub trust: f64,
    /// "partner of your partner IOM (trust 0.8 x 0.9)".
    pub words: String,
}

/// A provider's completed engagements, as the hub keeps them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrackRecord {
    pub engagements: u32,
    /// Sum of their ratings (1-5 each).
    pub rating_sum: u32,
}

/// Outcomes a provider with no record is assumed to have had, at a neutral rating of 3: a few
/// ratings move the value, one does not decide it.
const PRIOR_ENGAGEMENTS: f64 = 2.0;

impl TrackRecord {
    /// Adds one completed engagement's rating.
    pub fn record(&mut self, rating: u32) {
        self.engagements += 1;
        self.rating_sum += rating;
    }

    /// In [0, 1]: the mean rating mapped from 1-5, shrunk towards 0.5 while there are few.
    pub fn value(&self) -> f64 {
        let observed = f64::from(self.rating_sum) - f64::from(self.engagements);
        (observed / 4.0 + PRIOR_ENGAGEMENTS * 0.5) / (f64::from(self.engagements) + PRIOR_ENGAGEMENTS)
    }
}

/// What the hub knows about a pair beyond the two records.
#[derive(Debug, Clone, Copy)]
pub struct PairContext<'a> {
    /// Stand in when the offer names no languages.
    pub provider_languages: &'a [String],
    /// How the offer's words answer the need's.
    pub text: &'a TextMatch,
    pub trust: Option<&'a TrustLink>,
    pub track_record: TrackRecord,
    /// Whether the offer went without an update for the stale-after period: a stale offer's
    /// score is penalised and its summary warns (see [`Staleness::penalised`]).
    pub staleness: Staleness,
}

/// A pair's score and why.
#[derive(Debug, Clone, PartialEq)]
pub struct PairScore {
    /// In [0, 1].
    pub score: f64,
    pub explanation: Explanation,
}

/// Scores an offer for a need, with every component's value, weight and sentence.
pub fn score_pair(need: &Need, offer: &Offer, context: &PairContext<'_>, weights: &ScoreWeights) -> PairScore {
    let trust = context.trust.map_or(0.0, |link| link.trust);
    let values = component_values(
        need,
        offer,
        context.provider_languages,
        trust,
        context.track_record,
        context.text.relevance,
    );
    let details = [
        text_detail(context.text),
        theme_detail(need, offer),
        modality_detail(need, offer),
        geography_detail(need, offer),
        language_detail(need, offer, context.provider_languages),
        level_detail(need.spec.level, &offer.spec.levels),
        proximity_detail(context.trust),
        track_record_detail(context.track_record),
        load_detail(offer),
    ];
    let components: Vec<ScoreComponent> = COMPONENTS
        .iter()
        .zip(values)
        .zip(weights.in_order())
        .zip(details)
        .map(|(((name, value), weight), detail)| ScoreComponent {
            name: name.to_string(),
            value,
            weight,
            detail,
        })
        .collect();
    // The summary says what speaks for the pair; load, and a record that does not exist yet, are
    // in the components but would only add noise to the sentence.
    let has_record = context.track_record.engagements > 0;
    let mut said: Vec<String> = components
        .iter()
        .filter(|c| c.value > 0.0 && c.name != "load" && (c.name != "track_record" || has_record))
        .map(|c| c.detail.clone())
        .collect();
    said.extend(context.staleness.warning());
    PairScore {
        score: context.staleness.penalised(weighted(&values, weights)),
        explanation: Explanation {
            summary: said.join("; "),
            components,
        },
    }
}

/// The score [`score_pair`] gives, computed from the records without its sentences: the
/// reference the tests hold ranking's score ([`super::keys::OfferKey::score`]) to, bit for bit.
#[cfg(test)]
#[allow(clippy::too_many_arguments)] // what score_pair's context carries, as plain values
pub fn fit_score(
    need: &Need,
    offer: &Offer,
    provider_languages: &[String],
    trust: f64,
    track_record: TrackRecord,
    text_relevance: f64,
    staleness: Staleness,
    weights: &ScoreWeights,
) -> f64 {
    staleness.penalised(weighted(
        &component_values(need, offer, provider_languages, trust, track_record, text_relevance),
        weights,
    ))
}

/// The components' names, in the order of [`ScoreWeights`]' fields.
const COMPONENTS: [&str; 9] = [
    "text_relevance",
    "theme_coverage",
    "modality_coverage",
    "geography",
    "language",
    "level",
    "partnership_proximity",
    "track_record",
    "load",
];

impl ScoreWeights {
    /// These weights with `text_relevance` taking `share` of their sum and the others keeping
    /// their proportions: how the default text weight is chosen (see [`crate::quality`]).
    pub fn with_text_share(&self, share: f64) -> ScoreWeights {
        let others: f64 = self.in_order()[1..].iter().sum();
        let scale = if others > 0.0 { (1.0 - share) / others } else { 0.0 };
        ScoreWeights {
            text_relevance: share,
            theme_coverage: self.theme_coverage * scale,
            modality_coverage: self.modality_coverage * scale,
            geography: self.geography * scale,
            language: self.language * scale,
            level: self.level * scale,
            partnership_proximity: self.partnership_proximity * scale,
            track_record: self.track_record * scale,
            load: self.load * scale,
        }
    }

    /// The share of the weights' sum that `text_relevance` has.
    pub fn text_share(&self) -> f64 {
        let sum = self.total();
        if sum > 0.0 { self.text_relevance / sum } else { 0.0 }
    }

    /// The weights' sum: a score is the weighted sum of the components over it.
    pub(crate) fn total(&self) -> f64 {
        self.in_order().iter().sum()
    }

    /// The score of named component values (as an explanation lists them) under these weights.
    pub fn weigh(&self, components: &[(String, f64)]) -> f64 {
        let mut values = [0.0; 9];
        for (name, value) in components {
            if let Some(at) = COMPONENTS.iter().position(|c| c == name) {
                values[at] = *value;
            }
        }
        weighted(&values, self)
    }

    /// The weights in the order of [`COMPONENTS`].
    fn in_order(&self) -> [f64; 9] {
        [
            self.text_relevance,
            self.theme_coverage,
            self.modality_coverage,
            self.geography,
            self.language,
            self.level,
            self.partnership_proximity,
            self.track_record,
            self.load,
        ]
    }
}

/// Each component's value in [0, 1], in the order of [`COMPONENTS`].
fn component_values(
    need: &Need,
    offer: &Offer,
    provider_languages: &[String],
    trust: f64,
    track_record: TrackRecord,
    text_relevance: f64,
) -> [f64; 9] {
    let RecordFit { language, level } = RecordFit::of(need, offer, provider_languages);
    [
        text_relevance,
        share(&need.spec.themes, &offer.spec.themes),
        share(&need.spec.modalities, &offer.spec.modalities),
        best_geographic_fit(need, offer).map_or(0.0, |(fit, _)| geographic_value(fit)),
        language,
        level,
        trust,
        track_record.value(),
        free_share(offer),
    ]
}

/// The two components that keys ([`super::keys`]) do not hold, read from the records: how the
/// offer's languages and levels fit the need's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordFit {
    /// Share of the need's languages the offer works in.
    pub language: f64,
    /// How near the offer's levels come to the need's.
    pub level: f64,
}

impl RecordFit {
    /// Both components at their best: what a bound counts before the records are read.
    pub const BEST: RecordFit = RecordFit {
        language: 1.0,
        level: 1.0,
    };

    /// The components of the pair, the provider's languages standing in when the offer names
    /// none.
    pub fn of(need: &Need, offer: &Offer, provider_languages: &[String]) -> RecordFit {
        RecordFit {
            language: share(&need.spec.languages, offered_languages(offer, provider_languages)),
            level: level_value(need.spec.level, &offer.spec.levels),
        }
    }
}

/// The weighted mean of the values, in [0, 1] (0 when no weight is positive).
pub(crate) fn weighted(values: &[f64; 9], weights: &ScoreWeights) -> f64 {
    let total_weight = weights.total();
    if total_weight <= 0.0 {
        return 0.0;
    }
    let sum: f64 = values
        .iter()
        .zip(weights.in_order())
        .map(|(value, weight)| value * weight)
        .sum();
    (sum / total_weight).clamp(0.0, 1.0)
}

/// Share of `wanted` found in `offered` (1 when nothing is wanted).
fn share<T: PartialEq>(wanted: &[T], offered: &[T]) -> f64 {
    if wanted.is_empty() {
        return 1.0;
    }
    let found = wanted.iter().filter(|item| offered.contains(item)).count();
    found as f64 / wanted.len() as f64
}

/// The items of `wanted` found in `offered`, in words.
fn shared_words<T: PartialEq>(wanted: &[T], offered: &[T], word: impl Fn(&T) -> String) -> Vec<String> {
    wanted.iter().filter(|item| offered.contains(item)).map(word).collect()
}

/// "13", "13 and 7", "13, 7 and 21".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn text_detail(text: &TextMatch) -> String {
    if text.shared.is_empty() {
        "shares no telling words with the need".into()
    } else {
        format!("mentions {}", and_list(&text.shared))
    }
}

fn theme_detail(need: &Need, offer: &Offer) -> String {
    let numbers = shared_words(&need.spec.themes, &offer.spec.themes, ToString::to_string);
    let noun = if numbers.len() == 1 { "objective" } else { "objectives" };
    format!("shares {noun} {}", and_list(&numbers))
}

fn modality_detail(need: &Need, offer: &Offer) -> String {
    let codes = shared_words(&need.spec.modalities, &offer.spec.modalities, |m| {
        m.code().replace('_', " ")
    });
    format!("offers {}", and_list(&codes))
}

/// The most precise way the offer's coverage names one of the need's countries, and that country.
fn best_geographic_fit<'n>(need: &'n Need, offer: &Offer) -> Option<(GeographicFit, &'n String)> {
    need.spec
        .countries
        .iter()
        .filter_map(|country| offer.spec.coverage.fit(country).map(|fit| (fit, country)))
        .max_by_key(|(fit, _)| *fit)
}

pub(crate) fn geographic_value(fit: GeographicFit) -> f64 {
    match fit {
        GeographicFit::Country => 1.0,
        GeographicFit::Area(AreaFit::Intermediate) => 0.85,
        GeographicFit::Area(AreaFit::SubRegion) => 0.7,
        GeographicFit::Area(AreaFit::Region) => 0.55,
        GeographicFit::Worldwide => 0.4,
    }
}

fn geography_detail(need: &Need, offer: &Offer) -> String {
    let Some((fit, country)) = best_geographic_fit(need, offer) else {
        return "does not serve the need's countries".into();
    };
    let place = match fit {
        GeographicFit::Country => geography::country(country)
            .map_or(country.as_str(), |c| c.name)
            .to_string(),
        GeographicFit::Area(area_fit) => served_area(offer, country, area_fit),
        GeographicFit::Worldwide => "the whole world".to_string(),
    };
    format!("serves {place}")
}

fn served_area(offer: &Offer, country: &str, fit: AreaFit) -> String {
    let known = geography::country(country);
    offer
        .spec
        .coverage
        .areas
        .iter()
        .find(|area| known.and_then(|c| c.area_fit(area)) == Some(fit))
        .and_then(|area| geography::area_name(area))
        .unwrap_or("the region")
        .to_string()
}

/// The offer's languages, or its provider's when the offer names none.
fn offered_languages<'a>(offer: &'a Offer, provider_languages: &'a [String]) -> &'a [String] {
    if offer.spec.languages.is_empty() {
        provider_languages
    } else {
        &offer.spec.languages
    }
}

fn language_detail(need: &Need, offer: &Offer, provider_languages: &[String]) -> String {
    if need.spec.languages.is_empty() {
        return "no language asked".into();
    }
    let shared = shared_words(
        &need.spec.languages,
        offered_languages(offer, provider_languages),
        Clone::clone,
    );
    if shared.is_empty() {
        "works in none of the need's languages".into()
    } else {
        format!("works in {}", and_list(&shared))
    }
}

/// How many steps the nearest served level is from `level` (`None`: every level is served).
fn level_distance(level: Level, served: &[Level]) -> Option<i32> {
    served.iter().map(|s| (*s as i32 - level as i32).abs()).min()
}

fn level_value(level: Level, served: &[Level]) -> f64 {
    match level_distance(level, served) {
        None | Some(0) => 1.0,
        Some(1) => 0.5,
        Some(_) => 0.0,
    }
}

fn level_detail(level: Level, served: &[Level]) -> String {
    match level_distance(level, served) {
        None => format!("serves every level, {level} included"),
        Some(0) => format!("works at {level} level"),
        Some(1) => format!("works next to {level} level"),
        Some(_) => format!("does not work at {level} level"),
    }
}

fn proximity_detail(trust: Option<&TrustLink>) -> String {
    trust.map_or_else(
        || "no partnership path within 3 steps".into(),
        |link| link.words.clone(),
    )
}

fn track_record_detail(record: TrackRecord) -> String {
    match record.engagements {
        0 => "no completed engagements yet".to_string(),
        n => {
            let mean = f64::from(record.rating_sum) / f64::from(n);
            let noun = if n == 1 { "engagement" } else { "engagements" };
            format!("{n} completed {noun}, mean rating {mean:.1}")
        }
    }
}

/// Share of the offer's capacity still free.
pub(crate) fn free_share(offer: &Offer) -> f64 {
    f64::from(offer.remaining_capacity) / f64::from(offer.spec.capacity.max(1))
}

fn load_detail(offer: &Offer) -> String {
    format!("{} of {} places free", offer.remaining_capacity, offer.spec.capacity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_record_is_neutral_without_outcomes_and_moves_with_them() {
        let mut record = TrackRecord::default();
        assert_eq!(record.value(), 0.5);
        record.record(5);
        let after_one = record.value();
        assert!(after_one > 0.5 && after_one < 1.0, "{after_one}");
        record.record(5);
        assert!(record.value() > after_one);
        let mut poor = TrackRecord::default();
        poor.record(1);
        assert!(poor.value() < 0.5);
    }

    #[test]
    fn negative_or_all_zero_weights_are_refused() {
        assert!(ScoreWeights::default().validate().is_ok());
        let negative = ScoreWeights {
            load: -0.1,
            ..ScoreWeights::default()
        };
        assert!(negative.validate().unwrap_err().to_string().starts_with("load:"));
        let zero = ScoreWeights {
            text_relevance: 0.0,
            theme_coverage: 0.0,
            modality_coverage: 0.0,
            geography: 0.0,
            language: 0.0,
            level: 0.0,
            partnership_proximity: 0.0,
            track_record: 0.0,
            load: 0.0,
        };
        assert!(zero.validate().is_err());
        let partial: ScoreWeights = serde_json::from_str(r#"{"partnership_proximity": 0.5}"#).unwrap();
        assert_eq!(partial.theme_coverage, ScoreWeights::default().theme_coverage);
        assert!(serde_json::from_str::<ScoreWeights>(r#"{"trust": 0.5}"#).is_err());
    }

    #[test]
    fn default_weights_sum_to_one() {
        let ScoreWeights {
            text_relevance,
            theme_coverage,
            modality_coverage,
            geography,
            language,
            level,
            partnership_proximity,
            track_record,
            load,
        } = ScoreWeights::default();
        let sum = text_relevance
            + theme_coverage
            + modality_coverage
            + geography
            + language
            + level
            + partnership_proximity
            + track_record
            + load;
        assert!((sum - 1.0).abs() < 1e-12, "{sum}");
    }
}

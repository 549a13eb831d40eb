//! The pairwise fit of a need and an offer: a weighted sum of components in [0, 1], each
//! reported with its weight and a sentence, and a one-line summary in words.

use serde::{Deserialize, Serialize};

use crate::domain::geography::{self, AreaFit};
use crate::domain::offer::GeographicFit;
use crate::domain::{Explanation, Level, Need, Offer, ScoreComponent, Violations};

/// Weights of the score's components. They need not sum to 1: the score is divided by their sum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreWeights {
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
    /// Objectives and trust weigh most: the workshops found that existing partnerships are the
    /// best predictor that a collaboration works, and that help must fit the demand.
    fn default() -> Self {
        ScoreWeights {
            theme_coverage: 0.25,
            modality_coverage: 0.15,
            geography: 0.15,
            language: 0.10,
            level: 0.05,
            partnership_proximity: 0.20,
            track_record: 0.07,
            load: 0.03,
        }
    }
}

impl ScoreWeights {
    /// Every weight must be finite and non-negative, and at least one positive.
    pub fn validate(&self) -> Result<(), Violations> {
        let ScoreWeights {
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
    pub trust: Option<&'a TrustLink>,
    pub track_record: TrackRecord,
}

/// A pair's score and why.
#[derive(Debug, Clone, PartialEq)]
pub struct PairScore {
    /// In [0, 1].
    pub score: f64,
    pub explanation: Explanation,
}

/// Scores an offer for a need.
pub fn score_pair(need: &Need, offer: &Offer, context: &PairContext<'_>, weights: &ScoreWeights) -> PairScore {
    let components = vec![
        theme_coverage(need, offer, weights.theme_coverage),
        modality_coverage(need, offer, weights.modality_coverage),
        geography_fit(need, offer, weights.geography),
        language_fit(need, offer, context.provider_languages, weights.language),
        level_fit(need.spec.level, &offer.spec.levels, weights.level),
        proximity(context.trust, weights.partnership_proximity),
        track_record(context.track_record, weights.track_record),
        load(offer, weights.load),
    ];
    let total_weight: f64 = components.iter().map(|c| c.weight).sum();
    let weighted: f64 = components.iter().map(|c| c.value * c.weight).sum();
    let score = if total_weight > 0.0 {
        (weighted / total_weight).clamp(0.0, 1.0)
    } else {
        0.0
    };
    // The summary says what speaks for the pair; load, and a record that does not exist yet, are
    // in the components but would only add noise to the sentence.
    let has_record = context.track_record.engagements > 0;
    let summary = components
        .iter()
        .filter(|c| c.value > 0.0 && c.name != "load" && (c.name != "track_record" || has_record))
        .map(|c| c.detail.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    PairScore {
        score,
        explanation: Explanation { summary, components },
    }
}

fn component(name: &str, value: f64, weight: f64, detail: String) -> ScoreComponent {
    ScoreComponent {
        name: name.to_string(),
        value,
        weight,
        detail,
    }
}

/// Share of `wanted` found in `offered`, and the shared items.
fn coverage<T: PartialEq + Copy>(wanted: &[T], offered: &[T]) -> (f64, Vec<T>) {
    let shared: Vec<T> = wanted.iter().copied().filter(|item| offered.contains(item)).collect();
    let share = if wanted.is_empty() {
        1.0
    } else {
        shared.len() as f64 / wanted.len() as f64
    };
    (share, shared)
}

/// "13", "13 and 7", "13, 7 and 21".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn theme_coverage(need: &Need, offer: &Offer, weight: f64) -> ScoreComponent {
    let (share, shared) = coverage(&need.spec.themes, &offer.spec.themes);
    let numbers: Vec<String> = shared.iter().map(ToString::to_string).collect();
    let noun = if numbers.len() == 1 { "objective" } else { "objectives" };
    component(
        "theme_coverage",
        share,
        weight,
        format!("shares {noun} {}", and_list(&numbers)),
    )
}

fn modality_coverage(need: &Need, offer: &Offer, weight: f64) -> ScoreComponent {
    let (share, shared) = coverage(&need.spec.modalities, &offer.spec.modalities);
    let codes: Vec<String> = shared.iter().map(|m| m.code().replace('_', " ")).collect();
    component(
        "modality_coverage",
        share,
        weight,
        format!("offers {}", and_list(&codes)),
    )
}

fn geography_fit(need: &Need, offer: &Offer, weight: f64) -> ScoreComponent {
    let best = need
        .spec
        .countries
        .iter()
        .filter_map(|country| offer.spec.coverage.fit(country).map(|fit| (fit, country)))
        .max_by_key(|(fit, _)| *fit);
    let Some((fit, country)) = best else {
        return component("geography", 0.0, weight, "does not serve the need's countries".into());
    };
    let (value, place) = match fit {
        GeographicFit::Country => (
            1.0,
            geography::country(country)
                .map_or(country.as_str(), |c| c.name)
                .to_string(),
        ),
        GeographicFit::Area(area_fit) => (area_value(area_fit), served_area(offer, country, area_fit)),
        GeographicFit::Worldwide => (0.4, "the whole world".to_string()),
    };
    component("geography", value, weight, format!("serves {place}"))
}

fn area_value(fit: AreaFit) -> f64 {
    match fit {
        AreaFit::Intermediate => 0.85,
        AreaFit::SubRegion => 0.7,
        AreaFit::Region => 0.55,
    }
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

fn language_fit(need: &Need, offer: &Offer, provider_languages: &[String], weight: f64) -> ScoreComponent {
    let offered = if offer.spec.languages.is_empty() {
        provider_languages
    } else {
        &offer.spec.languages
    };
    if need.spec.languages.is_empty() {
        return component("language", 1.0, weight, "no language asked".into());
    }
    let shared: Vec<String> = need
        .spec
        .languages
        .iter()
        .filter(|l| offered.contains(l))
        .cloned()
        .collect();
    let share = shared.len() as f64 / need.spec.languages.len() as f64;
    let detail = if shared.is_empty() {
        "works in none of the need's languages".into()
    } else {
        format!("works in {}", and_list(&shared))
    };
    component("language", share, weight, detail)
}

fn level_fit(level: Level, served: &[Level], weight: f64) -> ScoreComponent {
    let distance = served.iter().map(|s| (*s as i32 - level as i32).abs()).min();
    let (value, detail) = match distance {
        None => (1.0, format!("serves every level, {level} included")),
        Some(0) => (1.0, format!("works at {level} level")),
        Some(1) => (0.5, format!("works next to {level} level")),
        Some(_) => (0.0, format!("does not work at {level} level")),
    };
    component("level", value, weight, detail)
}

fn proximity(trust: Option<&TrustLink>, weight: f64) -> ScoreComponent {
    match trust {
        Some(link) => component("partnership_proximity", link.trust, weight, link.words.clone()),
        None => component(
            "partnership_proximity",
            0.0,
            weight,
            "no partnership path within 3 steps".into(),
        ),
    }
}

fn track_record(record: TrackRecord, weight: f64) -> ScoreComponent {
    let detail = match record.engagements {
        0 => "no completed engagements yet".to_string(),
        n => {
            let mean = f64::from(record.rating_sum) / f64::from(n);
            let noun = if n == 1 { "engagement" } else { "engagements" };
            format!("{n} completed {noun}, mean rating {mean:.1}")
        }
    };
    component("track_record", record.value(), weight, detail)
}

fn load(offer: &Offer, weight: f64) -> ScoreComponent {
    let capacity = offer.spec.capacity.max(1);
    let free = f64::from(offer.remaining_capacity) / f64::from(capacity);
    let detail = format!("{} of {} places free", offer.remaining_capacity, offer.spec.capacity);
    component("load", free, weight, detail)
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
            theme_coverage,
            modality_coverage,
            geography,
            language,
            level,
            partnership_proximity,
            track_record,
            load,
        } = ScoreWeights::default();
        let sum = theme_coverage
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

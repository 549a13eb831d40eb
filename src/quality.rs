//! Ranking quality on a labelled relevance set, as any retrieval system is measured.
//!
//! The set (`data/relevance/*.json`, the demo world's format) holds needs and offers written as
//! requesters and providers write them, in English, French and Spanish, each need with its graded
//! offers: 2 for the right offer, 1 for a useful one, 0 (unlisted) for the rest. It is loaded into
//! a hub through the same methods the API uses, and every need is ranked by `FindMatches`. Each
//! candidate's components are kept, so a ranking under other weights is the same components
//! weighed again (ties to the older offer, as the hub breaks them): the text-blind ranking is the
//! hub's with `text_relevance` at 0.
//!
//! Needs alternate between two halves in file order: weights are chosen on the tuning half
//! ([`tune_text_share`]) and quality is reported on the held-out half, never tuned on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::demo::{self, DemoError};
use crate::domain::{Need, Offer, ScoreComponent};
use crate::hub::{Hub, HubError};
use crate::matching::ScoreWeights;
use crate::store::records;
use crate::text::{Language, record_language};

/// Candidates asked of `FindMatches` per need: all of them, in a set this size.
const CANDIDATES: u32 = 100;

/// Why a relevance set could not be judged.
#[derive(Debug, thiserror::Error)]
pub enum QualityError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("loading {path}: {source}")]
    Load { path: PathBuf, source: DemoError },
    #[error("need {need} grades unknown offer key '{offer}'")]
    UnknownOffer { need: String, offer: String },
    #[error("ranking need {need}: {source}")]
    Rank { need: String, source: HubError },
}

/// One need of the set, judged: its grades and every candidate the hub ranked, with components.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// The set's key for the need.
    pub key: String,
    /// The language the hub read the need in.
    pub language: Option<Language>,
    /// Whether the right offer is written in another language than the need.
    pub cross_language: bool,
    /// Whether the need belongs to the held-out half.
    pub held_out: bool,
    /// Grades by offer id (unlisted offers are 0).
    grades: HashMap<String, u8>,
    /// Every candidate the hub ranked.
    candidates: Vec<Ranked>,
    /// The need's title, and each candidate's and the right offer's title and text detail, for
    /// [`Judgement::miss`].
    need_title: String,
    titles: HashMap<String, String>,
    details: HashMap<String, String>,
}

/// A candidate as `FindMatches` ranked it: the offer's record number (ties go to the lower),
/// its id, and its components' names and values.
#[derive(Debug, Clone)]
struct Ranked {
    number: u64,
    offer_id: String,
    components: Vec<(String, f64)>,
}

/// Precision@1, MRR and NDCG@5 over a group of needs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    pub needs: usize,
    /// Share of needs whose first candidate is the right offer.
    pub precision_at_1: f64,
    /// Mean of 1 / the right offer's rank (0 when it is not ranked).
    pub mrr: f64,
    /// Mean normalised discounted cumulative gain of the first five, gains 2^grade - 1.
    pub ndcg_at_5: f64,
}

/// The set's files in `dir` (`*.json`), in name order.
pub fn set_files(dir: &Path) -> Result<Vec<PathBuf>, QualityError> {
    let read = |source| QualityError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(read)?;
    files.retain(|path| path.extension().is_some_and(|e| e == "json"));
    files.sort();
    Ok(files)
}

/// Loads every file into `hub` (empty, with the weights to rank by) and ranks every graded need.
pub async fn judge(hub: &Hub, files: &[PathBuf]) -> Result<Vec<Judgement>, QualityError> {
    let mut judgements = Vec::new();
    for path in files {
        let json = std::fs::read_to_string(path).map_err(|source| QualityError::Read {
            path: path.clone(),
            source,
        })?;
        let loaded = demo::load_world(hub, &json)
            .await
            .map_err(|source| QualityError::Load {
                path: path.clone(),
                source,
            })?;
        for (position, (key, need_id, labels)) in loaded.needs.iter().enumerate() {
            let mut grades = HashMap::new();
            for (offer_key, grade) in labels {
                let offer_id = loaded.offers.get(offer_key).ok_or_else(|| QualityError::UnknownOffer {
                    need: key.clone(),
                    offer: offer_key.clone(),
                })?;
                grades.insert(offer_id.clone(), *grade);
            }
            let rank_error = |source| QualityError::Rank {
                need: key.clone(),
                source,
            };
            let need: Need = hub.get_need(need_id).map_err(rank_error)?;
            let language = record_language(&need.spec.title, &need.spec.description, &need.spec.languages);
            let right = grades.iter().find(|(_, grade)| **grade == 2).map(|(id, _)| id.clone());
            let right_language = match &right {
                Some(id) => {
                    let offer: Offer = hub.get_offer(id).map_err(rank_error)?;
                    record_language(&offer.spec.title, &offer.spec.description, &offer.spec.languages)
                }
                None => None,
            };
            let mut titles = HashMap::new();
            let mut details = HashMap::new();
            let candidates = hub
                .find_matches(need_id, CANDIDATES)
                .map_err(rank_error)?
                .into_iter()
                .map(|candidate| {
                    let id = candidate.offer.id;
                    let number = records::id_number::<Offer>(&id).unwrap_or(u64::MAX);
                    titles.insert(id.clone(), candidate.offer.spec.title);
                    let components = candidate.explanation.components;
                    let text = components.iter().find(|c| c.name == "text_relevance");
                    let text = text.map_or_else(String::new, |c| format!("{:.3} {}", c.value, c.detail));
                    details.insert(id.clone(), text);
                    let values = components
                        .into_iter()
                        .map(|ScoreComponent { name, value, .. }| (name, value))
                        .collect();
                    Ranked {
                        number,
                        offer_id: id,
                        components: values,
                    }
                })
                .collect();
            judgements.push(Judgement {
                key: key.clone(),
                language,
                // As the hub judges it: both languages known, and not the same.
                cross_language: language.is_some() && right_language.is_some() && right_language != language,
                held_out: position % 2 == 1,
                grades,
                candidates,
                need_title: need.spec.title.clone(),
                titles,
                details,
            });
        }
    }
    Ok(judgements)
}

impl Judgement {
    /// The candidates' offer ids, best first under `weights`.
    pub fn ranking(&self, weights: &ScoreWeights) -> Vec<&str> {
        let mut scored: Vec<(f64, u64, &str)> = self
            .candidates
            .iter()
            .map(|ranked| {
                (
                    weights.weigh(&ranked.components),
                    ranked.number,
                    ranked.offer_id.as_str(),
                )
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, _, id)| id).collect()
    }

    /// When the right offer is not first under `weights`: what came first and where the right
    /// one ranked, with titles and text details, for whoever extends the glossary.
    pub fn miss(&self, weights: &ScoreWeights) -> Option<String> {
        let ranking = self.ranking(weights);
        let first = *ranking.first()?;
        if self.grade(first) == 2 {
            return None;
        }
        let right = self.grades.iter().find(|(_, g)| **g == 2).map(|(id, _)| id.as_str())?;
        let rank = ranking
            .iter()
            .position(|id| *id == right)
            .map_or("unranked".into(), |r| (r + 1).to_string());
        let show = |id: &str| {
            let title = self.titles.get(id).map_or("", String::as_str);
            let detail = self.details.get(id).map_or("", String::as_str);
            format!("{id} \"{title}\" [{detail}]")
        };
        Some(format!(
            "{} ({}): {}\n  first: {}\n  right (rank {rank}): {}",
            self.key,
            self.language.map_or("?", |l| l.code()),
            self.need_title,
            show(first),
            show(right)
        ))
    }

    fn grade(&self, offer_id: &str) -> u8 {
        self.grades.get(offer_id).copied().unwrap_or(0)
    }
}

/// The metrics of `judgements` ranked under `weights`.
pub fn measure<'j>(judgements: impl IntoIterator<Item = &'j Judgement>, weights: &ScoreWeights) -> Metrics {
    let mut metrics = Metrics::default();
    for judgement in judgements {
        let ranking = judgement.ranking(weights);
        let grades: Vec<u8> = ranking.iter().map(|id| judgement.grade(id)).collect();
        metrics.needs += 1;
        metrics.precision_at_1 += f64::from(u8::from(grades.first() == Some(&2)));
        metrics.mrr += grades
            .iter()
            .position(|g| *g == 2)
            .map_or(0.0, |at| 1.0 / (at as f64 + 1.0));
        let mut ideal: Vec<u8> = judgement.grades.values().copied().collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        let ideal_gain = discounted_gain(&ideal);
        if ideal_gain > 0.0 {
            metrics.ndcg_at_5 += discounted_gain(&grades) / ideal_gain;
        }
    }
    if metrics.needs > 0 {
        let n = metrics.needs as f64;
        metrics.precision_at_1 /= n;
        metrics.mrr /= n;
        metrics.ndcg_at_5 /= n;
    }
    metrics
}

/// DCG of the first five grades.
fn discounted_gain(grades: &[u8]) -> f64 {
    grades
        .iter()
        .take(5)
        .enumerate()
        .map(|(at, grade)| (2f64.powi(i32::from(*grade)) - 1.0) / (at as f64 + 2.0).log2())
        .sum()
}

/// Text shares tried when tuning: 0 to 0.8 in steps of 0.02.
fn text_shares() -> impl Iterator<Item = f64> {
    (0..=40).map(|step| f64::from(step) * 0.02)
}

/// The share of the score `text_relevance` should have, the other weights keeping their
/// proportions in `base`: the best mean NDCG@5 on `judgements`, then the best MRR, then the
/// smallest share.
pub fn tune_text_share(judgements: &[&Judgement], base: &ScoreWeights) -> (f64, Metrics) {
    let mut best: Option<(f64, Metrics)> = None;
    for share in text_shares() {
        let metrics = measure(judgements.iter().copied(), &base.with_text_share(share));
        let better = best.is_none_or(|(_, b)| {
            metrics.ndcg_at_5 > b.ndcg_at_5 + 1e-12
                || ((metrics.ndcg_at_5 - b.ndcg_at_5).abs() <= 1e-12 && metrics.mrr > b.mrr + 1e-12)
        });
        if better {
            best = Some((share, metrics));
        }
    }
    best.unwrap_or((0.0, Metrics::default()))
}

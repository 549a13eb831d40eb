//! Integrated solutions: consortia of offers that together cover a need.

use super::ranking::{RankedOffer, RankingView};
use super::{Hub, HubError, MatchCandidate};
use crate::domain::Need;
use crate::domain::validation::count_or_default;
use crate::matching::bundles::{self, Bundle, BundleCandidate, Cell};
use crate::text::WordedQuery;

/// Default number of bundles.
pub const DEFAULT_BUNDLES: usize = 3;
/// Largest number of bundles.
pub const MAX_BUNDLES: usize = 10;

/// A bundle with its members' offers and providers, explained in words.
#[derive(Debug, Clone)]
pub struct IntegratedSolution {
    /// Each member's candidate (offer, provider, pairwise score) and the cells it covers.
    pub members: Vec<(MatchCandidate, Vec<Cell>)>,
    pub bundle: Bundle,
    pub explanation: String,
}

impl Hub {
    /// The best consortia of offers from different providers for a need.
    pub fn find_bundles(&self, need_id: &str, max_bundles: u32) -> Result<Vec<IntegratedSolution>, HubError> {
        let max_bundles = count_or_default("max_bundles", max_bundles, DEFAULT_BUNDLES, MAX_BUNDLES)?;
        let need: Need = self.load("need_id", need_id)?;
        let graph = self.graph();
        let view = self.ranking_view(&need, &graph);
        let text = view.text_query(&need);
        let ranked = self.ranked_candidates(&need, text.query(), &view, None)?;
        let inputs: Vec<BundleCandidate<'_>> = ranked
            .iter()
            .map(|c| BundleCandidate {
                offer: &c.offer,
                fit: c.score,
            })
            .collect();
        let found = bundles::find_bundles(&need, &inputs, |a, b| graph.direct_trust(a, b), max_bundles);
        found
            .into_iter()
            .map(|bundle| {
                let members = self.bundle_members(&need, &text, &bundle, &ranked, &view)?;
                Ok(explain(&need, bundle, members, &graph))
            })
            .collect()
    }

    /// Each member of `bundle` as an explained candidate, with the cells it covers.
    fn bundle_members(
        &self,
        need: &Need,
        text: &WordedQuery,
        bundle: &Bundle,
        ranked: &[RankedOffer],
        view: &RankingView<'_>,
    ) -> Result<Vec<(MatchCandidate, Vec<Cell>)>, HubError> {
        let mut members = Vec::new();
        for member in &bundle.members {
            if let Some(ranked) = ranked.iter().find(|c| c.offer.id == member.offer_id) {
                members.push((self.candidate(need, text, &ranked.offer, view)?, member.cells.clone()));
            }
        }
        Ok(members)
    }
}

fn explain(
    need: &Need,
    bundle: Bundle,
    members: Vec<(MatchCandidate, Vec<Cell>)>,
    graph: &crate::graph::PartnershipGraph,
) -> IntegratedSolution {
    let total = need.spec.themes.len() * need.spec.modalities.len();
    let covered = total - bundle.uncovered.len();
    let mut sentences = vec![format!("covers {covered} of {total} cells")];
    for (candidate, cells) in &members {
        sentences.push(format!(
            "{} brings {}",
            candidate.provider.profile.name,
            describe_cells(cells)
        ));
    }
    for (i, (a, _)) in members.iter().enumerate() {
        for (b, _) in &members[i + 1..] {
            if let Some(trust) = graph.direct_trust(&a.provider.id, &b.provider.id) {
                let (a, b) = (&a.provider.profile.name, &b.provider.profile.name);
                sentences.push(format!("{a} and {b} are partners (trust {trust:.2})"));
            }
        }
    }
    if !bundle.uncovered.is_empty() {
        sentences.push(format!("still uncovered: {}", describe_cells(&bundle.uncovered)));
    }
    IntegratedSolution {
        members,
        bundle,
        explanation: sentences.join("; "),
    }
}

/// "training on 7 and 21, funding on 15".
fn describe_cells(cells: &[Cell]) -> String {
    let mut by_modality: Vec<(crate::domain::Modality, Vec<String>)> = Vec::new();
    for (theme, modality) in cells {
        match by_modality.iter_mut().find(|(m, _)| m == modality) {
            Some((_, themes)) => themes.push(theme.to_string()),
            None => by_modality.push((*modality, vec![theme.to_string()])),
        }
    }
    let parts: Vec<String> = by_modality
        .into_iter()
        .map(|(modality, themes)| format!("{} on {}", modality.code().replace('_', " "), themes.join(" and ")))
        .collect();
    parts.join(", ")
}

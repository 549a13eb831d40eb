//! Integrated solutions: a need that asks for several objectives and modalities is often best
//! served by a small consortium. The need's cells (objective x modality) are covered by offers
//! from different providers with greedy weighted set cover, preferring members who already work
//! together: among offers that cover as many new cells, a partner of the chosen members wins.

use std::collections::BTreeSet;

use crate::domain::{Modality, Need, Objective, Offer};

/// Most offers in one bundle: beyond that a consortium is hard to run.
pub const MAX_MEMBERS: usize = 4;
/// How many seeds (best single offers) start a greedy completion each.
const SEEDS: usize = 8;

/// One (objective, modality) pair a need asks for.
pub type Cell = (Objective, Modality);

/// An offer that passed the need's hard filters, with its pairwise fit.
#[derive(Debug, Clone)]
pub struct BundleCandidate<'a> {
    pub offer: &'a Offer,
    /// In [0, 1], from the pairwise score.
    pub fit: f64,
}

/// A member of a bundle and the cells it is there for.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleMember {
    pub offer_id: String,
    pub provider_id: String,
    pub cells: Vec<Cell>,
    pub fit: f64,
}

/// A consortium of offers for one need.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub members: Vec<BundleMember>,
    /// Share of the need's cells covered, in [0, 1].
    pub coverage: f64,
    pub uncovered: Vec<Cell>,
    /// Mean trust of the members' direct partnerships over all member pairs (0 for one member).
    pub cohesion: f64,
    /// Coverage first, then cohesion, then fit; in [0, 1].
    pub score: f64,
}

/// The cells of `need` that `offer` covers.
pub fn cells_covered(need: &Need, offer: &Offer) -> Vec<Cell> {
    let mut cells = Vec::new();
    for &theme in need.spec.themes.iter().filter(|t| offer.spec.themes.contains(t)) {
        for &modality in need
            .spec
            .modalities
            .iter()
            .filter(|m| offer.spec.modalities.contains(m))
        {
            cells.push((theme, modality));
        }
    }
    cells
}

/// The best `max_bundles` distinct bundles for `need`. `partner_trust(a, b)` is the trust of the
/// direct partnership between two providers, if any.
pub fn find_bundles(
    need: &Need,
    candidates: &[BundleCandidate<'_>],
    partner_trust: impl Fn(&str, &str) -> Option<f64>,
    max_bundles: usize,
) -> Vec<Bundle> {
    let all_cells: BTreeSet<Cell> = need_cells(need).into_iter().collect();
    let coverage: Vec<Vec<Cell>> = candidates.iter().map(|c| cells_covered(need, c.offer)).collect();
    let mut order: Vec<usize> = (0..candidates.len()).filter(|&i| !coverage[i].is_empty()).collect();
    order.sort_by(|&a, &b| {
        coverage[b]
            .len()
            .cmp(&coverage[a].len())
            .then(candidates[b].fit.total_cmp(&candidates[a].fit))
    });
    let mut bundles: Vec<Bundle> = Vec::new();
    for &seed in order.iter().take(SEEDS) {
        let chosen = complete(seed, candidates, &coverage, &all_cells, &partner_trust);
        let bundle = assemble(&chosen, candidates, &coverage, &all_cells, &partner_trust);
        let same_offers = |other: &Bundle| {
            let ids = |b: &Bundle| b.members.iter().map(|m| m.offer_id.clone()).collect::<BTreeSet<_>>();
            ids(other) == ids(&bundle)
        };
        if !bundles.iter().any(same_offers) {
            bundles.push(bundle);
        }
    }
    bundles.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.members.len().cmp(&b.members.len())));
    bundles.truncate(max_bundles);
    bundles
}

fn need_cells(need: &Need) -> Vec<Cell> {
    need.spec
        .themes
        .iter()
        .flat_map(|&t| need.spec.modalities.iter().map(move |&m| (t, m)))
        .collect()
}

/// Greedy completion from `seed`: add the offer (of a new provider) covering most new cells; ties
/// go to the strongest partner of the members so far, then to the better fit.
fn complete(
    seed: usize,
    candidates: &[BundleCandidate<'_>],
    coverage: &[Vec<Cell>],
    all_cells: &BTreeSet<Cell>,
    partner_trust: &impl Fn(&str, &str) -> Option<f64>,
) -> Vec<usize> {
    let mut chosen = vec![seed];
    let mut covered: BTreeSet<Cell> = coverage[seed].iter().copied().collect();
    while chosen.len() < MAX_MEMBERS && covered.len() < all_cells.len() {
        let gain = |i: usize| {
            let new_cells = coverage[i].iter().filter(|cell| !covered.contains(cell)).count();
            let provider = &candidates[i].offer.provider_id;
            let bond = chosen
                .iter()
                .filter_map(|&c| partner_trust(provider, &candidates[c].offer.provider_id))
                .fold(0.0, f64::max);
            (new_cells, bond, candidates[i].fit)
        };
        let providers: BTreeSet<&str> = chosen
            .iter()
            .map(|&c| candidates[c].offer.provider_id.as_str())
            .collect();
        let best = (0..candidates.len())
            .filter(|i| !providers.contains(candidates[*i].offer.provider_id.as_str()))
            .map(|i| (i, gain(i)))
            .filter(|(_, (new_cells, _, _))| *new_cells > 0)
            .max_by(|(ia, a), (ib, b)| {
                a.0.cmp(&b.0)
                    .then(a.1.total_cmp(&b.1))
                    .then(a.2.total_cmp(&b.2))
                    .then(ib.cmp(ia))
            });
        let Some((next, _)) = best else { break };
        covered.extend(coverage[next].iter().copied());
        chosen.push(next);
    }
    prune_redundant(chosen, candidates, coverage)
}

/// Drops members whose cells the others already cover (the seed can become redundant once later
/// members cover more), weakest fit first: a smaller consortium is easier to run.
fn prune_redundant(mut chosen: Vec<usize>, candidates: &[BundleCandidate<'_>], coverage: &[Vec<Cell>]) -> Vec<usize> {
    let mut by_fit = chosen.clone();
    by_fit.sort_by(|&a, &b| candidates[a].fit.total_cmp(&candidates[b].fit));
    for member in by_fit {
        let others: BTreeSet<Cell> = chosen
            .iter()
            .filter(|&&c| c != member)
            .flat_map(|&c| coverage[c].iter().copied())
            .collect();
        if chosen.len() > 1 && coverage[member].iter().all(|cell| others.contains(cell)) {
            chosen.retain(|&c| c != member);
        }
    }
    chosen
}

fn assemble(
    chosen: &[usize],
    candidates: &[BundleCandidate<'_>],
    coverage: &[Vec<Cell>],
    all_cells: &BTreeSet<Cell>,
    partner_trust: &impl Fn(&str, &str) -> Option<f64>,
) -> Bundle {
    let members: Vec<BundleMember> = chosen
        .iter()
        .map(|&i| BundleMember {
            offer_id: candidates[i].offer.id.clone(),
            provider_id: candidates[i].offer.provider_id.clone(),
            cells: coverage[i].clone(),
            fit: candidates[i].fit,
        })
        .collect();
    let covered: BTreeSet<Cell> = members.iter().flat_map(|m| m.cells.iter().copied()).collect();
    let uncovered: Vec<Cell> = all_cells.difference(&covered).copied().collect();
    let coverage_share = covered.len() as f64 / all_cells.len().max(1) as f64;
    let cohesion = cohesion(&members, partner_trust);
    let mean_fit = members.iter().map(|m| m.fit).sum::<f64>() / members.len().max(1) as f64;
    let score = 0.8 * coverage_share + 0.15 * cohesion + 0.05 * mean_fit;
    Bundle {
        members,
        coverage: coverage_share,
        uncovered,
        cohesion,
        score,
    }
}

fn cohesion(members: &[BundleMember], partner_trust: &impl Fn(&str, &str) -> Option<f64>) -> f64 {
    let mut pairs = 0usize;
    let mut trust = 0.0;
    for (i, a) in members.iter().enumerate() {
        for b in &members[i + 1..] {
            pairs += 1;
            trust += partner_trust(&a.provider_id, &b.provider_id).unwrap_or(0.0);
        }
    }
    if pairs == 0 { 0.0 } else { trust / pairs as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Coverage, DateWindow, Level, NeedSpec, NeedStatus, OfferSpec, OfferStatus, Urgency};

    fn objective(n: u32) -> Objective {
        Objective::new(n).unwrap()
    }

    fn need(themes: &[u32], modalities: &[Modality]) -> Need {
        let spec = NeedSpec {
            title: "need".into(),
            description: String::new(),
            themes: themes.iter().map(|&n| objective(n)).collect(),
            modalities: modalities.to_vec(),
            level: Level::National,
            countries: vec!["BRA".into()],
            languages: Vec::new(),
            budget_usd: None,
            urgency: Urgency::Normal,
            window: DateWindow::default(),
        };
        Need {
            id: "need-1".into(),
            requester_id: "actor-0".into(),
            spec,
            status: NeedStatus::Open,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn offer(id: &str, provider: &str, themes: &[u32], modalities: &[Modality]) -> Offer {
        let spec = OfferSpec {
            title: id.into(),
            description: String::new(),
            themes: themes.iter().map(|&n| objective(n)).collect(),
            modalities: modalities.to_vec(),
            levels: Vec::new(),
            coverage: Coverage {
                countries: Vec::new(),
                areas: Vec::new(),
                worldwide: true,
            },
            languages: Vec::new(),
            capacity: 1,
            funding_usd: None,
            window: DateWindow::default(),
        };
        Offer {
            id: id.into(),
            provider_id: provider.into(),
            spec,
            remaining_capacity: 1,
            status: OfferStatus::Active,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn training_and_funding_need_is_covered_by_two_providers() {
        let need = need(&[15, 16], &[Modality::Training, Modality::Funding]);
        let trainer = offer("offer-1", "trainer", &[15, 16], &[Modality::Training]);
        let funder = offer("offer-2", "funder", &[15, 16], &[Modality::Funding]);
        let partial = offer("offer-3", "other", &[15], &[Modality::Training]);
        let candidates: Vec<BundleCandidate<'_>> = [&trainer, &funder, &partial]
            .into_iter()
            .map(|offer| BundleCandidate { offer, fit: 0.5 })
            .collect();
        let bundles = find_bundles(&need, &candidates, |_, _| None, 3);
        let best = &bundles[0];
        let mut ids: Vec<&str> = best.members.iter().map(|m| m.offer_id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["offer-1", "offer-2"]);
        assert_eq!(best.coverage, 1.0);
        assert!(best.uncovered.is_empty());
    }

    #[test]
    fn partnered_consortium_wins_when_coverage_ties() {
        let need = need(&[7], &[Modality::Training, Modality::Funding]);
        let trainer = offer("offer-1", "trainer", &[7], &[Modality::Training]);
        let stranger = offer("offer-2", "stranger", &[7], &[Modality::Funding]);
        let partner = offer("offer-3", "partner", &[7], &[Modality::Funding]);
        let candidates = vec![
            BundleCandidate {
                offer: &trainer,
                fit: 0.6,
            },
            BundleCandidate {
                offer: &stranger,
                fit: 0.9,
            },
            BundleCandidate {
                offer: &partner,
                fit: 0.5,
            },
        ];
        let trust = |a: &str, b: &str| {
            let pair = [a, b];
            (pair.contains(&"trainer") && pair.contains(&"partner")).then_some(0.8)
        };
        let bundles = find_bundles(&need, &candidates, trust, 3);
        let best: Vec<&str> = bundles[0].members.iter().map(|m| m.provider_id.as_str()).collect();
        assert!(best.contains(&"trainer") && best.contains(&"partner"), "{best:?}");
        assert!((bundles[0].cohesion - 0.8).abs() < 1e-12);
        assert!(bundles.iter().skip(1).all(|b| b.score < bundles[0].score));
    }

    #[test]
    fn a_seed_made_redundant_by_later_members_is_dropped() {
        let need = need(&[19, 23], &[Modality::TechnicalAdvice, Modality::Funding]);
        let narrow = offer("offer-1", "narrow", &[23], &[Modality::TechnicalAdvice]);
        let broad = offer("offer-2", "broad", &[19, 23], &[Modality::TechnicalAdvice]);
        let funder = offer("offer-3", "funder", &[19, 23], &[Modality::Funding]);
        let candidates = vec![
            BundleCandidate {
                offer: &narrow,
                fit: 0.9,
            },
            BundleCandidate {
                offer: &broad,
                fit: 0.5,
            },
            BundleCandidate {
                offer: &funder,
                fit: 0.5,
            },
        ];
        for bundle in find_bundles(&need, &candidates, |_, _| None, 3) {
            let ids: Vec<&str> = bundle.members.iter().map(|m| m.offer_id.as_str()).collect();
            assert!(
                !(ids.contains(&"offer-1") && ids.contains(&"offer-2")),
                "{ids:?} keeps a redundant member"
            );
        }
    }

    #[test]
    fn uncovered_cells_are_reported() {
        let need = need(&[7, 21], &[Modality::Training]);
        let only_seven = offer("offer-1", "trainer", &[7], &[Modality::Training]);
        let bundles = find_bundles(
            &need,
            &[BundleCandidate {
                offer: &only_seven,
                fit: 0.5,
            }],
            |_, _| None,
            3,
        );
        assert_eq!(bundles[0].uncovered, vec![(objective(21), Modality::Training)]);
        assert_eq!(bundles[0].coverage, 0.5);
    }
}

//! A run's equity report: how the needs an allocation run considered, the pairs it returns and
//! the money its funding offers give them are shared across regions, least developed and small
//! island States, and GCM objectives. The start-up fund must keep its rounds balanced; without
//! the report, nobody could tell whether a round was balanced except by reading its pairs.

use std::fmt;

use crate::domain::{Need, Objective, Offer};

/// The region group of needs none of whose countries the M49 table knows: named here, not left
/// empty, so that it sorts by its name with the others.
pub const UNKNOWN_REGION: &str = "unknown";

/// A group of needs a report row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EquityGroup {
    /// The M49 region slug of the need's first known country ([`Need::region`]), or
    /// `UNKNOWN_REGION` when none is known.
    Region(&'static str),
    /// Some country of the need is least developed or a small island developing State
    /// ([`Need::in_ldc_or_sids`]). Declared before `Other` so the rows sort by name.
    LdcOrSids,
    /// No country of the need is.
    Other,
    /// An objective the need names: a need naming two counts in both rows.
    Objective(Objective),
}

impl fmt::Display for EquityGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EquityGroup::Region(slug) => f.write_str(slug),
            EquityGroup::LdcOrSids => f.write_str("ldc_or_sids"),
            EquityGroup::Other => f.write_str("other"),
            EquityGroup::Objective(objective) => write!(f, "{objective}"),
        }
    }
}

/// One group's row: its share of the needs considered, of the pairs and of the money.
#[derive(Debug, Clone, PartialEq)]
pub struct EquityShare {
    pub group: EquityGroup,
    /// Needs of the group among those the run considered.
    pub open_needs: usize,
    /// `open_needs` / the needs the run considered.
    pub open_share: f64,
    /// Sum of the budgets of those needs (a need without a budget counts 0).
    pub requested_usd: i64,
    /// Pairs whose need is in the group.
    pub pairs: usize,
    /// `pairs` / all the run's pairs.
    pub pair_share: f64,
    /// Sum of the budgets of the group's paired needs whose offer is a funding offer.
    pub funded_usd: i64,
    /// `funded_usd` / all the run's funded dollars.
    pub funding_share: f64,
}

impl EquityShare {
    fn empty(group: EquityGroup) -> EquityShare {
        EquityShare {
            group,
            open_needs: 0,
            open_share: 0.0,
            requested_usd: 0,
            pairs: 0,
            pair_share: 0.0,
            funded_usd: 0,
            funding_share: 0.0,
        }
    }
}

/// A run's report, grouped three ways. A group has a row when a need the run considered is in
/// it; rows are sorted by group (objectives by number). Shares are 0 when nothing is counted
/// (no need, no pair, no money); objective shares are shares of needs and may sum to more than 1.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EquityReport {
    pub by_region: Vec<EquityShare>,
    pub by_ldc_sids: Vec<EquityShare>,
    pub by_objective: Vec<EquityShare>,
}

/// What an allocated pair counts for in its run's report: its need's groups and what a funding
/// offer gives the need. Kept with the pair, so that a commit which leaves pairs out recounts the
/// report from the pairs it proposed; copied, never allocated, as a tier-L run has 200,000 pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairEquity {
    groups: NeedGroups,
    /// The need's budget when the offer is a funding offer (`funding_usd` set), else 0; a need
    /// without a budget counts 0.
    funded_usd: i64,
}

impl PairEquity {
    /// What pairing `need` with `offer` counts for.
    pub fn of(need: &Need, offer: &Offer) -> PairEquity {
        let funded_usd = match offer.spec.funding_usd {
            Some(_) => need.spec.budget_usd.unwrap_or(0),
            None => 0,
        };
        PairEquity {
            groups: NeedGroups::of(need),
            funded_usd,
        }
    }
}

impl EquityReport {
    /// The report of a run that considered the `open` needs and returned `pairs`.
    pub fn of<'p>(open: &[Need], pairs: impl IntoIterator<Item = &'p PairEquity>) -> EquityReport {
        let mut report = EquityReport::default();
        for need in open {
            let budget = need.spec.budget_usd.unwrap_or(0);
            NeedGroups::of(need).count(&mut report, |row| {
                row.open_needs += 1;
                row.requested_usd = row.requested_usd.saturating_add(budget);
            });
        }
        for row in report.rows_mut() {
            row.open_share = share(row.open_needs as f64, open.len() as f64);
        }
        report.recount_pairs(pairs);
        report
    }

    /// Counts the pair and funding columns again from `pairs`, keeping the needs considered: a
    /// commit reports on the pairs it proposed, not on those that changed meanwhile.
    pub fn recount_pairs<'p>(&mut self, pairs: impl IntoIterator<Item = &'p PairEquity>) {
        for row in self.rows_mut() {
            row.pairs = 0;
            row.funded_usd = 0;
        }
        let (mut all_pairs, mut all_funded) = (0_usize, 0_i64);
        for pair in pairs {
            all_pairs += 1;
            all_funded = all_funded.saturating_add(pair.funded_usd);
            pair.groups.count(self, |row| {
                row.pairs += 1;
                row.funded_usd = row.funded_usd.saturating_add(pair.funded_usd);
            });
        }
        for rows in [&mut self.by_region, &mut self.by_ldc_sids, &mut self.by_objective] {
            rows.sort_unstable_by_key(|row| row.group);
        }
        for row in self.rows_mut() {
            row.pair_share = share(row.pairs as f64, all_pairs as f64);
            row.funding_share = share(row.funded_usd as f64, all_funded as f64);
        }
    }

    fn rows_mut(&mut self) -> impl Iterator<Item = &mut EquityShare> {
        self.by_region
            .iter_mut()
            .chain(&mut self.by_ldc_sids)
            .chain(&mut self.by_objective)
    }
}

/// The groups one need is counted in, without a string of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NeedGroups {
    region: &'static str,
    ldc_or_sids: bool,
    /// Bit n set for objective n.
    objectives: u32,
}

impl NeedGroups {
    fn of(need: &Need) -> NeedGroups {
        NeedGroups {
            region: need.region(),
            ldc_or_sids: need.in_ldc_or_sids(),
            objectives: need
                .spec
                .themes
                .iter()
                .fold(0, |bits, objective| bits | 1 << objective.number()),
        }
    }

    /// Applies `add` to the need's row in each grouping, adding the rows missing: one region, one
    /// of LDC/SIDS or other, and one row per objective.
    fn count(self, report: &mut EquityReport, mut add: impl FnMut(&mut EquityShare)) {
        let region = if self.region.is_empty() {
            UNKNOWN_REGION
        } else {
            self.region
        };
        add(row(&mut report.by_region, EquityGroup::Region(region)));
        let vulnerability = if self.ldc_or_sids {
            EquityGroup::LdcOrSids
        } else {
            EquityGroup::Other
        };
        add(row(&mut report.by_ldc_sids, vulnerability));
        for objective in Objective::all().filter(|o| self.objectives & 1 << o.number() != 0) {
            add(row(&mut report.by_objective, EquityGroup::Objective(objective)));
        }
    }
}

/// The row of `group` in `rows`, added empty if missing (rows are few: a linear search).
fn row(rows: &mut Vec<EquityShare>, group: EquityGroup) -> &mut EquityShare {
    let at = match rows.iter().position(|row| row.group == group) {
        Some(at) => at,
        None => {
            rows.push(EquityShare::empty(group));
            rows.len() - 1
        }
    };
    &mut rows[at]
}

/// `part` / `whole`, 0 when the whole is.
fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DateWindow, Level, Modality, NeedSpec, NeedStatus, Urgency};

    /// An open need in `country` on `themes`; the country is not checked, so an unknown one can
    /// stand for a record whose country has left the table.
    fn need(country: &str, themes: &[u32], budget_usd: Option<i64>) -> Need {
        let spec = NeedSpec {
            title: "need".into(),
            description: String::new(),
            themes: themes.iter().map(|&n| Objective::new(n).unwrap()).collect(),
            modalities: vec![Modality::Funding],
            level: Level::National,
            countries: vec![country.into()],
            languages: Vec::new(),
            budget_usd,
            urgency: Urgency::Normal,
            window: DateWindow::default(),
        };
        Need {
            id: format!("need-{country}"),
            requester_id: "actor-0".into(),
            spec,
            status: NeedStatus::Open,
            created_at: 0,
            updated_at: 0,
        }
    }

    /// A commit that leaves a pair out reports what a run returning only the pairs it kept would:
    /// the needs considered stay, the pair and funding columns are counted again, and with no pair
    /// left their shares are 0.
    #[test]
    fn a_recount_reports_on_the_pairs_kept() {
        let open = [
            need("HTI", &[7, 13], Some(30_000)),
            need("GTM", &[13], Some(10_000)),
            need("ZZZ", &[13], None),
        ];
        let pairs: Vec<PairEquity> = open
            .iter()
            .map(|need| PairEquity {
                groups: NeedGroups::of(need),
                funded_usd: need.spec.budget_usd.unwrap_or(0),
            })
            .collect();
        let mut committed = EquityReport::of(&open, &pairs);
        committed.recount_pairs(&pairs[1..]);
        assert_eq!(committed, EquityReport::of(&open, &pairs[1..]));

        let groups = |rows: &[EquityShare]| rows.iter().map(|row| row.group.to_string()).collect::<Vec<_>>();
        assert_eq!(groups(&committed.by_region), ["americas", "unknown"]);
        assert_eq!(groups(&committed.by_ldc_sids), ["ldc_or_sids", "other"]);
        assert_eq!(groups(&committed.by_objective), ["7", "13"]);
        let americas = &committed.by_region[0];
        assert_eq!((americas.open_needs, americas.requested_usd), (2, 40_000));
        assert_eq!((americas.pairs, americas.funded_usd), (1, 10_000));
        assert_eq!((americas.pair_share, americas.funding_share), (0.5, 1.0));
        let haiti_only = &committed.by_objective[0];
        assert_eq!(
            (haiti_only.open_share, haiti_only.pairs, haiti_only.pair_share),
            (1.0 / 3.0, 0, 0.0)
        );

        committed.recount_pairs(&[]);
        for row in committed.rows_mut() {
            assert_eq!((row.pairs, row.pair_share, row.funding_share), (0, 0.0, 0.0), "{row:?}");
            assert!(row.open_needs > 0, "{row:?}");
        }
    }
}

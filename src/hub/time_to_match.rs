//! How long a need may wait: the median time from submission to a confirmed match of similar
//! needs (sharing a GCM objective, in the same M49 region) matched in the last year, and how many
//! offers could serve it now.
//!
//! GetNeed and FindMatches report it, so it must cost microseconds at tier L: every matched need
//! is kept in memory under each (objective, finest M49 area) it belongs to, with when it was
//! first confirmed and how many days that took. The history is read from the confirmed and
//! completed matches at open, and the need of a match that is confirmed or cancelled is read
//! again right after the change, under the writer lock.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::insights::median;
use super::{Hub, HubError};
use crate::domain::{Match, MatchStatus, Need, Objective, UnixMillis, geography};
use crate::matching::keys::NeedKey;
use crate::store::{StatusKey, Store, TreeName, records};

/// How far back similar needs count: matches confirmed in the last year.
pub const TIME_TO_MATCH_WINDOW_DAYS: i64 = 365;

const DAY_MILLIS: i64 = 24 * 3600 * 1000;

/// A need's expected time to match and what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeToMatch {
    /// Median days from submission to a confirmed match of similar needs; `None` when none was
    /// matched in the last year.
    pub expected_days: Option<f64>,
    /// How many similar needs were matched in the last year: the median's basis.
    pub similar_matched: u32,
    /// Offers that pass every hard filter for the need now.
    pub offers_available: u32,
    /// The above in words.
    pub basis: String,
}

/// One matched need under one of its cells.
#[derive(Debug, Clone, Copy)]
struct Matched {
    /// The need's record number.
    need: u64,
    /// When its first match still standing was confirmed.
    confirmed_at: UnixMillis,
    /// Days from its submission to then.
    days: f64,
}

/// A (GCM objective, finest M49 area) pair: what "similar" means.
type Cell = (Objective, &'static str);

/// Every matched need, under each of its cells.
#[derive(Debug, Default)]
pub(super) struct MatchHistory {
    /// Each matched need's cells, by record number: to take it out when its matches change.
    cells_of: FxHashMap<u64, Vec<Cell>>,
    /// The matched needs of each cell.
    by_cell: FxHashMap<Cell, Vec<Matched>>,
}

/// The cells of a need: each of its objectives in each finest area of its countries.
fn cells(need: &Need) -> Vec<Cell> {
    let areas = geography::finest_areas(&need.spec.countries);
    need.spec
        .themes
        .iter()
        .flat_map(|theme| areas.iter().map(move |area| (*theme, *area)))
        .collect()
}

impl MatchHistory {
    /// Every need with a confirmed or completed match, from the store.
    pub(super) fn load(store: &Store) -> Result<MatchHistory, HubError> {
        let mut first_confirmed: BTreeMap<String, UnixMillis> = BTreeMap::new();
        for status in [MatchStatus::Confirmed, MatchStatus::Completed] {
            for number in store.ids_in_index(TreeName::MatchesByStatus, status.index_key()) {
                let Some(record) = store.get_by_number::<Match>(number?)? else {
                    continue;
                };
                if let Some(at) = record.confirmed_at() {
                    let first = first_confirmed.entry(record.need_id).or_insert(at);
                    *first = (*first).min(at);
                }
            }
        }
        let mut history = MatchHistory::default();
        for (need_id, confirmed_at) in first_confirmed {
            if let Some(need) = store.get::<Need>(&need_id)? {
                history.insert(&need, confirmed_at);
            }
        }
        Ok(history)
    }

    /// Reads the need's matches again: a confirmation files it, a cancellation of its only
    /// confirmed match takes it out.
    pub(super) fn refresh(&mut self, store: &Store, need_id: &str) -> Result<(), HubError> {
        let Some(need) = store.get::<Need>(need_id)? else {
            return Ok(());
        };
        self.remove(&need);
        let mut first: Option<UnixMillis> = None;
        for number in store.ids_in_index(TreeName::MatchesByNeed, need_id) {
            if let Some(at) = store.get_by_number::<Match>(number?)?.and_then(|m| m.confirmed_at()) {
                first = Some(first.map_or(at, |first| first.min(at)));
            }
        }
        if let Some(confirmed_at) = first {
            self.insert(&need, confirmed_at);
        }
        Ok(())
    }

    fn insert(&mut self, need: &Need, confirmed_at: UnixMillis) {
        let Ok(number) = records::id_number::<Need>(&need.id) else {
            return;
        };
        let days = (confirmed_at - need.created_at).max(0) as f64 / DAY_MILLIS as f64;
        let cells = cells(need);
        for cell in &cells {
            self.by_cell.entry(*cell).or_default().push(Matched {
                need: number,
                confirmed_at,
                days,
            });
        }
        self.cells_of.insert(number, cells);
    }

    fn remove(&mut self, need: &Need) {
        let Ok(number) = records::id_number::<Need>(&need.id) else {
            return;
        };
        for cell in self.cells_of.remove(&number).unwrap_or_default() {
            if let Some(matched) = self.by_cell.get_mut(&cell) {
                matched.retain(|m| m.need != number);
            }
        }
    }

    /// The days to match of the needs similar to `need` (another need sharing one of its cells)
    /// confirmed since `since`, each need once.
    fn similar(&self, need: &Need, since: UnixMillis) -> Vec<f64> {
        let own = records::id_number::<Need>(&need.id).ok();
        let mut days: FxHashMap<u64, f64> = FxHashMap::default();
        for cell in cells(need) {
            let matched = self.by_cell.get(&cell).map_or(&[][..], Vec::as_slice);
            for m in matched {
                if m.confirmed_at >= since && Some(m.need) != own {
                    days.insert(m.need, m.days);
                }
            }
        }
        days.into_values().collect()
    }
}

impl Hub {
    /// The expected time to match of `need`: the median days similar needs took, how many there
    /// were, and how many offers could serve it now.
    pub fn time_to_match(&self, need: &Need) -> TimeToMatch {
        let since = self.now().saturating_sub(TIME_TO_MATCH_WINDOW_DAYS * DAY_MILLIS);
        let similar = self.match_history().similar(need, since);
        let offers_available = self.catalogue().candidates_for(need, &NeedKey::of(need)).count();
        let similar_matched = u32::try_from(similar.len()).unwrap_or(u32::MAX);
        let expected_days = (!similar.is_empty()).then(|| median(similar));
        let offers_available = u32::try_from(offers_available).unwrap_or(u32::MAX);
        TimeToMatch {
            expected_days,
            similar_matched,
            offers_available,
            basis: basis(need, expected_days, similar_matched, offers_available),
        }
    }

    /// The expected time to match of the need with this id (NOT_FOUND naming `field`).
    pub fn time_to_match_of(&self, field: &'static str, need_id: &str) -> Result<TimeToMatch, HubError> {
        Ok(self.time_to_match(&self.load::<Need>(field, need_id)?))
    }

    /// Files again the need of a match whose confirmation changed. Called after the change is
    /// applied; the change stands, so a failure to read is logged, and the next open reads the
    /// history afresh.
    pub(super) fn match_confirmation_changed(&self, need_id: &str) {
        let refreshed = self
            .match_history
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .refresh(&self.store, need_id);
        if let Err(error) = refreshed {
            tracing::error!(%error, need = need_id, "time to match not refreshed");
        }
    }

    fn match_history(&self) -> std::sync::RwLockReadGuard<'_, MatchHistory> {
        self.match_history
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// "median 12 days over 7 similar needs matched in Central America in the last year; 4 offers
/// could serve it now", or "no history yet: ...".
fn basis(need: &Need, expected_days: Option<f64>, similar_matched: u32, offers_available: u32) -> String {
    let names: Vec<&str> = geography::finest_areas(&need.spec.countries)
        .into_iter()
        .map(|slug| geography::area_name(slug).unwrap_or(slug))
        .collect();
    let place = match names.as_slice() {
        [] => "its region".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    let offers = match offers_available {
        0 => "no offer could serve it now".to_string(),
        1 => "1 offer could serve it now".to_string(),
        n => format!("{n} offers could serve it now"),
    };
    match expected_days {
        Some(days) => {
            let needs = if similar_matched == 1 { "need" } else { "needs" };
            format!(
                "median {} over {similar_matched} similar {needs} matched in {place} in the last year; {offers}",
                in_days(days)
            )
        }
        None => {
            format!("no history yet: no need sharing an objective in {place} was matched in the last year; {offers}")
        }
    }
}

/// "12 days", "1 day", "0.5 days".
fn in_days(days: f64) -> String {
    if days < 1.0 {
        format!("{days:.1} days")
    } else if days.round() == 1.0 {
        "1 day".to_string()
    } else {
        format!("{days:.0} days")
    }
}

//! The knowledge platform: statistics of demand, supply and outcomes, the partnership graph as
//! DOT or JSON, and every public record as open data.

use std::collections::{BTreeMap, HashMap};
use std::sync::PoisonError;

use super::{Hub, HubError};
use crate::domain::geography;
use crate::domain::validation::count_or_default;
use crate::domain::{
    Actor, Match, MatchStatus, MgiDimension, Need, NeedStatus, Offer, Partnership, Practice, Reason, Refusal,
};
use crate::graph::{Neighbourhood, PartTooLarge};
use crate::store::{Record, Store};

/// Largest neighbourhood depth of a graph export.
pub const MAX_EXPORT_DEPTH: u32 = 4;
/// Hops around an actor an export takes when the request says 0.
const DEFAULT_EXPORT_DEPTH: usize = 2;
/// How many unmet-demand cells and partnerships the statistics list.
const TOP: usize = 10;

/// What the hub has seen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub actors: u64,
    pub open_needs: u64,
    pub needs_submitted: u64,
    pub active_offers: u64,
    pub partnerships: u64,
    pub confirmed_matches: u64,
    pub completed_matches: u64,
    pub match_rate: f64,
    pub median_hours_to_match: f64,
    pub median_open_need_age_days: f64,
    /// (objective, region slug, open needs no offer can serve), most first.
    pub unmet_demand: Vec<(u32, String, u32)>,
    /// (requester id, provider id, completed matches, mean rating), most first.
    pub most_active_partnerships: Vec<(String, String, u32, f64)>,
    /// (dimension, outcomes, mean rating), in dimension order.
    pub outcomes_by_mgi_dimension: Vec<(MgiDimension, u32, f64)>,
    pub mean_rating: f64,
}

/// How an exported graph is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Json,
}

/// One public record.
#[derive(Debug, Clone)]
pub enum OpenRecord {
    Actor(Actor),
    Need(Need),
    Offer(Offer),
    Partnership(Partnership),
    Match(Match),
    /// Published practices only: a withdrawn one was taken out by its author.
    Practice(Practice),
}

/// The median of `values` (0 when there are none).
pub(super) fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

fn mean(sum: u32, count: u32) -> f64 {
    if count == 0 {
        0.0
    } else {
        f64::from(sum) / f64::from(count)
    }
}

/// How long one count of the statistics answers GetStats while nothing is written (only the
/// open needs' median age moves meanwhile).
const STATS_REUSED_FOR: std::time::Duration = std::time::Duration::from_secs(60);

/// The last count of the statistics, and the store's writes it counted.
#[derive(Debug)]
pub struct CountedStats {
    writes: u64,
    at: tokio::time::Instant,
    stats: Stats,
}

impl Hub {
    /// Statistics over every record. Counting reads the whole store (at tier L 0.6 s),
    /// so a count answers every call until the next write or for `STATS_REUSED_FOR`, and
    /// calls that arrive during a count wait for it rather than count again.
    pub fn stats(&self) -> Result<Stats, HubError> {
        let mut last = self.stats_counted.lock().unwrap_or_else(PoisonError::into_inner);
        // A write moves the store's count before it brings the catalogue and the graph up to
        // date, under the writer lock: the count read while that lock is free names a state
        // the in-memory structures have caught up with. While a write is under way, count
        // without keeping the result.
        let writes = self.writer.try_lock().ok().map(|_free| self.store.writes_applied());
        let current =
            |counted: &&CountedStats| Some(counted.writes) == writes && counted.at.elapsed() < STATS_REUSED_FOR;
        if let Some(counted) = last.as_ref().filter(current) {
            return Ok(counted.stats.clone());
        }
        let stats = self.count_stats()?;
        if let Some(writes) = writes {
            *last = Some(CountedStats {
                writes,
                at: tokio::time::Instant::now(),
                stats: stats.clone(),
            });
        }
        Ok(stats)
    }

    /// Counts the statistics in one pass over the matches and one over the needs, keeping only
    /// what the figures need of each: at tier L, collecting every need first grew the server by
    /// 217-250 MiB, which it kept after the count.
    fn count_stats(&self) -> Result<Stats, HubError> {
        let mut outcomes = OutcomeTally::default();
        let mut first_confirmation: HashMap<String, i64> = HashMap::new();
        let (mut confirmed_matches, mut completed_matches) = (0, 0);
        for record in self.store.all::<Match>() {
            let record = record?;
            match record.status {
                MatchStatus::Confirmed => confirmed_matches += 1,
                MatchStatus::Completed => completed_matches += 1,
                _ => {}
            }
            if let Some(at) = record.confirmed_at() {
                let first = first_confirmation.entry(record.need_id.clone()).or_insert(at);
                *first = (*first).min(at);
            }
            outcomes.add(&record);
        }
        let now = self.now();
        let mut needs_submitted = 0u64;
        let mut hours_to_match = Vec::new();
        let mut open_need_ages = Vec::new();
        let mut unmet = BTreeMap::new();
        for need in self.store.all::<Need>() {
            let need = need?;
            needs_submitted += 1;
            if let Some(at) = first_confirmation.get(&need.id) {
                hours_to_match.push((at - need.created_at) as f64 / 3_600_000.0);
            }
            if need.status == NeedStatus::Open {
                open_need_ages.push((now - need.created_at) as f64 / 86_400_000.0);
                // The catalogue is read for one need at a time: a write waits for one look-up,
                // not for the whole count.
                if !self.catalogue().has_candidate_for(&need) {
                    count_unmet(&need, &mut unmet);
                }
            }
        }
        let mut stats = Stats {
            actors: self.store.all::<Actor>().count() as u64,
            needs_submitted,
            open_needs: open_need_ages.len() as u64,
            active_offers: self
                .store
                .all::<Offer>()
                .filter(|o| o.as_ref().is_ok_and(Offer::is_available))
                .count() as u64,
            partnerships: self.graph().partnership_count() as u64,
            confirmed_matches,
            completed_matches,
            match_rate: if needs_submitted == 0 {
                0.0
            } else {
                hours_to_match.len() as f64 / needs_submitted as f64
            },
            median_hours_to_match: median(hours_to_match),
            median_open_need_age_days: median(open_need_ages),
            unmet_demand: most_unmet(unmet),
            ..Stats::default()
        };
        outcomes.fill(&mut stats);
        Ok(stats)
    }

    /// The partnership graph, or the part within `depth` hops of an actor, as DOT or JSON; a
    /// part of more than `most` partnerships (when given) is refused before it is written out.
    pub fn export_graph(
        &self,
        format: GraphFormat,
        around: Option<&str>,
        depth: u32,
        most: Option<usize>,
    ) -> Result<(String, Neighbourhood), HubError> {
        let depth = count_or_default("depth", depth, DEFAULT_EXPORT_DEPTH, MAX_EXPORT_DEPTH as usize)?;
        if let Some(actor_id) = around {
            self.load::<Actor>("around_actor_id", actor_id)?;
        }
        let part = self.graph().neighbourhood(around, depth, most).map_err(|PartTooLarge { links, most }| {
            HubError::Refused(Refusal::new(
                Reason::ExportTooLarge,
                format!(
                    "the export would hold {links} partnerships; at most {most} may be exported at once: name an actor in around_actor_id or lower depth"
                ),
            ))
        })?;
        let mut names = HashMap::new();
        for id in &part.actors {
            if let Some(actor) = self.store.get::<Actor>(id)? {
                names.insert(id.clone(), actor);
            }
        }
        let content = match format {
            GraphFormat::Dot => dot(&part, &names),
            GraphFormat::Json => json(&part, &names),
        };
        Ok((content, part))
    }

    /// Every public record, kind by kind; actors still carry their contact, which the caller
    /// must leave out.
    pub fn open_data(&self) -> impl Iterator<Item = Result<OpenRecord, HubError>> + '_ {
        fn records<'a, R: Record + 'a>(
            store: &'a Store,
            kind: fn(R) -> OpenRecord,
        ) -> impl Iterator<Item = Result<OpenRecord, HubError>> + 'a {
            store
                .all::<R>()
                .map(move |record| record.map(kind).map_err(HubError::from))
        }
        records(&self.store, OpenRecord::Actor)
            .chain(records(&self.store, OpenRecord::Need))
            .chain(records(&self.store, OpenRecord::Offer))
            .chain(records(&self.store, OpenRecord::Partnership))
            .chain(records(&self.store, OpenRecord::Match))
            .chain(
                records(&self.store, OpenRecord::Practice)
                    .filter(|record| !matches!(record, Ok(OpenRecord::Practice(practice)) if !practice.is_published())),
            )
    }
}

/// Open needs no available offer can serve, by (objective, region): each counts once in every
/// region of its countries, under each of its objectives.
fn count_unmet(need: &Need, cells: &mut BTreeMap<(u32, String), u32>) {
    let mut regions: Vec<&str> = need
        .spec
        .countries
        .iter()
        .filter_map(|c| geography::country(c))
        .map(|c| c.region)
        .collect();
    regions.sort_unstable();
    regions.dedup();
    for theme in &need.spec.themes {
        for region in &regions {
            *cells.entry((theme.number(), region.to_string())).or_default() += 1;
        }
    }
}

/// The [`TOP`] cells of [`count_unmet`], most unmet needs first.
fn most_unmet(cells: BTreeMap<(u32, String), u32>) -> Vec<(u32, String, u32)> {
    let mut unmet: Vec<(u32, String, u32)> = cells
        .into_iter()
        .map(|((theme, region), n)| (theme, region, n))
        .collect();
    unmet.sort_by_key(|cell| std::cmp::Reverse(cell.2));
    unmet.truncate(TOP);
    unmet
}

/// Reported outcomes, counted one match at a time.
#[derive(Default)]
struct OutcomeTally {
    /// (outcomes, sum of ratings) by (requester id, provider id).
    pairs: BTreeMap<(String, String), (u32, u32)>,
    /// (outcomes, sum of ratings) by MGI dimension.
    dimensions: BTreeMap<MgiDimension, (u32, u32)>,
    count: u32,
    sum: u32,
}

impl OutcomeTally {
    fn add(&mut self, record: &Match) {
        let Some(outcome) = &record.outcome else { return };
        self.count += 1;
        self.sum += outcome.rating;
        let pair = self
            .pairs
            .entry((record.requester_id.clone(), record.provider_id.clone()))
            .or_default();
        *pair = (pair.0 + 1, pair.1 + outcome.rating);
        for dimension in &outcome.mgi_dimensions {
            let seen = self.dimensions.entry(*dimension).or_default();
            *seen = (seen.0 + 1, seen.1 + outcome.rating);
        }
    }

    fn fill(self, stats: &mut Stats) {
        stats.mean_rating = mean(self.sum, self.count);
        let mut active: Vec<(String, String, u32, f64)> = self
            .pairs
            .into_iter()
            .map(|((a, b), (n, total))| (a, b, n, mean(total, n)))
            .collect();
        active.sort_by(|x, y| y.2.cmp(&x.2).then(y.3.total_cmp(&x.3)));
        active.truncate(TOP);
        stats.most_active_partnerships = active;
        stats.outcomes_by_mgi_dimension = self
            .dimensions
            .into_iter()
            .map(|(d, (n, total))| (d, n, mean(total, n)))
            .collect();
    }
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn dot(part: &Neighbourhood, actors: &HashMap<String, Actor>) -> String {
    let mut out = String::from("graph partnerships {\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
    for id in &part.actors {
        let label = actors.get(id).map_or(id.as_str(), |a| a.profile.name.as_str());
        out.push_str(&format!("  {} [label={}];\n", quoted(id), quoted(label)));
    }
    for link in &part.links {
        let label = format!("{} {:.2}", link.kind.code().replace('_', " "), link.trust);
        let width = 0.5 + 2.5 * link.trust;
        out.push_str(&format!(
            "  {} -- {} [label={}, penwidth={width:.1}];\n",
            quoted(&link.actor_a),
            quoted(&link.actor_b),
            quoted(&label)
        ));
    }
    out.push_str("}\n");
    out
}

fn json(part: &Neighbourhood, actors: &HashMap<String, Actor>) -> String {
    let nodes: Vec<serde_json::Value> = part
        .actors
        .iter()
        .map(|id| {
            let actor = actors.get(id);
            serde_json::json!({
                "id": id,
                "name": actor.map(|a| a.profile.name.as_str()),
                "kind": actor.map(|a| a.profile.kind.code()),
                "country": actor.and_then(|a| a.profile.country.as_deref()),
            })
        })
        .collect();
    let edges: Vec<serde_json::Value> = part
        .links
        .iter()
        .map(|l| serde_json::json!({"id": l.partnership_id, "a": l.actor_a, "b": l.actor_b, "kind": l.kind.code(), "trust": l.trust}))
        .collect();
    serde_json::json!({ "actors": nodes, "partnerships": edges }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::{GraphFormat, HubSettings};

    #[tokio::test]
    async fn an_export_larger_than_its_caller_may_take_is_refused_before_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
        crate::demo::load(&hub).await.unwrap();
        let (_, whole) = hub.export_graph(GraphFormat::Json, None, 0, None).unwrap();
        let size = whole.links.len();
        assert!(size > 1, "the demo world has partnerships");
        let refused = hub
            .export_graph(GraphFormat::Json, None, 0, Some(size - 1))
            .unwrap_err();
        assert!(
            matches!(&refused, HubError::Refused(refusal) if refusal.reason == Reason::ExportTooLarge),
            "{refused}"
        );
        assert!(
            refused.to_string().contains(&format!("would hold {size} partnerships")),
            "{refused}"
        );
        assert!(hub.export_graph(GraphFormat::Json, None, 0, Some(size)).is_ok());
    }

    #[tokio::test]
    async fn statistics_are_counted_again_after_a_write_and_not_before() {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
        crate::demo::load(&hub).await.unwrap();
        let before = hub.stats().unwrap();
        assert_eq!(hub.stats().unwrap(), before, "no write, the same count");
        let open = hub
            .store
            .all::<Need>()
            .find_map(|need| need.ok().filter(|n| n.status == NeedStatus::Open));
        let need = open.expect("the demo world has an open need");
        hub.withdraw_need(&need.id, "").await.unwrap();
        let after = hub.stats().unwrap();
        assert_eq!(after.open_needs, before.open_needs - 1, "a write, a new count");
    }
}

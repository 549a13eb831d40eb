//! Synthetic worlds for benchmarks: deterministic (same tier and seed, same world), shaped like
//! the demo world. Partnership degrees are heavy-tailed by preferential attachment, so a few hubs
//! (an IOM) have thousands of partners and most actors a handful; themes, modalities, regions and
//! actor kinds are mixed as in the 2018 workshop world. Needs and offers have titles and
//! descriptions written from the glossary's terms of their objectives (`prose`).

mod prose;

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::geography::{self, Country};
use crate::domain::{
    Actor, ActorKind, ActorProfile, Coverage, DateWindow, Level, Modality, Need, NeedSpec, NeedStatus, Objective,
    Offer, OfferSpec, OfferStatus, Partnership, PartnershipKind, PartnershipSpec, Urgency,
};
use crate::hub::{Hub, HubError, ImportRecord};
use crate::text::Language;
use prose::{Prose, Side};

/// Records written per transaction.
const BATCH: usize = 10_000;

/// How large a world to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// 500 actors, 5,000 partnerships, 2,000 open needs, 500 offers: for quick runs.
    S,
    /// 5,000 actors, 50,000 partnerships, 20,000 open needs, 5,000 offers.
    M,
    /// 100,000 actors, 1,000,000 partnerships, 200,000 open needs, 100,000 offers.
    L,
}

/// Record counts of a world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorldSize {
    pub actors: usize,
    pub partnerships: usize,
    pub needs: usize,
    pub offers: usize,
}

impl WorldSize {
    /// Every record of the world.
    pub fn total(&self) -> usize {
        self.actors + self.partnerships + self.needs + self.offers
    }
}

impl Tier {
    /// The counts of this tier.
    pub fn size(self) -> WorldSize {
        let (actors, partnerships, needs, offers) = match self {
            Tier::S => (500, 5_000, 2_000, 500),
            Tier::M => (5_000, 50_000, 20_000, 5_000),
            Tier::L => (100_000, 1_000_000, 200_000, 100_000),
        };
        WorldSize {
            actors,
            partnerships,
            needs,
            offers,
        }
    }
}

/// Actor kinds weighted roughly as in the workshop world (governments and civil society most).
const KINDS: [(ActorKind, u32); 10] = [
    (ActorKind::NationalGovernment, 20),
    (ActorKind::LocalAuthority, 15),
    (ActorKind::CivilSociety, 20),
    (ActorKind::UnEntity, 3),
    (ActorKind::RegionalBody, 2),
    (ActorKind::DiasporaOrganization, 8),
    (ActorKind::MigrantOrganization, 8),
    (ActorKind::PrivateSector, 8),
    (ActorKind::Academia, 8),
    (ActorKind::Philanthropy, 8),
];

/// Modalities weighted: training and technical advice are asked and offered most.
const MODALITIES: [(Modality, u32); 9] = [
    (Modality::Training, 25),
    (Modality::TechnicalAdvice, 25),
    (Modality::PeerExchange, 12),
    (Modality::OnlineCourse, 8),
    (Modality::DataAndTools, 8),
    (Modality::Twinning, 5),
    (Modality::Secondment, 5),
    (Modality::Research, 5),
    (Modality::Funding, 7),
];

fn weighted<T: Copy>(rng: &mut StdRng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total);
    for (item, weight) in table {
        if pick < *weight {
            return *item;
        }
        pick -= weight;
    }
    table[0].0
}

fn languages_of(country: &Country) -> Vec<String> {
    let codes: &[&str] = match (country.region, country.intermediate_region) {
        (_, Some("central_america" | "south_america")) => &["es", "en"],
        ("africa", _) => &["en", "fr"],
        ("americas", _) => &["en", "es"],
        ("asia", _) if country.sub_region == "western_asia" => &["ar", "en"],
        ("europe", _) => &["en", "fr"],
        _ => &["en"],
    };
    codes.iter().map(|c| c.to_string()).collect()
}

fn distinct<T: PartialEq + Copy>(rng: &mut StdRng, count: usize, mut draw: impl FnMut(&mut StdRng) -> T) -> Vec<T> {
    let mut items = Vec::with_capacity(count);
    while items.len() < count {
        let item = draw(rng);
        if !items.contains(&item) {
            items.push(item);
        }
    }
    items
}

/// The generator's state: the actors made so far and the partnership endpoints that make
/// preferential attachment.
struct Generator<'h> {
    hub: &'h Hub,
    rng: StdRng,
    now: i64,
    countries: Vec<&'static Country>,
    actors: Vec<(String, Option<&'static Country>)>,
    /// Every partnership endpoint so far: drawing from it picks actors by degree.
    endpoints: Vec<usize>,
    prose: Prose,
}

/// The language a record's text is written in: the first of its languages the generator writes,
/// else English.
fn written_language(languages: &[String]) -> Language {
    languages
        .iter()
        .filter_map(|code| Language::from_code(code))
        .find(|language| prose::WRITTEN.contains(language))
        .unwrap_or(Language::English)
}

impl Generator<'_> {
    fn actor(&mut self, n: usize) -> Result<Actor, HubError> {
        let kind = weighted(&mut self.rng, &KINDS);
        let global = matches!(
            kind,
            ActorKind::UnEntity | ActorKind::RegionalBody | ActorKind::Philanthropy
        );
        let country = (!global).then(|| self.countries[self.rng.random_range(0..self.countries.len())]);
        let languages = country.map_or_else(|| vec!["en".to_string(), "fr".to_string()], languages_of);
        let profile = ActorProfile {
            name: format!("Synthetic {} {n}", kind.code().replace('_', " ")),
            kind,
            country: country.map(|c| c.alpha3.to_string()),
            languages,
            description: String::new(),
            contact: format!("actor{n}@synthetic.example"),
        };
        let id = self.hub.new_id("actor")?;
        self.actors.push((id.clone(), country));
        Ok(Actor {
            id,
            profile,
            token_sha256: String::new(),
            created_at: self.now,
            updated_at: self.now,
        })
    }

    /// An actor drawn by degree (with probability `skew`) or uniformly: hubs get richer.
    fn popular_actor(&mut self, skew: f64) -> usize {
        if !self.endpoints.is_empty() && self.rng.random_bool(skew) {
            self.endpoints[self.rng.random_range(0..self.endpoints.len())]
        } else {
            self.rng.random_range(0..self.actors.len())
        }
    }

    fn partnership(&mut self, seen: &mut HashSet<(usize, usize)>) -> Result<Partnership, HubError> {
        let (a, b) = loop {
            let a = self.popular_actor(0.5);
            let b = self.popular_actor(0.95);
            let pair = (a.min(b), a.max(b));
            if a != b && seen.insert(pair) {
                break pair;
            }
        };
        self.endpoints.extend([a, b]);
        let kinds = [
            PartnershipKind::BilateralAgreement,
            PartnershipKind::JointProgramme,
            PartnershipKind::Memorandum,
            PartnershipKind::NetworkMembership,
            PartnershipKind::Funding,
        ];
        let spec = PartnershipSpec {
            actor_a: self.actors[a].0.clone(),
            actor_b: self.actors[b].0.clone(),
            kind: kinds[self.rng.random_range(0..kinds.len())],
            trust: (self.rng.random_range(40..=95) as f64) / 100.0,
            since: None,
            note: String::new(),
            claimed_by: None,
        };
        Ok(Partnership {
            id: self.hub.new_id("partnership")?,
            spec,
            created_at: self.now,
        })
    }

    fn themes(&mut self) -> Vec<Objective> {
        let count = self.rng.random_range(1..=3);
        distinct(&mut self.rng, count, |rng| {
            Objective::new(rng.random_range(1..=23)).unwrap_or_else(|_| unreachable!())
        })
    }

    fn modalities(&mut self, most: usize) -> Vec<Modality> {
        let count = self.rng.random_range(1..=most);
        distinct(&mut self.rng, count, |rng| weighted(rng, &MODALITIES))
    }

    fn offer(&mut self) -> Result<Offer, HubError> {
        let provider = self.popular_actor(0.5);
        let (provider_id, home) = self.actors[provider].clone();
        let modalities = self.modalities(2);
        let coverage = match (home, self.rng.random_range(0..100)) {
            (Some(country), 0..40) => Coverage {
                countries: vec![country.alpha3.to_string()],
                ..Coverage::default()
            },
            (Some(country), 40..65) => Coverage {
                areas: vec![country.sub_region.to_string()],
                ..Coverage::default()
            },
            (Some(country), 65..85) => Coverage {
                areas: vec![country.region.to_string()],
                ..Coverage::default()
            },
            _ => Coverage {
                worldwide: true,
                ..Coverage::default()
            },
        };
        let funding_usd = modalities
            .contains(&Modality::Funding)
            .then(|| self.rng.random_range(50..=2_000) * 1_000);
        let themes = self.themes();
        let languages = home.map_or_else(|| vec!["en".to_string()], languages_of);
        let place = home.map_or("every region", |country| country.name);
        let (title, description) =
            self.prose
                .write(&mut self.rng, Side::Offer, written_language(&languages), &themes, place);
        let spec = OfferSpec {
            title,
            description,
            themes,
            modalities,
            levels: Vec::new(),
            coverage,
            languages,
            capacity: self.rng.random_range(1..=10),
            funding_usd,
            window: DateWindow::default(),
        };
        let id = self.hub.new_id("offer")?;
        let remaining_capacity = spec.capacity;
        Ok(Offer {
            id,
            provider_id,
            spec,
            remaining_capacity,
            status: OfferStatus::Active,
            created_at: self.now,
            updated_at: self.now,
        })
    }

    fn need(&mut self) -> Result<Need, HubError> {
        let requester = self.rng.random_range(0..self.actors.len());
        let (requester_id, home) = self.actors[requester].clone();
        let country = home.unwrap_or_else(|| self.countries[self.rng.random_range(0..self.countries.len())]);
        let modalities = self.modalities(3);
        let urgency = weighted(
            &mut self.rng,
            &[
                (Urgency::Low, 15),
                (Urgency::Normal, 50),
                (Urgency::High, 25),
                (Urgency::Critical, 10),
            ],
        );
        let funding = modalities.contains(&Modality::Funding);
        let budget_usd = funding.then(|| self.rng.random_range(10..=500) * 1_000);
        let level = [Level::Local, Level::National, Level::Regional][self.rng.random_range(0..3)];
        let waited = self.rng.random_range(0..90) * 86_400_000;
        let themes = self.themes();
        let mut languages: Vec<String> = languages_of(country).into_iter().take(1).collect();
        let language = written_language(&languages);
        if !languages.iter().any(|code| code == language.code()) {
            languages.push(language.code().to_string());
        }
        let (title, description) = self
            .prose
            .write(&mut self.rng, Side::Need, language, &themes, country.name);
        let spec = NeedSpec {
            title,
            description,
            themes,
            modalities,
            level,
            countries: vec![country.alpha3.to_string()],
            languages,
            budget_usd,
            urgency,
            window: DateWindow::default(),
        };
        let id = self.hub.new_id("need")?;
        let created_at = self.now - waited;
        Ok(Need {
            id,
            requester_id,
            spec,
            status: NeedStatus::Open,
            created_at,
            updated_at: created_at,
        })
    }
}

/// Writes a `tier` world made from `seed` into `hub` (which should be empty), calling `progress`
/// with the number of records written so far.
pub async fn generate(hub: &Hub, tier: Tier, seed: u64, progress: impl Fn(usize)) -> Result<WorldSize, HubError> {
    let size = tier.size();
    let mut generator = Generator {
        hub,
        rng: StdRng::seed_from_u64(seed),
        now: hub.now(),
        countries: geography::countries().iter().collect(),
        actors: Vec::with_capacity(size.actors),
        endpoints: Vec::with_capacity(size.partnerships * 2),
        prose: Prose::new(),
    };
    let mut written = 0;
    let mut batch = Vec::with_capacity(BATCH);
    let mut seen = HashSet::with_capacity(size.partnerships);
    for n in 0..size.total() {
        let record = if n < size.actors {
            ImportRecord::Actor(generator.actor(n)?)
        } else if n < size.actors + size.partnerships {
            ImportRecord::Partnership(generator.partnership(&mut seen)?)
        } else if n < size.actors + size.partnerships + size.offers {
            ImportRecord::Offer(generator.offer()?)
        } else {
            ImportRecord::Need(generator.need()?)
        };
        batch.push(record);
        if batch.len() == BATCH {
            written += batch.len();
            hub.import(std::mem::take(&mut batch)).await?;
            progress(written);
        }
    }
    written += batch.len();
    hub.import(batch).await?;
    hub.close().await?;
    progress(written);
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::{HubSettings, NeedFilter, PageRequest};

    async fn small_world(seed: u64) -> (tempfile::TempDir, Hub) {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
        generate(&hub, Tier::S, seed, |_| {}).await.unwrap();
        (dir, hub)
    }

    #[tokio::test]
    async fn the_same_seed_makes_the_same_world() {
        let (_a, first) = small_world(7).await;
        let (_b, second) = small_world(7).await;
        let page = PageRequest { after: None, limit: 50 };
        let needs = |hub: &Hub| hub.list_needs(&NeedFilter::default(), &page).unwrap().records;
        let specs = |hub: &Hub| needs(hub).into_iter().map(|n| n.spec).collect::<Vec<_>>();
        assert_eq!(specs(&first), specs(&second));
        assert_eq!(first.stats().unwrap().partnerships, Tier::S.size().partnerships as u64);
    }

    #[tokio::test]
    async fn degrees_are_heavy_tailed() {
        let (_dir, hub) = small_world(11).await;
        let page = PageRequest {
            after: None,
            limit: 500,
        };
        let actors = hub.list_actors(&Default::default(), &page).unwrap().records;
        let mut degrees: Vec<usize> = actors
            .iter()
            .map(|a| hub.list_partnerships(Some(&a.id), &page).unwrap().records.len())
            .collect();
        degrees.sort_unstable();
        let median = degrees[degrees.len() / 2];
        let top = degrees[degrees.len() - 1];
        assert!(
            top >= 8 * median.max(1),
            "the biggest hub ({top}) dwarfs the median actor ({median})"
        );
    }
}

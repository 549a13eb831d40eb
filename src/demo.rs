//! The demo world: the actors, offers, needs, partnerships and practices reported at the two 2018
//! International Dialogue on Migration workshops (see DOMAIN.md), kept as data in
//! `demo/world.json` and loaded through the same hub methods the API uses, so every record passes
//! the same validation. The labelled relevance set (`data/relevance/`, see [`crate::quality`]) is
//! written in the same format, with keys on offers and needs and each need's graded offers.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::Deserialize;

use crate::domain::{
    ActorKind, ActorProfile, Coverage, DateWindow, Level, MgiDimension, Modality, NeedSpec, Objective, OfferSpec,
    PartnershipKind, PartnershipSpec, PracticeSpec, Urgency,
};
use crate::hub::{Hub, HubError};

const WORLD: &str = include_str!("demo/world.json");

/// Why a world file could not load.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the world file is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("the world file names an unknown actor key '{0}'")]
    UnknownKey(String),
    #[error("demo record '{record}' was refused: {source}")]
    Refused { record: String, source: HubError },
}

/// How many records the demo loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    pub actors: usize,
    pub partnerships: usize,
    pub offers: usize,
    pub needs: usize,
    pub practices: usize,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let DemoSummary {
            actors,
            partnerships,
            offers,
            needs,
            practices,
        } = self;
        write!(
            f,
            "{actors} actors, {partnerships} partnerships, {offers} offers, {needs} needs, {practices} practices"
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct World {
    actors: Vec<DemoActor>,
    partnerships: Vec<DemoPartnership>,
    offers: Vec<DemoOffer>,
    needs: Vec<DemoNeed>,
    /// Absent from the labelled relevance set, which ranks offers for needs and shares nothing.
    #[serde(default)]
    practices: Vec<DemoPractice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoActor {
    /// Short name the other records use to refer to this actor.
    key: String,
    name: String,
    kind: ActorKind,
    country: String,
    languages: Vec<String>,
    description: String,
    contact: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPartnership {
    a: String,
    b: String,
    kind: PartnershipKind,
    trust: f64,
    since: String,
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOffer {
    /// How a labelled set's needs refer to the offer.
    #[serde(default)]
    key: Option<String>,
    provider: String,
    title: String,
    description: String,
    themes: Vec<Objective>,
    modalities: Vec<Modality>,
    levels: Vec<Level>,
    countries: Vec<String>,
    regions: Vec<String>,
    worldwide: bool,
    languages: Vec<String>,
    capacity: u32,
    funding_usd: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoNeed {
    /// A labelled set's name for the need.
    #[serde(default)]
    key: Option<String>,
    /// A labelled set's grades: offer key to 2 (the right offer) or 1 (useful); others are 0.
    #[serde(default)]
    labels: BTreeMap<String, u8>,
    requester: String,
    title: String,
    description: String,
    themes: Vec<Objective>,
    modalities: Vec<Modality>,
    level: Level,
    countries: Vec<String>,
    languages: Vec<String>,
    budget_usd: Option<i64>,
    urgency: Urgency,
}

/// A practice as its author reports it, in the author's own words and language.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPractice {
    author: String,
    title: String,
    description: String,
    themes: Vec<Objective>,
    /// Empty means the author's country, as for a submitted practice.
    countries: Vec<String>,
    /// Actor keys of the others who took part.
    partners: Vec<String>,
    mgi_dimensions: Vec<MgiDimension>,
    results: String,
    lessons_learned: String,
    links: Vec<String>,
    languages: Vec<String>,
}

/// Actor keys of the demo file mapped to the ids the hub gave them.
struct Keys(HashMap<String, String>);

impl Keys {
    fn id(&self, key: &str) -> Result<&str, DemoError> {
        self.0
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| DemoError::UnknownKey(key.to_string()))
    }
}

fn refused(record: &str) -> impl FnOnce(HubError) -> DemoError + '_ {
    move |source| DemoError::Refused {
        record: record.to_string(),
        source,
    }
}

/// Loads the demo world into `hub` and says how much it loaded.
pub async fn load(hub: &Hub) -> Result<DemoSummary, DemoError> {
    Ok(load_world(hub, WORLD).await?.summary)
}

/// What a world file loaded: the counts, and the ids the hub gave its keyed offers and needs.
#[derive(Debug, Clone)]
pub struct LoadedWorld {
    pub summary: DemoSummary,
    /// Offer key to offer id.
    pub offers: HashMap<String, String>,
    /// Keyed needs in the file's order: key, need id and grades by offer key.
    pub needs: Vec<(String, String, BTreeMap<String, u8>)>,
}

/// Loads a world file (the demo world's format) into `hub`.
pub async fn load_world(hub: &Hub, json: &str) -> Result<LoadedWorld, DemoError> {
    let world: World = serde_json::from_str(json)?;
    let keys = load_actors(hub, world.actors).await?;
    let summary = DemoSummary {
        actors: keys.0.len(),
        partnerships: world.partnerships.len(),
        offers: world.offers.len(),
        needs: world.needs.len(),
        practices: world.practices.len(),
    };
    for partnership in world.partnerships {
        load_partnership(hub, &keys, partnership).await?;
    }
    let mut loaded = LoadedWorld {
        summary,
        offers: HashMap::new(),
        needs: Vec::new(),
    };
    for offer in world.offers {
        let key = offer.key.clone();
        let id = load_offer(hub, &keys, offer).await?;
        if let Some(key) = key {
            loaded.offers.insert(key, id);
        }
    }
    for need in world.needs {
        let (key, labels) = (need.key.clone(), need.labels.clone());
        let id = load_need(hub, &keys, need).await?;
        if let Some(key) = key {
            loaded.needs.push((key, id, labels));
        }
    }
    // Last: practices refer only to actors, and loaded last they leave the ids above unchanged.
    for practice in world.practices {
        load_practice(hub, &keys, practice).await?;
    }
    Ok(loaded)
}

async fn load_actors(hub: &Hub, actors: Vec<DemoActor>) -> Result<Keys, DemoError> {
    let mut keys = HashMap::new();
    for DemoActor {
        key,
        name,
        kind,
        country,
        languages,
        description,
        contact,
    } in actors
    {
        let country = (!country.is_empty()).then_some(country);
        let profile = ActorProfile {
            name,
            kind,
            country,
            languages,
            description,
            contact,
        };
        let (actor, _token) = hub
            .register_actor(profile, &format!("demo:{key}"))
            .await
            .map_err(refused(&key))?;
        keys.insert(key, actor.id);
    }
    Ok(Keys(keys))
}

async fn load_partnership(hub: &Hub, keys: &Keys, partnership: DemoPartnership) -> Result<(), DemoError> {
    let DemoPartnership {
        a,
        b,
        kind,
        trust,
        since,
        note,
    } = partnership;
    let record = format!("{a}-{b}");
    let since = DateWindow::parse(&since, "")
        .map_err(|(_, rule)| refused(&record)(crate::domain::Violations::single("since", rule).into()))?
        .start;
    let spec = PartnershipSpec {
        actor_a: keys.id(&a)?.to_string(),
        actor_b: keys.id(&b)?.to_string(),
        kind,
        trust,
        since,
        note,
        claimed_by: None,
    };
    hub.add_partnership(spec, &format!("demo:{record}:{kind}"))
        .await
        .map_err(refused(&record))?;
    Ok(())
}

async fn load_offer(hub: &Hub, keys: &Keys, offer: DemoOffer) -> Result<String, DemoError> {
    let DemoOffer {
        key: _,
        provider,
        title,
        description,
        themes,
        modalities,
        levels,
        countries,
        regions,
        worldwide,
        languages,
        capacity,
        funding_usd,
    } = offer;
    let coverage = Coverage {
        countries,
        areas: regions,
        worldwide,
    };
    let spec = OfferSpec {
        title,
        description,
        themes,
        modalities,
        levels,
        coverage,
        languages,
        capacity,
        funding_usd,
        window: DateWindow::default(),
    };
    let request_id = format!("demo:offer:{provider}:{}", spec.title);
    let offer = hub
        .register_offer(keys.id(&provider)?, spec, &request_id)
        .await
        .map_err(refused(&request_id))?;
    Ok(offer.id)
}

async fn load_need(hub: &Hub, keys: &Keys, need: DemoNeed) -> Result<String, DemoError> {
    let DemoNeed {
        key: _,
        labels: _,
        requester,
        title,
        description,
        themes,
        modalities,
        level,
        countries,
        languages,
        budget_usd,
        urgency,
    } = need;
    let spec = NeedSpec {
        title,
        description,
        themes,
        modalities,
        level,
        countries,
        languages,
        budget_usd,
        urgency,
        window: DateWindow::default(),
    };
    let request_id = format!("demo:need:{requester}:{}", spec.title);
    let need = hub
        .submit_need(keys.id(&requester)?, spec, &request_id)
        .await
        .map_err(refused(&request_id))?;
    Ok(need.id)
}

async fn load_practice(hub: &Hub, keys: &Keys, practice: DemoPractice) -> Result<(), DemoError> {
    let DemoPractice {
        author,
        title,
        description,
        themes,
        countries,
        partners,
        mgi_dimensions,
        results,
        lessons_learned,
        links,
        languages,
    } = practice;
    let partner_ids = partners
        .iter()
        .map(|key| keys.id(key).map(str::to_string))
        .collect::<Result<_, _>>()?;
    let spec = PracticeSpec {
        title,
        description,
        themes,
        countries,
        partner_ids,
        mgi_dimensions,
        results,
        lessons_learned,
        links,
        languages,
    };
    let request_id = format!("demo:practice:{author}:{}", spec.title);
    hub.submit_practice(keys.id(&author)?, spec, &request_id)
        .await
        .map_err(refused(&request_id))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::{HubSettings, PageRequest};

    const ONE_ACTOR: &str = r#""actors": [{"key": "city", "name": "A city", "kind": "local_authority",
        "country": "BRA", "languages": ["pt"], "description": "A city.", "contact": "city@example.org"}],
        "partnerships": [], "offers": [], "needs": []"#;

    fn practice(partners: &str) -> String {
        format!(
            r#"{{"author": "city", "title": "Portuguese classes", "description": "Classes for newcomers.",
            "themes": [16], "countries": [], "partners": [{partners}], "mgi_dimensions": ["migrants_rights"],
            "results": "", "lessons_learned": "", "links": [], "languages": ["en"]}}"#
        )
    }

    #[test]
    fn the_demo_world_holds_practices_and_the_relevance_format_needs_none() {
        let demo: World = serde_json::from_str(WORLD).unwrap();
        assert!(demo.practices.len() >= 30, "{} practices", demo.practices.len());
        let relevance: World = serde_json::from_str(&format!("{{{ONE_ACTOR}}}")).unwrap();
        assert!(relevance.practices.is_empty());
    }

    #[tokio::test]
    async fn a_practice_loads_with_the_authors_country_and_an_unknown_partner_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
        let json = format!(r#"{{{ONE_ACTOR}, "practices": [{}]}}"#, practice(""));
        let loaded = load_world(&hub, &json).await.unwrap();
        assert_eq!(loaded.summary.practices, 1);
        assert_eq!(
            loaded.summary.to_string(),
            "1 actors, 0 partnerships, 0 offers, 0 needs, 1 practices"
        );
        let page = PageRequest { after: None, limit: 10 };
        let listed = hub.list_practices(&Default::default(), &page).unwrap().records;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].spec.countries, ["BRA"], "empty countries are the author's");

        let other = tempfile::tempdir().unwrap();
        let hub = Hub::open(other.path(), HubSettings::default()).unwrap();
        let json = format!(r#"{{{ONE_ACTOR}, "practices": [{}]}}"#, practice(r#""nobody""#));
        let error = load_world(&hub, &json).await.unwrap_err();
        assert!(
            matches!(&error, DemoError::UnknownKey(key) if key == "nobody"),
            "{error}"
        );
    }
}

//! SearchService.Search, black-box: a French need is found by a word of its description and an
//! English offer by a Spanish query through the glossary; the kind, theme, country, region and
//! language filters narrow the hits exactly; pages walk every hit once in a stable order; bad
//! requests are refused naming the field; withdrawn records and contacts are never found; and
//! after SIGKILL during a write burst every acknowledged write is found again.
//!
//! The index follows writes with a lag: every test polls (common::eventually) for a write to show
//! and for a withdrawal to go, and never sleeps a fixed time.

mod common;

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use rand::Rng;
use tonic::Code;

/// (kind, id): what a hit points at.
type Key = (i32, String);

fn key(kind: RecordKind, id: &str) -> Key {
    (kind as i32, id.to_string())
}

fn keys(hits: &[SearchHit]) -> BTreeSet<Key> {
    hits.iter().map(|hit| (hit.kind, hit.id.clone())).collect()
}

fn show(keys: &BTreeSet<Key>) -> String {
    let listed: Vec<String> = keys
        .iter()
        .map(|(kind, id)| {
            format!(
                "{:?} {id}",
                RecordKind::try_from(*kind).unwrap_or(RecordKind::Unspecified)
            )
        })
        .collect();
    format!("[{}]", listed.join(", "))
}

/// Checks what every hit must satisfy.
#[track_caller]
fn assert_hit_well_formed(hit: &SearchHit) {
    assert!(
        (RecordKind::Need as i32..=RecordKind::Actor as i32).contains(&hit.kind),
        "a hit of no known kind: {hit:?}"
    );
    assert!(!hit.id.is_empty() && !hit.title.is_empty(), "{hit:?}");
    assert!(hit.score.is_finite(), "{hit:?}");
}

/// Asserts the scores of one response never rise: hits come best first.
#[track_caller]
fn assert_ranked(hits: &[SearchHit]) {
    for pair in hits.windows(2) {
        assert!(
            pair[0].score >= pair[1].score,
            "hits are ranked best first within a response: {} ({}) before {} ({})",
            pair[0].id,
            pair[0].score,
            pair[1].id,
            pair[1].score
        );
    }
}

// ---- finding by words, across languages ------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_french_need_is_found_by_a_word_of_its_description() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let niger = hub
        .register_written(
            "Direction de la Surveillance du Territoire",
            ActorKind::NationalGovernment,
            "NER",
            "fr",
            "Police des frontières et de l'immigration du Niger.",
        )
        .await;
    let bank = hub
        .register_written(
            "Western Cape Remittance Forum",
            ActorKind::CivilSociety,
            "ZAF",
            "en",
            "Money transfer operators and savings groups in Cape Town.",
        )
        .await;
    let title = "Former les agents du poste de Makalondi à l'accueil des jeunes migrants";
    let description = "Au poste de Makalondi, nos agents frontaliers voient passer chaque semaine des \
        jeunes venus du Burkina Faso, souvent abandonnés par les passeurs sans eau ni papiers. Nous \
        demandons une formation de cinq jours sur l'entretien avec les mineurs et l'orientation vers \
        les services sociaux de Tillabéri.";
    let need = hub
        .submit(written_need(&niger.id, &[11, 7], &["NER"], "fr", title, description))
        .await;
    // Nothing about borders or smugglers: no query below may find it.
    let unrelated = hub
        .submit(written_need(
            &bank.id,
            &[20],
            &["ZAF"],
            "en",
            "Cheaper transfers to Zimbabwe and Malawi",
            "Families in Khayelitsha pay up to twelve percent to send money home. We want a study of \
             fees charged by transfer operators and a leaflet comparing them.",
        ))
        .await;
    hub.wait_until_found(search_request("Khayelitsha"), RecordKind::Need, &unrelated.id)
        .await;

    for word in ["passeurs", "frontaliers"] {
        assert!(
            !title.contains(word),
            "the word {word} must come from the description alone"
        );
        let hit = hub
            .wait_until_found(search_request(word), RecordKind::Need, &need.id)
            .await;
        assert_hit_well_formed(&hit);
        assert_eq!(hit.title, title, "a need's hit carries its title");
        let passages = marked(&hit.snippet);
        assert!(
            passages.iter().any(|p| p.to_lowercase().contains(word)),
            "the snippet marks the matched word {word} between « and »: {:?}",
            hit.snippet
        );
        let text = format!("{title} {description}").to_lowercase();
        for passage in &passages {
            assert!(
                text.contains(&passage.to_lowercase()),
                "marked passage {passage:?} is not a passage of the need: {:?}",
                hit.snippet
            );
        }
        let hits = hub.search_all(search_request(word)).await;
        assert!(
            find_hit(&hits, RecordKind::Need, &unrelated.id).is_none(),
            "{word} found a need that does not speak of it: {}",
            describe_hits(&hits)
        );
    }
    // A word of the title alone: the snippet still shows why the need matched.
    let word = "accueil";
    assert!(title.contains(word) && !description.contains(word));
    let hit = hub
        .wait_until_found(search_request(word), RecordKind::Need, &need.id)
        .await;
    assert!(
        marked(&hit.snippet).iter().any(|p| p.to_lowercase().contains(word)),
        "a hit found by its title marks the word there: {:?}",
        hit.snippet
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spanish_query_finds_an_english_offer_through_the_glossary() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let strada = hub
        .register_written(
            "La Strada International",
            ActorKind::CivilSociety,
            "NLD",
            "en",
            "European network of NGOs running hotlines and shelters.",
        )
        .await;
    let cooperative = hub
        .register_written(
            "Cooperativa Cuatro Pinos",
            ActorKind::PrivateSector,
            "GTM",
            "es",
            "Cooperativa de pequeños productores de hortalizas en Chimaltenango.",
        )
        .await;
    let title = "Shelter casework training on human trafficking";
    let description = "Our caseworkers train shelter staff and labour inspectors to recognise signs \
        of human trafficking among domestic workers and seasonal farmhands, and to refer survivors to \
        safe housing and legal aid. Three-day course with role plays.";
    let offer = hub
        .offer(written_offer(
            &strada.id,
            &[10],
            &["GTM", "HND"],
            "en",
            title,
            description,
        ))
        .await;
    let unrelated = hub
        .offer(written_offer(
            &cooperative.id,
            &[20],
            &["GTM"],
            "es",
            "Talleres de educación financiera para familias que reciben remesas",
            "En Chimaltenango enseñamos a comparar comisiones de envío de dinero y a abrir cuentas de \
             ahorro en la cooperativa.",
        ))
        .await;
    hub.wait_until_found(search_request("remesas"), RecordKind::Offer, &unrelated.id)
        .await;

    let query = "trata de personas";
    for word in ["trata", "personas"] {
        assert!(
            !format!("{title} {description}").to_lowercase().contains(word),
            "the offer must not share the word {word} with the query"
        );
    }
    let hit = hub
        .wait_until_found(search_request(query), RecordKind::Offer, &offer.id)
        .await;
    assert_hit_well_formed(&hit);
    assert_eq!(hit.title, title);
    let passages = marked(&hit.snippet);
    assert!(
        passages.iter().any(|p| p.to_lowercase().contains("trafficking")),
        "the snippet marks the offer's words that matched (\"human trafficking\"): {:?}",
        hit.snippet
    );
    let hits = hub.search_all(search_request(query)).await;
    assert!(
        find_hit(&hits, RecordKind::Offer, &unrelated.id).is_none(),
        "{query:?} found an offer on remittances: {}",
        describe_hits(&hits)
    );
}

// ---- filters ---------------------------------------------------------------------------------

/// Records about trafficking in three languages, two regions and several objectives, plus records
/// that do not speak of it.
struct FilterWorld {
    hub: TestHub,
    _dir: tempfile::TempDir,
    svet: Actor,
    strada: Actor,
    cnltp: Actor,
    need_es: Need,
    need_fr: Need,
    need_en: Need,
    offer_en: Offer,
    practice_es: Practice,
}

impl FilterWorld {
    async fn build() -> FilterWorld {
        let dir = tempfile::tempdir().unwrap();
        let hub = TestHub::start(dir.path()).await;
        // Records that match no query of this world, written first so that once the last
        // matching record shows, these had every chance to (wrongly) show too.
        let cuatro_pinos = hub
            .register_written(
                "Cooperativa Cuatro Pinos",
                ActorKind::PrivateSector,
                "GTM",
                "es",
                "Cooperativa de pequeños productores de hortalizas en Chimaltenango.",
            )
            .await;
        let dmw = hub
            .register_written(
                "Department of Migrant Workers",
                ActorKind::NationalGovernment,
                "PHL",
                "en",
                "Licenses recruitment agencies and looks after Filipino workers abroad.",
            )
            .await;
        let remittances = hub
            .submit(written_need(
                &cuatro_pinos.id,
                &[20],
                &["GTM"],
                "es",
                "Talleres sobre el costo de las remesas para familias socias",
                "Las familias socias reciben dinero de parientes en Estados Unidos y pagan comisiones \
                 altas. Queremos talleres para comparar costos de envío y abrir cuentas de ahorro.",
            ))
            .await;
        let seminars = hub
            .offer(written_offer(
                &dmw.id,
                &[3],
                &["PHL"],
                "en",
                "Pre-departure orientation seminars",
                "Half-day seminars for workers leaving on contracts abroad: wages, days off, and how \
                 to reach the labour attaché.",
            ))
            .await;

        let svet = hub
            .register_written(
                "Secretaría contra la Violencia Sexual, Explotación y Trata de Personas",
                ActorKind::NationalGovernment,
                "GTM",
                "es",
                "Coordina la respuesta del Estado de Guatemala a la explotación sexual y a la trata de \
                 personas.",
            )
            .await;
        let strada = hub
            .register_written(
                "La Strada International",
                ActorKind::CivilSociety,
                "NLD",
                "en",
                "European network of NGOs working against trafficking in human beings, with hotlines \
                 and shelters in eight countries.",
            )
            .await;
        let cnltp = hub
            .register_written(
                "Cellule nationale de lutte contre la traite des personnes",
                ActorKind::NationalGovernment,
                "SEN",
                "fr",
                "Coordonne au Sénégal la prévention de la traite des personnes, la protection des \
                 victimes et la poursuite des auteurs.",
            )
            .await;
        let need_es = hub
            .submit(written_need(
                &svet.id,
                &[10, 7],
                &["GTM"],
                "es",
                "Protocolo de detección en los albergues de Quetzaltenango",
                "Las trabajadoras sociales de los albergues de Quetzaltenango reciben adolescentes que \
                 llegan solas desde la frontera y no tienen un protocolo para saber si son víctimas de \
                 trata de personas. Pedimos asesoría para redactarlo y capacitar a doce trabajadoras.",
            ))
            .await;
        let need_fr = hub
            .submit(written_need(
                &cnltp.id,
                &[10],
                &["SEN"],
                "fr",
                "Repérer la traite sur les sites d'orpaillage de Kédougou",
                "Les inspecteurs du travail de Kédougou rencontrent des jeunes filles exploitées autour \
                 des sites d'orpaillage. Nous voulons une formation pour reconnaître les indices de la \
                 traite des personnes et orienter les victimes vers les centres d'accueil.",
            ))
            .await;
        let need_en = hub
            .submit(written_need(
                &dmw.id,
                &[6],
                &["PHL"],
                "en",
                "Licensing checks on agencies that place domestic workers",
                "Our licensing officers need methods to audit the agencies that place domestic workers \
                 in the Gulf, so that debt bondage and human trafficking are caught before departure.",
            ))
            .await;
        let offer_en = hub
            .offer(written_offer(
                &strada.id,
                &[10],
                &["GTM", "HND", "SLV"],
                "en",
                "Shelter casework training on human trafficking",
                "Our caseworkers train shelter staff to recognise signs of human trafficking among \
                 domestic workers and seasonal farmhands, and to refer survivors to safe housing and \
                 legal aid.",
            ))
            .await;
        let practice_es = hub
            .publish(SubmitPracticeRequest {
                results: "Ciento veinte sobrevivientes atendidas en cuatro años.".into(),
                lessons_learned: "Sin abogadas propias, los casos se estancaban en la fiscalía.".into(),
                ..written_practice(
                    &svet.id,
                    &[10],
                    &["GTM"],
                    "es",
                    "Albergue temporal para sobrevivientes de trata de personas",
                    "Entre 2019 y 2023 la Secretaría abrió un albergue en la Ciudad de Guatemala con \
                     atención psicológica y jurídica para sobrevivientes de trata de personas, junto con \
                     organizaciones locales.",
                )
            })
            .await;

        // The non-matching records are indexed (each is found by a word of its own) ...
        for (query, kind, id) in [
            ("hortalizas", RecordKind::Actor, &cuatro_pinos.id),
            ("Filipino", RecordKind::Actor, &dmw.id),
            ("remesas", RecordKind::Need, &remittances.id),
            ("attaché", RecordKind::Offer, &seminars.id),
        ] {
            hub.wait_until_found(search_request(query), kind, id).await;
        }
        let world = FilterWorld {
            hub,
            _dir: dir,
            svet,
            strada,
            cnltp,
            need_es,
            need_fr,
            need_en,
            offer_en,
            practice_es,
        };
        // ... and so is every matching one: the index has caught up with this world.
        let everything = world.all();
        eventually("every record about trafficking is found", async || {
            let found = keys(&world.hub.search_all(search_request("trata de personas")).await);
            if everything.is_subset(&found) {
                Ok(())
            } else {
                Err(format!(
                    "missing {}",
                    show(&everything.difference(&found).cloned().collect())
                ))
            }
        })
        .await;
        world
    }

    /// Every record that speaks of trafficking, in any language.
    fn all(&self) -> BTreeSet<Key> {
        [
            key(RecordKind::Actor, &self.svet.id),
            key(RecordKind::Actor, &self.strada.id),
            key(RecordKind::Actor, &self.cnltp.id),
            key(RecordKind::Need, &self.need_es.id),
            key(RecordKind::Need, &self.need_fr.id),
            key(RecordKind::Need, &self.need_en.id),
            key(RecordKind::Offer, &self.offer_en.id),
            key(RecordKind::Practice, &self.practice_es.id),
        ]
        .into_iter()
        .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_narrow_hits_by_kind_theme_country_region_and_language() {
    let w = FilterWorld::build().await;
    let actor = |a: &Actor| key(RecordKind::Actor, &a.id);
    let need = |n: &Need| key(RecordKind::Need, &n.id);
    let offer = key(RecordKind::Offer, &w.offer_en.id);
    let practice = key(RecordKind::Practice, &w.practice_es.id);
    let base = search_request("trata de personas");
    let kinds = |kinds: &[RecordKind]| kinds.iter().map(|&k| k as i32).collect::<Vec<_>>();

    // (what, request, expected hits)
    let cases: Vec<(&str, SearchRequest, Vec<Key>)> = vec![
        ("no filter", base.clone(), w.all().into_iter().collect()),
        (
            "kinds [NEED]",
            SearchRequest {
                kinds: kinds(&[RecordKind::Need]),
                ..base.clone()
            },
            vec![need(&w.need_es), need(&w.need_fr), need(&w.need_en)],
        ),
        (
            "kinds [OFFER, PRACTICE]",
            SearchRequest {
                kinds: kinds(&[RecordKind::Offer, RecordKind::Practice]),
                ..base.clone()
            },
            vec![offer.clone(), practice.clone()],
        ),
        (
            "kinds [ACTOR]",
            SearchRequest {
                kinds: kinds(&[RecordKind::Actor]),
                ..base.clone()
            },
            vec![actor(&w.svet), actor(&w.strada), actor(&w.cnltp)],
        ),
        (
            "theme 10 (actors have no objective)",
            SearchRequest {
                theme: 10,
                ..base.clone()
            },
            vec![need(&w.need_es), need(&w.need_fr), offer.clone(), practice.clone()],
        ),
        (
            "theme 6",
            SearchRequest {
                theme: 6,
                ..base.clone()
            },
            vec![need(&w.need_en)],
        ),
        (
            "theme 7 (the second objective of a need)",
            SearchRequest {
                theme: 7,
                ..base.clone()
            },
            vec![need(&w.need_es)],
        ),
        (
            "country GTM (an actor's own country; an offer delivered there)",
            SearchRequest {
                country: "GTM".into(),
                ..base.clone()
            },
            vec![actor(&w.svet), need(&w.need_es), offer.clone(), practice.clone()],
        ),
        (
            "country HND (only the offer is delivered there)",
            SearchRequest {
                country: "HND".into(),
                ..base.clone()
            },
            vec![offer.clone()],
        ),
        (
            "country SEN",
            SearchRequest {
                country: "SEN".into(),
                ..base.clone()
            },
            vec![actor(&w.cnltp), need(&w.need_fr)],
        ),
        (
            "region central_america",
            SearchRequest {
                region: "central_america".into(),
                ..base.clone()
            },
            vec![actor(&w.svet), need(&w.need_es), offer.clone(), practice.clone()],
        ),
        (
            "region africa",
            SearchRequest {
                region: "africa".into(),
                ..base.clone()
            },
            vec![actor(&w.cnltp), need(&w.need_fr)],
        ),
        (
            "region europe",
            SearchRequest {
                region: "europe".into(),
                ..base.clone()
            },
            vec![actor(&w.strada)],
        ),
        (
            "kinds [NEED] and region central_america",
            SearchRequest {
                kinds: kinds(&[RecordKind::Need]),
                region: "central_america".into(),
                ..base.clone()
            },
            vec![need(&w.need_es)],
        ),
        (
            "theme 10 and country SEN",
            SearchRequest {
                theme: 10,
                country: "SEN".into(),
                ..base.clone()
            },
            vec![need(&w.need_fr)],
        ),
        (
            "language es, a Spanish query",
            SearchRequest {
                language: "es".into(),
                ..base.clone()
            },
            vec![actor(&w.svet), need(&w.need_es), practice.clone()],
        ),
        (
            "language fr, a French query",
            SearchRequest {
                query: "traite des personnes".into(),
                language: "fr".into(),
                ..base.clone()
            },
            vec![actor(&w.cnltp), need(&w.need_fr)],
        ),
        (
            "language en, an English query",
            SearchRequest {
                query: "human trafficking".into(),
                language: "en".into(),
                ..base.clone()
            },
            vec![actor(&w.strada), need(&w.need_en), offer.clone()],
        ),
    ];

    let mut failures = Vec::new();
    for (what, request, expected) in cases {
        let hits = w.hub.search_all(request).await;
        for hit in &hits {
            assert_hit_well_formed(hit);
        }
        let expected: BTreeSet<Key> = expected.into_iter().collect();
        let got = keys(&hits);
        if got != expected {
            failures.push(format!("{what}: expected {}, got {}", show(&expected), show(&got)));
        }
        assert_eq!(
            got.len(),
            hits.len(),
            "{what}: a record came back twice: {}",
            describe_hits(&hits)
        );
    }
    assert!(failures.is_empty(), "filters:\n  {}", failures.join("\n  "));

    // Hits carry the record's title; an actor's is its name.
    let hits = w.hub.search_all(search_request("trata de personas")).await;
    let title = |kind: RecordKind, id: &str| find_hit(&hits, kind, id).map(|hit| hit.title.clone());
    assert_eq!(title(RecordKind::Actor, &w.svet.id), Some(w.svet.name.clone()));
    assert_eq!(title(RecordKind::Need, &w.need_fr.id), Some(w.need_fr.title.clone()));
    assert_eq!(title(RecordKind::Offer, &w.offer_en.id), Some(w.offer_en.title.clone()));
    assert_eq!(
        title(RecordKind::Practice, &w.practice_es.id),
        Some(w.practice_es.title.clone())
    );
}

// ---- paging ----------------------------------------------------------------------------------

const TOWNS: [(&str, &str); 23] = [
    ("Tapachula", "Mam"),
    ("Huehuetenango", "Q'anjob'al"),
    ("Cobán", "Q'eqchi'"),
    ("Totonicapán", "K'iche'"),
    ("Sololá", "Kaqchikel"),
    ("San Marcos", "Mam"),
    ("Nebaj", "Ixil"),
    ("Comitán", "Tojolabal"),
    ("San Cristóbal de las Casas", "Tsotsil"),
    ("Ocosingo", "Tseltal"),
    ("Juchitán", "Zapotec"),
    ("Tuxtepec", "Mazatec"),
    ("Puerto Barrios", "Garifuna"),
    ("Bluefields", "Miskito"),
    ("Puerto Lempira", "Miskito"),
    ("La Ceiba", "Garifuna"),
    ("Chinandega", "Haitian Creole"),
    ("Necoclí", "Haitian Creole"),
    ("Darién", "Emberá"),
    ("Ciudad Hidalgo", "Portuguese"),
    ("Tecún Umán", "French"),
    ("Esquipulas", "Ch'orti'"),
    ("Salamá", "Achi"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_walk_every_hit_once_in_a_stable_order() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let network = hub
        .register_written(
            "Red de Salud Fronteriza",
            ActorKind::CivilSociety,
            "GTM",
            "en",
            "Clinics along the Mexico-Guatemala border.",
        )
        .await;
    let pool = hub
        .register_written(
            "Indigenous Languages Pool",
            ActorKind::CivilSociety,
            "MEX",
            "en",
            "Medical and court language help in southern Mexico.",
        )
        .await;
    let mut created = BTreeSet::new();
    for (n, (town, language)) in TOWNS.iter().enumerate() {
        if n % 3 == 2 {
            let offer = hub
                .offer(written_offer(
                    &pool.id,
                    &[15],
                    &["GTM", "MEX"],
                    "en",
                    &format!("{language} interpreters for clinics near {town}"),
                    &format!(
                        "We send {language} interpreters to clinics around {town} for antenatal \
                         check-ups and vaccination days, {} hours a week.",
                        4 + n
                    ),
                ))
                .await;
            created.insert(key(RecordKind::Offer, &offer.id));
        } else {
            let need = hub
                .submit(written_need(
                    &network.id,
                    &[15],
                    &["GTM"],
                    "en",
                    &format!("Medical interpreters in {town}"),
                    &format!(
                        "The health centre in {town} sees families who speak only {language}. Nurses \
                         need interpreters for {} consultations a week.",
                        10 + n
                    ),
                ))
                .await;
            created.insert(key(RecordKind::Need, &need.id));
        }
    }
    assert_eq!(created.len(), TOWNS.len());
    let query = "interpreters";
    let whole = eventually("every interpreter record is found", async || {
        let hits = hub.search_all(search_request(query)).await;
        if keys(&hits) == created {
            Ok(hits)
        } else {
            Err(describe_hits(&hits))
        }
    })
    .await;

    let mut client = hub.search();
    // One page of 100 holds them all and says it is the last.
    let one = client.search(search_request(query)).await.unwrap().into_inner();
    assert_eq!(one.hits.len(), TOWNS.len());
    assert!(one.next_page_token.is_empty(), "the last page has an empty token");
    assert_ranked(&one.hits);
    assert_eq!(keys(&one.hits), created);

    // page_size 0 means 20.
    let default = client
        .search(SearchRequest {
            page_size: 0,
            ..search_request(query)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(default.hits.len(), 20, "page_size 0 means 20");
    assert!(!default.next_page_token.is_empty(), "three more hits follow");

    // Walk pages of 5, twice: every hit once, in one order, the same as the single page's.
    let order: Vec<String> = one.hits.iter().map(|hit| hit.id.clone()).collect();
    let mut first_token = String::new();
    for walk in 0..2 {
        let mut seen = Vec::new();
        let mut token = String::new();
        let mut pages = 0;
        loop {
            let page = client
                .search(SearchRequest {
                    page_size: 5,
                    page_token: token.clone(),
                    ..search_request(query)
                })
                .await
                .unwrap_or_else(|status| panic!("page {pages} of walk {walk}: {status:?}"))
                .into_inner();
            pages += 1;
            assert!(page.hits.len() <= 5, "a page of 5 held {}", page.hits.len());
            assert_ranked(&page.hits);
            seen.extend(page.hits.iter().map(|hit| hit.id.clone()));
            if page.next_page_token.is_empty() {
                break;
            }
            assert_eq!(page.hits.len(), 5, "only the last page is short");
            if pages == 1 {
                first_token = page.next_page_token.clone();
            }
            token = page.next_page_token;
            assert!(pages < 10, "paging does not end");
        }
        assert_eq!(pages, 5, "23 hits in pages of 5");
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "walk {walk} saw a hit twice: {seen:?}");
        assert_eq!(seen, order, "walk {walk}: pages of 5 give the single page's order");
    }
    assert_eq!(keys(&whole), created);

    // A token belongs to its query: another query's token is refused (the proto asks for the same
    // filters too, but only another query's token is promised to be refused).
    let status = client
        .search(SearchRequest {
            query: "clinics".into(),
            page_size: 5,
            page_token: first_token,
            ..Default::default()
        })
        .await
        .map(drop);
    assert!(
        matches!(&status, Err(s) if s.code() == Code::InvalidArgument && s.message().contains("page_token")),
        "a page token of another query: expected INVALID_ARGUMENT naming page_token, got {status:?}"
    );
}

// ---- bad requests ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    // Search is open to everyone: these come without a token.
    let mut client = SearchServiceClient::new(hub.channel());

    let words = |chars: usize| {
        let mut text = "asylum interviews for unaccompanied children ".repeat(chars / 20 + 1);
        text.truncate(chars);
        text.replace_range(chars - 1.., "s");
        assert_eq!(text.chars().count(), chars);
        text
    };
    let base = search_request("asylum interviews");
    let cases: Vec<(&str, SearchRequest, &str)> = vec![
        (
            "empty query",
            SearchRequest {
                query: String::new(),
                ..base.clone()
            },
            "query",
        ),
        (
            "blank query",
            SearchRequest {
                query: "  \t  ".into(),
                ..base.clone()
            },
            "query",
        ),
        (
            "query of 10,000 characters",
            SearchRequest {
                query: words(10_000),
                ..base.clone()
            },
            "query",
        ),
        (
            "query of 1,001 characters",
            SearchRequest {
                query: words(1_001),
                ..base.clone()
            },
            "query",
        ),
        (
            "unknown kind 99",
            SearchRequest {
                kinds: vec![99],
                ..base.clone()
            },
            "kinds",
        ),
        (
            "a known kind and kind 99",
            SearchRequest {
                kinds: vec![RecordKind::Need as i32, 99],
                ..base.clone()
            },
            "kinds",
        ),
        (
            "page_size -1",
            SearchRequest {
                page_size: -1,
                ..base.clone()
            },
            "page_size",
        ),
        (
            "page_size 101",
            SearchRequest {
                page_size: 101,
                ..base.clone()
            },
            "page_size",
        ),
        (
            "garbage page_token",
            SearchRequest {
                page_token: "not-a-token!".into(),
                ..base.clone()
            },
            "page_token",
        ),
        (
            "unknown theme 99",
            SearchRequest {
                theme: 99,
                ..base.clone()
            },
            "theme",
        ),
        (
            "objective 24",
            SearchRequest {
                theme: 24,
                ..base.clone()
            },
            "theme",
        ),
    ];
    let mut failures = Vec::new();
    for (what, request, field) in cases {
        match client.search(request).await {
            Ok(reply) => failures.push(format!(
                "{what}: expected INVALID_ARGUMENT naming {field}, got {reply:?}"
            )),
            Err(status) if status.code() != Code::InvalidArgument || !status.message().contains(field) => failures
                .push(format!(
                    "{what}: expected INVALID_ARGUMENT naming {field}, got {:?}: {}",
                    status.code(),
                    status.message()
                )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The limits themselves are accepted.
    for (what, request) in [
        (
            "query of 1,000 characters",
            SearchRequest {
                query: words(1_000),
                ..base.clone()
            },
        ),
        (
            "page_size 100",
            SearchRequest {
                page_size: 100,
                ..base.clone()
            },
        ),
        (
            "page_size 0",
            SearchRequest {
                page_size: 0,
                ..base.clone()
            },
        ),
        (
            "every kind named",
            SearchRequest {
                kinds: (1..=4).collect(),
                theme: 23,
                ..base.clone()
            },
        ),
    ] {
        let reply = client.search(request).await;
        assert!(reply.is_ok(), "{what} is a valid search: {reply:?}");
    }
}

// ---- what is never found ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawn_needs_offers_and_practices_are_no_longer_found() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let honduras = hub
        .register_written(
            "Instituto Nacional de Migración de Honduras",
            ActorKind::NationalGovernment,
            "HND",
            "es",
            "Control migratorio y atención a personas retornadas.",
        )
        .await;
    let icmpd = hub
        .register_written(
            "Border Management Academy",
            ActorKind::RegionalBody,
            "",
            "en",
            "Training for border and customs officers.",
        )
        .await;
    let need = hub
        .submit(written_need(
            &honduras.id,
            &[11],
            &["HND"],
            "es",
            "Lectores de pasaportes para el puesto de Agua Caliente",
            "El puesto fronterizo de Agua Caliente revisa los pasaportes a mano y las filas duran horas \
             en Semana Santa. Pedimos capacitación en lectores automáticos.",
        ))
        .await;
    let kept = hub
        .submit(written_need(
            &honduras.id,
            &[11],
            &["HND"],
            "es",
            "Turnos nocturnos en el puesto de El Amatillo",
            "En El Amatillo faltan oficiales de noche y los camiones esperan hasta el amanecer; \
             necesitamos formar a veinte oficiales nuevos.",
        ))
        .await;
    let offer = hub
        .offer(written_offer(
            &icmpd.id,
            &[11],
            &["HND"],
            "en",
            "Document examination course for land border posts",
            "Two weeks on spotting forged passports with ultraviolet lamps and magnifiers, taught at \
             the post itself.",
        ))
        .await;
    let practice = hub
        .publish(written_practice(
            &honduras.id,
            &[11],
            &["HND"],
            "es",
            "Ventanilla única en Corinto",
            "Desde 2022 migración y aduanas atienden juntas en Corinto, con un solo formulario para \
             camioneros guatemaltecos.",
        ))
        .await;
    let targets = [
        ("Agua Caliente", RecordKind::Need, need.id.clone()),
        ("ultraviolet", RecordKind::Offer, offer.id.clone()),
        ("Corinto", RecordKind::Practice, practice.id.clone()),
        ("Amatillo", RecordKind::Need, kept.id.clone()),
    ];
    for (query, kind, id) in &targets {
        hub.wait_until_found(search_request(query), *kind, id).await;
    }

    let withdrawn = hub
        .needs()
        .withdraw_need(WithdrawNeedRequest {
            id: need.id.clone(),
            reason: "the readers came from another donor".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(withdrawn.status, NeedStatus::Withdrawn as i32);
    hub.offers()
        .withdraw_offer(WithdrawOfferRequest {
            id: offer.id.clone(),
            reason: "no trainers this year".into(),
        })
        .await
        .unwrap();
    let practice_withdrawn = hub
        .practices()
        .withdraw_practice(WithdrawPracticeRequest {
            id: practice.id.clone(),
            reason: "the figures were wrong".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(practice_withdrawn.status, PracticeStatus::Withdrawn as i32);

    for (query, kind, id) in &targets[..3] {
        hub.wait_until_gone(search_request(query), *kind, id).await;
        let anywhere = hub.search_all(search_request(query)).await;
        assert!(
            !anywhere.iter().any(|hit| &hit.id == id),
            "{id} is withdrawn: {}",
            describe_hits(&anywhere)
        );
    }
    // A withdrawal takes out its record only.
    let hits = hub.search_all(search_request("Amatillo")).await;
    assert!(
        find_hit(&hits, RecordKind::Need, &kept.id).is_some(),
        "the open need is still found: {}",
        describe_hits(&hits)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actors_contact_is_never_searched_or_shown() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let contact = "Petronila Xiloj, petronila.xiloj@popnoj.example, +502 7765 4321";
    let actor = hub
        .register_with(RegisterActorRequest {
            name: "Asociación Pop No'j".into(),
            kind: ActorKind::CivilSociety as i32,
            country: "GTM".into(),
            languages: vec!["es".into()],
            description: "Acompaña a jóvenes mayas retornados en Huehuetenango con becas y talleres de \
                          oficios."
                .into(),
            contact: contact.into(),
            ..Default::default()
        })
        .await
        .actor
        .unwrap();
    // Indexed: found by a word of its description, and the hit shows no contact.
    let hit = hub
        .wait_until_found(search_request("Huehuetenango"), RecordKind::Actor, &actor.id)
        .await;
    assert_eq!(hit.title, actor.name);
    for part in ["Petronila", "Xiloj", "popnoj", "7765"] {
        assert!(
            !hit.snippet.contains(part),
            "the snippet shows the contact: {:?}",
            hit.snippet
        );
        assert!(
            !hit.title.contains(part),
            "the title shows the contact: {:?}",
            hit.title
        );
    }
    // Words of the contact find nothing, for anyone.
    let mut anonymous = SearchServiceClient::new(hub.channel());
    for query in ["Petronila", "Xiloj", "popnoj"] {
        let hits = hub.search_all(search_request(query)).await;
        assert!(
            hits.is_empty(),
            "{query:?} is only in a contact: {}",
            describe_hits(&hits)
        );
        let hits = anonymous.search(search_request(query)).await.unwrap().into_inner().hits;
        assert!(
            hits.is_empty(),
            "{query:?} is only in a contact: {}",
            describe_hits(&hits)
        );
    }
}

// ---- durability: SIGKILL during a write burst ------------------------------------------------

/// One town per crash cycle: each cycle's records carry its name, so one query finds them.
const CYCLE_TOWNS: [&str; 3] = ["Tapachula", "Esquipulas", "Chinandega"];
const WRITERS: usize = 3;
/// Writes per writer at most, so that a cycle's hits stay a few pages.
const WRITES_PER_WRITER: usize = 150;

/// Acknowledged writes: (cycle, kind, id).
type Acknowledged = Arc<Mutex<Vec<(usize, RecordKind, String)>>>;

/// Submits needs and practices (alternately) until the server dies; logs every reply.
async fn burst(channel: AdminChannel, requester: String, cycle: usize, writer: usize, log: Acknowledged) {
    let town = CYCLE_TOWNS[cycle];
    let mut needs = NeedServiceClient::new(channel.clone());
    let mut practices = PracticeServiceClient::new(channel);
    for n in 0..WRITES_PER_WRITER {
        let tag = format!("{cycle}-{writer}-{n}");
        if n % 2 == 0 {
            let request = SubmitNeedRequest {
                request_id: format!("need-{tag}"),
                ..written_need(
                    &requester,
                    &[4],
                    &["MEX"],
                    "es",
                    &format!("Actas de nacimiento en el consulado de {town}, lote {tag}"),
                    &format!(
                        "El consulado en {town} registra cada mes a recién nacidos de familias migrantes \
                         y necesita apoyo para digitalizar las actas del lote {tag}."
                    ),
                )
            };
            let Ok(reply) = needs.submit_need(request).await else {
                return;
            };
            log.lock()
                .unwrap()
                .push((cycle, RecordKind::Need, reply.into_inner().id));
        } else {
            let request = SubmitPracticeRequest {
                request_id: format!("practice-{tag}"),
                ..written_practice(
                    &requester,
                    &[4],
                    &["MEX"],
                    "es",
                    &format!("Registro civil móvil en {town}, jornada {tag}"),
                    &format!(
                        "Un equipo del consulado visitó los albergues de {town} y registró nacimientos \
                         durante la jornada {tag}."
                    ),
                )
            };
            let Ok(reply) = practices.submit_practice(request).await else {
                return;
            };
            log.lock()
                .unwrap()
                .push((cycle, RecordKind::Practice, reply.into_inner().id));
        }
    }
}

/// Polls until every acknowledged write of every cycle so far is found by its cycle's query.
async fn verify_found(channel: AdminChannel, acknowledged: &[(usize, RecordKind, String)], cycles: usize) {
    let client = SearchServiceClient::new(channel);
    for (cycle, town) in CYCLE_TOWNS.iter().enumerate().take(cycles) {
        let expected: BTreeSet<Key> = acknowledged
            .iter()
            .filter(|(c, _, _)| *c == cycle)
            .map(|(_, kind, id)| key(*kind, id))
            .collect();
        let request = search_kinds(town, &[RecordKind::Need, RecordKind::Practice]);
        eventually(
            &format!(
                "after a restart, Search({town:?}) finds the {} acknowledged writes of cycle {cycle}",
                expected.len()
            ),
            async || {
                let hits = collect_pages(request.clone(), |mut request, token| {
                    request.page_token = token;
                    let mut client = client.clone();
                    async move {
                        let page = client.search(request).await?.into_inner();
                        Ok((page.hits, page.next_page_token))
                    }
                })
                .await
                .unwrap_or_else(|status| panic!("Search({town:?}) failed after a restart: {status:?}"));
                let found = keys(&hits);
                let missing: BTreeSet<Key> = expected.difference(&found).cloned().collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(format!("{} missing: {}", missing.len(), show(&missing)))
                }
            },
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_is_found_after_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(dir.path());
    let requester = ActorServiceClient::new(server.channel().await)
        .register_actor(RegisterActorRequest {
            name: "Consulado General de Guatemala en Tapachula".into(),
            kind: ActorKind::NationalGovernment as i32,
            country: "GTM".into(),
            languages: vec!["es".into()],
            request_id: "consulado".into(),
            ..Default::default()
        })
        .await
        .expect("RegisterActor")
        .into_inner()
        .actor
        .unwrap()
        .id;
    let log: Acknowledged = Arc::default();
    for cycle in 0..CYCLE_TOWNS.len() {
        let channel = server.channel().await;
        let mut writers = tokio::task::JoinSet::new();
        for writer in 0..WRITERS {
            writers.spawn(burst(
                channel.clone(),
                requester.clone(),
                cycle,
                writer,
                Arc::clone(&log),
            ));
        }
        let pause = rand::rng().random_range(100..400);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        server.kill();
        // The writers see the server die and stop; only replies that arrived are in the log.
        while writers.join_next().await.is_some() {}
        server = ServerProcess::start(dir.path());
        let acknowledged = log.lock().unwrap().clone();
        verify_found(server.channel().await, &acknowledged, cycle + 1).await;
    }
    let acknowledged = log.lock().unwrap().len();
    eprintln!(
        "{} SIGKILL cycles: {acknowledged} acknowledged needs and practices, all found by Search after restarts",
        CYCLE_TOWNS.len()
    );
    assert!(
        acknowledged >= CYCLE_TOWNS.len(),
        "the writers got writes acknowledged between crashes ({acknowledged})"
    );
    server.kill();
}

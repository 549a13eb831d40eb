//! MatchService.FindRelated and SubmitNeed's related_count, black-box: a practice on the topic
//! of a need is related to it (and found by Search); a completed match's lessons reach a similar
//! new need of another requester, as a past need and as the practice the completion published;
//! other requesters' open needs on the same objective and region are related, never the need
//! itself nor its requester's own open needs nor needs of another region or objective; a
//! withdrawn practice drops out; limits and errors.
//!
//! Related items follow writes with the index's lag: tests poll for what must appear, and check
//! what must not appear only once everything else has appeared.

mod common;

use common::*;
use tonic::Code;

fn ids_of_kind(items: &[RelatedItem], kind: RelatedKind) -> Vec<String> {
    items
        .iter()
        .filter(|item| item.kind == kind as i32)
        .map(|item| item.id.clone())
        .collect()
}

#[track_caller]
fn assert_all_well_formed(items: &[RelatedItem]) {
    for item in items {
        assert_related_item_well_formed(item);
    }
}

// ---- practices -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_practice_on_the_topic_of_a_need_is_related_to_it_and_found_by_search() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let costa_rica = hub
        .register_written(
            "Dirección General de Migración y Extranjería",
            ActorKind::NationalGovernment,
            "CRI",
            "es",
            "Control migratorio de Costa Rica.",
        )
        .await;
    let cebu = hub
        .register_written(
            "Cebu Overseas Families Cooperative",
            ActorKind::CivilSociety,
            "PHL",
            "en",
            "Savings groups of families of seafarers.",
        )
        .await;
    let panama = hub
        .register_written(
            "Servicio Nacional de Migración de Panamá",
            ActorKind::NationalGovernment,
            "PAN",
            "es",
            "Control migratorio de Panamá.",
        )
        .await;
    let practice = hub
        .publish(SubmitPracticeRequest {
            results: "41 víctimas derivadas en 2022, frente a 6 en 2020.".into(),
            lessons_learned: "La guía funcionó cuando la oficial tenía tiempo de hablar a solas con \
                              cada persona."
                .into(),
            ..written_practice(
                &costa_rica.id,
                &[10, 11],
                &["CRI"],
                "es",
                "Entrevistas de detección en el puesto de Peñas Blancas",
                "Desde 2021 los oficiales de migración en Peñas Blancas aplican una guía de entrevista \
                 breve para detectar víctimas de trata de personas entre quienes cruzan desde Nicaragua. \
                 Los casos se derivan el mismo día a la coalición nacional contra la trata.",
            )
        })
        .await;
    let unrelated = hub
        .publish(written_practice(
            &cebu.id,
            &[20],
            &["PHL"],
            "en",
            "Pooled remittance accounts for seafarers' families",
            "Families pooled the money sent home by seafarers into a cooperative account and cut \
             transfer fees by half.",
        ))
        .await;
    hub.wait_until_found(search_request("Peñas Blancas"), RecordKind::Practice, &practice.id)
        .await;
    hub.wait_until_found(search_request("seafarers"), RecordKind::Practice, &unrelated.id)
        .await;

    let need = hub
        .submit(written_need(
            &panama.id,
            &[10, 11],
            &["PAN"],
            "es",
            "Identificar víctimas de trata en Paso Canoas",
            "Nuestros agentes en el paso fronterizo de Paso Canoas no saben reconocer a víctimas de \
             trata entre los viajeros que llegan de Costa Rica. Buscamos capacitación y una \
             herramienta sencilla para las primeras preguntas.",
        ))
        .await;
    assert!(
        need.related_count >= 1,
        "the practice was indexed before the need was submitted: related_count {}",
        need.related_count
    );

    let items = hub
        .wait_until_related("the practice on the same topic", &need.id, |items| {
            find_item(items, RelatedKind::Practice, &practice.id).is_some()
        })
        .await;
    assert_all_well_formed(&items);
    let item = find_item(&items, RelatedKind::Practice, &practice.id).unwrap();
    assert_eq!(item.title, practice.title);
    assert_eq!(item.actor_id, costa_rica.id, "a practice's actor is its author");
    assert!(
        item.match_id.is_empty() && item.rating == 0,
        "not from a match: {item:?}"
    );
    assert!(
        !items.iter().any(|item| item.id == need.id),
        "a need is never related to itself: {items:#?}"
    );
    assert!(
        !items.iter().any(|item| item.id == unrelated.id),
        "a practice on remittances in Asia shares nothing with the need: {items:#?}"
    );

    // Search finds the practice by the need's concern too, through its words.
    let hit = hub
        .wait_until_found(
            search_kinds("víctimas de trata", &[RecordKind::Practice]),
            RecordKind::Practice,
            &practice.id,
        )
        .await;
    assert_eq!(hit.title, practice.title);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_practice_is_no_longer_related_or_found() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let morocco = hub
        .register_written(
            "Ministère chargé des Marocains résidant à l'étranger",
            ActorKind::NationalGovernment,
            "MAR",
            "fr",
            "Accompagne les Marocains du monde et leurs familles.",
        )
        .await;
    let tunisia = hub
        .register_written(
            "Office des Tunisiens à l'étranger",
            ActorKind::NationalGovernment,
            "TUN",
            "fr",
            "Accompagne les Tunisiens résidant à l'étranger.",
        )
        .await;
    let practice = hub
        .publish(written_practice(
            &morocco.id,
            &[19],
            &["MAR"],
            "fr",
            "Mentorat de jeunes entrepreneurs par la diaspora à Tanger",
            "Des ingénieurs marocains installés en France ont accompagné pendant un an trente jeunes \
             créateurs d'entreprise de Tanger, par visioconférence et lors de deux séjours.",
        ))
        .await;
    let need = hub
        .submit(written_need(
            &tunisia.id,
            &[19],
            &["TUN"],
            "fr",
            "Associer les compétences de la diaspora aux jeunes entreprises de Sfax",
            "Nous voulons mettre en relation des cadres tunisiens vivant en Europe avec de jeunes \
             entrepreneurs de Sfax, et cherchons une méthode de mentorat qui a fait ses preuves.",
        ))
        .await;
    hub.wait_until_found(search_request("Tanger"), RecordKind::Practice, &practice.id)
        .await;
    hub.wait_until_related("the diaspora mentoring practice", &need.id, |items| {
        find_item(items, RelatedKind::Practice, &practice.id).is_some()
    })
    .await;

    let withdrawn = hub
        .practices()
        .withdraw_practice(WithdrawPracticeRequest {
            id: practice.id.clone(),
            reason: "the programme was evaluated and closed".into(),
        })
        .await
        .expect("WithdrawPractice")
        .into_inner();
    assert_eq!(withdrawn.status, PracticeStatus::Withdrawn as i32);

    let items = hub
        .wait_until_related("the withdrawn practice gone", &need.id, |items| {
            !items.iter().any(|item| item.id == practice.id)
        })
        .await;
    assert_all_well_formed(&items);
    hub.wait_until_gone(search_request("Tanger"), RecordKind::Practice, &practice.id)
        .await;
    assert_eq!(
        hub.get_practice(&practice.id).await.status,
        PracticeStatus::Withdrawn as i32,
        "GetPractice still returns it"
    );
}

// ---- completed matches -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_matchs_lessons_reach_a_similar_need_of_another_requester() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let honduras = hub
        .register_written(
            "Dirección de Niñez, Adolescencia y Familia",
            ActorKind::NationalGovernment,
            "HND",
            "es",
            "Protección de la niñez en Honduras.",
        )
        .await;
    let unicef = hub
        .register_written(
            "UNICEF Oficina Regional para América Latina",
            ActorKind::UnEntity,
            "PAN",
            "es",
            "Protección de la infancia en la región.",
        )
        .await;
    let guatemala = hub
        .register_written(
            "Secretaría de Bienestar Social",
            ActorKind::NationalGovernment,
            "GTM",
            "es",
            "Programas sociales para la niñez de Guatemala.",
        )
        .await;
    let el_salvador = hub
        .register_written(
            "Consejo Nacional de la Primera Infancia, Niñez y Adolescencia",
            ActorKind::NationalGovernment,
            "SLV",
            "es",
            "Rector de las políticas de niñez en El Salvador.",
        )
        .await;

    let first = hub
        .submit(written_need(
            &honduras.id,
            &[7, 21],
            &["HND"],
            "es",
            "Atención a niñez retornada en el Centro Belén",
            "En el Centro de Atención a Niñez y Familias Migrantes Belén, en San Pedro Sula, recibimos \
             cada semana a niñas y niños retornados desde México. Necesitamos formar al personal en \
             entrevistas adaptadas a su edad y en la búsqueda de familiares.",
        ))
        .await;
    let offer = hub
        .offer(written_offer(
            &unicef.id,
            &[7, 21],
            &["HND", "GTM", "SLV"],
            "es",
            "Formación en protección de niñez migrante retornada",
            "Curso de cinco días para equipos de centros de recepción: entrevistas con enfoque de \
             edad, reunificación familiar y derivación a escuelas.",
        ))
        .await;
    let proposed = hub.propose(&first.id, &offer.id).await;
    hub.respond(&proposed.id, &honduras.id, true).await;
    hub.respond(&proposed.id, &unicef.id, true).await;
    let lessons = "En el Centro Belén las entrevistas salieron mejor con una psicóloga presente; la \
                   búsqueda de familiares se atrasó porque los registros consulares no estaban \
                   digitalizados.";
    let completed = hub.complete(&proposed.id, &honduras.id, 4, lessons).await;
    assert_eq!(completed.status, MatchStatus::Completed as i32);

    // The completion is published as a practice of both actors, which Search finds.
    let practice = eventually("the completed match is published as a practice", async || {
        let practices = hub
            .all_practices(ListPracticesRequest {
                author_id: honduras.id.clone(),
                ..Default::default()
            })
            .await;
        practices
            .iter()
            .find(|p| p.match_id == proposed.id)
            .cloned()
            .ok_or_else(|| format!("{practices:#?}"))
    })
    .await;
    assert!(practice.partner_ids.contains(&unicef.id), "{practice:?}");
    assert_eq!((practice.rating, practice.lessons_learned.as_str()), (4, lessons));
    hub.wait_until_found(
        search_kinds("Centro Belén", &[RecordKind::Practice]),
        RecordKind::Practice,
        &practice.id,
    )
    .await;

    // Another requester, another country of the region, the same concern in its own words.
    let second = hub
        .submit(written_need(
            &guatemala.id,
            &[7, 21],
            &["GTM"],
            "es",
            "Recepción de menores deportados en el aeropuerto La Aurora",
            "En La Aurora llegan vuelos con menores deportados desde Estados Unidos. El personal de la \
             Secretaría no tiene pautas para conversar con ellos ni para localizar a sus parientes.",
        ))
        .await;
    let items = hub
        .wait_until_related("the completed need and its practice", &second.id, |items| {
            find_item(items, RelatedKind::PastNeed, &first.id).is_some()
                && find_item(items, RelatedKind::Practice, &practice.id).is_some()
        })
        .await;
    assert_all_well_formed(&items);
    let past = find_item(&items, RelatedKind::PastNeed, &first.id).unwrap();
    assert_eq!(past.need_status, NeedStatus::Fulfilled as i32, "rated 4: fulfilled");
    assert_eq!(past.rating, 4);
    assert_eq!(past.lessons_learned, lessons);
    assert_eq!(past.match_id, proposed.id);
    assert_eq!(past.actor_id, honduras.id, "a need's actor is its requester");
    assert_eq!(past.title, first.title);
    let published = find_item(&items, RelatedKind::Practice, &practice.id).unwrap();
    assert_eq!(published.match_id, proposed.id);
    assert_eq!(published.rating, 4);
    assert_eq!(published.lessons_learned, lessons);
    assert_eq!(published.actor_id, honduras.id, "the requester authored the practice");
    assert!(
        !items.iter().any(|item| item.id == second.id),
        "a need is never related to itself: {items:#?}"
    );

    // A third requester's need: related_count is what FindRelated finds.
    hub.wait_until_found(search_request("La Aurora"), RecordKind::Need, &second.id)
        .await;
    let third = hub
        .submit(written_need(
            &el_salvador.id,
            &[7, 21],
            &["SLV"],
            "es",
            "Acogida de niñas y niños que regresan por La Hachadura",
            "Por la frontera de La Hachadura vuelven familias con hijos pequeños tras ser devueltas. \
             Queremos preparar a las técnicas del Consejo para escucharlos y reunirlos con sus \
             familias.",
        ))
        .await;
    let found = hub.related(&third.id, 50).await;
    assert_all_well_formed(&found);
    assert_eq!(
        third.related_count as usize,
        found.len(),
        "related_count is how many related items FindRelated finds: {found:#?}"
    );
    assert!(
        find_item(&found, RelatedKind::OpenNeed, &second.id).is_some(),
        "another requester's open need on the same objectives in Central America: {found:#?}"
    );
    assert!(
        found.len() >= 3,
        "the past need, the practice and the open need: {found:#?}"
    );
}

// ---- open needs ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_needs_of_other_requesters_in_the_region_are_related_but_never_ones_own() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let register = |name: &'static str, country: &'static str, language: &'static str| {
        let hub = &hub;
        async move {
            hub.register_written(name, ActorKind::NationalGovernment, country, language, "")
                .await
        }
    };
    let mexico = register("Instituto Nacional de Migración", "MEX", "es").await;
    let guatemala = register("Instituto Guatemalteco de Migración", "GTM", "es").await;
    let south_africa = register("Department of Home Affairs", "ZAF", "en").await;
    let honduras = register("Secretaría de Desarrollo Social", "HND", "es").await;
    let quetzaltenango = register("Municipalidad de Quetzaltenango", "GTM", "es").await;

    // The need whose related items are read.
    let subject = hub
        .submit(written_need(
            &mexico.id,
            &[13],
            &["MEX"],
            "es",
            "Alternativas a la detención para familias en Tapachula",
            "La estación migratoria de Tapachula está saturada y las familias con hijos pasan semanas \
             encerradas. Queremos un programa de gestión de casos en la comunidad, con albergues de la \
             sociedad civil, y formar a treinta agentes.",
        ))
        .await;
    // The same requester's other open need on the same topic: never an OPEN_NEED of its own.
    let own = hub
        .submit(written_need(
            &mexico.id,
            &[13],
            &["MEX"],
            "es",
            "Casas de acogida para adolescentes en Acayucan",
            "En la estación de Acayucan retenemos a adolescentes que viajan solos. Buscamos apoyo para \
             que esperen su trámite en casas de acogida y no en celdas.",
        ))
        .await;
    // Same objective, another region.
    let far = hub
        .submit(written_need(
            &south_africa.id,
            &[13],
            &["ZAF"],
            "en",
            "Alternatives to detention at Lindela",
            "Lindela Repatriation Centre holds people for months pending deportation. We want community \
             case management for families with children and training for forty immigration officers.",
        ))
        .await;
    // Same region, another objective.
    let off_topic = hub
        .submit(written_need(
            &honduras.id,
            &[20],
            &["HND"],
            "es",
            "Abaratar el envío de remesas a Olancho",
            "Las familias de Olancho pagan comisiones altas por el dinero que reciben de Estados Unidos. \
             Pedimos un estudio de costos y una campaña en la radio.",
        ))
        .await;
    // Same objective and region, withdrawn: its requester took it back, so it is not offered
    // as related (withdrawn records are not findable anywhere).
    let withdrawn = hub
        .submit(written_need(
            &quetzaltenango.id,
            &[13],
            &["GTM"],
            "es",
            "Gestión de casos en lugar de encierro en Quetzaltenango",
            "El albergue municipal de Quetzaltenango recibe a familias detenidas en la frontera. \
             Queríamos formar a trabajadoras sociales en gestión de casos comunitaria.",
        ))
        .await;
    hub.needs()
        .withdraw_need(WithdrawNeedRequest {
            id: withdrawn.id.clone(),
            reason: "the municipality funded it itself".into(),
        })
        .await
        .expect("WithdrawNeed");
    // Same objective and region, another requester, open.
    let neighbour = hub
        .submit(written_need(
            &guatemala.id,
            &[13],
            &["GTM"],
            "es",
            "Casas abiertas para familias en Tecún Umán",
            "En Tecún Umán el Instituto retiene a familias en un albergue cerrado. Pedimos asesoría \
             para pasar a un modelo abierto con trabajadoras sociales que den seguimiento a cada caso.",
        ))
        .await;
    // Everything is indexed before the absences are read.
    for (query, id) in [
        ("Acayucan", &own.id),
        ("Lindela", &far.id),
        ("Olancho", &off_topic.id),
        ("Tecún Umán", &neighbour.id),
    ] {
        hub.wait_until_found(search_request(query), RecordKind::Need, id).await;
    }

    let items = hub
        .wait_until_related("the neighbour's open need", &subject.id, |items| {
            find_item(items, RelatedKind::OpenNeed, &neighbour.id).is_some()
        })
        .await;
    assert_all_well_formed(&items);
    let open = find_item(&items, RelatedKind::OpenNeed, &neighbour.id).unwrap();
    assert_eq!(open.actor_id, guatemala.id);
    assert_eq!(open.title, neighbour.title);
    for (id, why) in [
        (&withdrawn.id, "a withdrawn need"),
        (&subject.id, "the need itself"),
        (&own.id, "the requester's own open need"),
        (&far.id, "an open need in another region"),
        (&off_topic.id, "an open need on another objective"),
    ] {
        assert!(
            !items.iter().any(|item| &item.id == id),
            "{why} ({id}) is not related: {items:#?}"
        );
    }

    // The other way round: the subject is the neighbour's related open need.
    let theirs = hub
        .wait_until_related("the subject as an open need", &neighbour.id, |items| {
            find_item(items, RelatedKind::OpenNeed, &subject.id).is_some()
        })
        .await;
    assert_all_well_formed(&theirs);
    assert!(
        find_item(&theirs, RelatedKind::OpenNeed, &own.id).is_some(),
        "the requester's second need is another requester's open need for Guatemala: {theirs:#?}"
    );
}

// ---- limits and errors -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let chiapas = hub
        .register_written(
            "Secretaría del Trabajo de Chiapas",
            ActorKind::LocalAuthority,
            "MEX",
            "es",
            "",
        )
        .await;
    let subject = hub
        .submit(written_need(
            &chiapas.id,
            &[6],
            &["MEX"],
            "es",
            "Contratación justa de jornaleros para las fincas de café",
            "Los jornaleros guatemaltecos que llegan a las fincas de café del Soconusco pagan a \
             enganchadores. Queremos un registro de contratistas y formar a inspectores.",
        ))
        .await;
    assert_eq!(subject.related_count, 0, "nothing else exists yet");
    assert!(hub.related(&subject.id, 0).await.is_empty(), "nothing else exists yet");

    // Twelve municipalities of the region ask for the same thing in their own words.
    const TOWNS: [(&str, &str, &str); 12] = [
        ("Municipalidad de Malacatán", "GTM", "café"),
        ("Municipalidad de Cuilco", "GTM", "caña"),
        ("Municipalidad de Jacaltenango", "GTM", "café"),
        ("Municipalidad de Nentón", "GTM", "banano"),
        ("Municipalidad de Santa Rosa de Copán", "HND", "café"),
        ("Municipalidad de Choluteca", "HND", "melón"),
        ("Alcaldía de Ahuachapán", "SLV", "café"),
        ("Alcaldía de Chalatenango", "SLV", "caña"),
        ("Alcaldía de Estelí", "NIC", "tabaco"),
        ("Alcaldía de Matagalpa", "NIC", "café"),
        ("Municipalidad de Upala", "CRI", "piña"),
        ("Municipio de Changuinola", "PAN", "banano"),
    ];
    let mut expected = Vec::new();
    for (name, country, crop) in TOWNS {
        let town = name.rsplit(" de ").next().unwrap();
        let actor = hub
            .register_written(name, ActorKind::LocalAuthority, country, "es", "")
            .await;
        let need = hub
            .submit(written_need(
                &actor.id,
                &[6],
                &[country],
                "es",
                &format!("Registro de contratistas para la cosecha de {crop}"),
                &format!(
                    "Cada temporada salen de {town} cuadrillas para la cosecha de {crop} y los \
                     contratistas les cobran por el viaje y el empleo. Pedimos apoyo para un registro \
                     municipal de contratistas y orientación a las familias."
                ),
            ))
            .await;
        expected.push(need.id);
    }
    let all = hub
        .wait_until_related("the twelve open needs", &subject.id, |items| {
            expected
                .iter()
                .all(|id| find_item(items, RelatedKind::OpenNeed, id).is_some())
        })
        .await;
    assert_all_well_formed(&all);
    assert_eq!(
        ids_of_kind(&all, RelatedKind::OpenNeed).len(),
        12,
        "each open need once: {all:#?}"
    );

    let default = hub.related(&subject.id, 0).await;
    assert_eq!(default.len(), 10, "limit 0 means 10");
    let three = hub.related(&subject.id, 3).await;
    assert_eq!(three.len(), 3);
    for item in default.iter().chain(&three) {
        assert!(
            all.iter().any(|other| other.id == item.id),
            "{} is not among the items of limit 50",
            item.id
        );
    }
    assert_eq!(hub.related(&subject.id, 50).await.len(), all.len());

    let mut client = hub.matches();
    assert_status(
        client
            .find_related(FindRelatedRequest {
                need_id: subject.id.clone(),
                limit: 51,
            })
            .await,
        Code::InvalidArgument,
        "limit",
    );
    assert_status(
        client
            .find_related(FindRelatedRequest {
                need_id: "need-999999".into(),
                limit: 10,
            })
            .await,
        Code::NotFound,
        "need-999999",
    );
    // Open to everyone.
    let anonymous = MatchServiceClient::new(hub.channel())
        .find_related(FindRelatedRequest {
            need_id: subject.id.clone(),
            limit: 50,
        })
        .await
        .expect("FindRelated is open to everyone")
        .into_inner()
        .items;
    assert_eq!(anonymous.len(), all.len());
}

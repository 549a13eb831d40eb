//! Titles and descriptions for synthetic records, written from the glossary's terms of the
//! record's objectives in the record's language, in sentence frames a requester or a provider
//! would use: titles of 5 to 15 words, descriptions of 30 to 120, so benchmarks read text of
//! realistic length and vocabulary.

use rand::Rng;
use rand::rngs::StdRng;

use crate::domain::Objective;
use crate::text::glossary::Concept;
use crate::text::{Language, glossary};

/// Sentence frames of one language: `{t}` is a term of the record's objectives, `{g}` a general
/// capacity-development term, `{p}` the place.
struct Frames {
    need_titles: &'static [&'static str],
    offer_titles: &'static [&'static str],
    need_sentences: &'static [&'static str],
    offer_sentences: &'static [&'static str],
}

const ENGLISH: Frames = Frames {
    need_titles: &[
        "Support needed on {t} and {g} in {p}",
        "Our officials need help with {t}",
        "Building local capacity for {t} and {t}",
        "Request for {g} on {t} for national staff",
    ],
    offer_titles: &[
        "{g} on {t} for government officials",
        "Practical {g} on {t} and {t}",
        "We share our experience of {t} with {p}",
        "{t}: {g} and follow-up coaching",
    ],
    need_sentences: &[
        "Our ministry has few staff trained in {t}, and cases are growing in {p}.",
        "We would like {g} for about forty officials working on {t}.",
        "Local authorities ask for guidance on {t} and on {t}.",
        "Last year we tried to set up {t} without success, mostly for lack of {g}.",
        "Any partner with experience of {t} in a similar context would be welcome.",
        "The request covers {t}, {t} and the coordination between agencies.",
        "We can host a study visit and cover part of the costs of {g}.",
    ],
    offer_sentences: &[
        "We have delivered {g} on {t} to more than twenty governments.",
        "Our team combines {t} with {g} adapted to each country.",
        "The programme covers {t}, {t} and monitoring of results.",
        "Sessions are run by practitioners with field experience in {p}.",
        "We also provide {g} and materials on {t} after the course.",
        "Participants learn to apply {t} in their daily work.",
        "The offer includes {g}, peer support and an evaluation after six months.",
    ],
};

const FRENCH: Frames = Frames {
    need_titles: &[
        "Appui demandé sur {t} et {g} ({p})",
        "Nos agents ont besoin d'aide en matière de {t}",
        "Renforcer les capacités locales pour {t} et {t}",
        "Demande de {g} sur {t} pour le personnel national",
    ],
    offer_titles: &[
        "{g} sur {t} pour les fonctionnaires",
        "{g} pratique sur {t} et {t}",
        "Nous partageons notre expérience de {t} avec {p}",
        "{t} : {g} et accompagnement",
    ],
    need_sentences: &[
        "Notre ministère compte peu d'agents formés en {t}, et les cas augmentent dans le pays ({p}).",
        "Nous souhaitons une {g} pour une quarantaine d'agents chargés de {t}.",
        "Les autorités locales demandent des conseils sur {t} et sur {t}.",
        "L'an dernier nous avons tenté de mettre en place {t}, sans succès, faute de {g}.",
        "Tout partenaire ayant l'expérience de {t} dans un contexte proche serait le bienvenu.",
        "La demande porte sur {t}, {t} et la coordination entre les services.",
        "Nous pouvons accueillir une visite d'étude et prendre en charge une partie de la {g}.",
    ],
    offer_sentences: &[
        "Nous avons assuré une {g} sur {t} auprès de plus de vingt gouvernements.",
        "Notre équipe associe {t} et {g} adaptée à chaque pays.",
        "Le programme couvre {t}, {t} et le suivi des résultats.",
        "Les sessions sont animées par des praticiens ayant une expérience de terrain ({p}).",
        "Nous fournissons aussi une {g} et des supports sur {t} après la formation.",
        "Les participants apprennent à appliquer {t} dans leur travail quotidien.",
        "L'offre comprend une {g}, un appui entre pairs et une évaluation après six mois.",
    ],
};

const SPANISH: Frames = Frames {
    need_titles: &[
        "Se solicita apoyo en {t} y {g} en {p}",
        "Nuestros funcionarios necesitan ayuda con {t}",
        "Fortalecer las capacidades locales en {t} y {t}",
        "Solicitud de {g} sobre {t} para personal nacional",
    ],
    offer_titles: &[
        "{g} sobre {t} para funcionarios públicos",
        "{g} práctica sobre {t} y {t}",
        "Compartimos nuestra experiencia en {t} con {p}",
        "{t}: {g} y acompañamiento",
    ],
    need_sentences: &[
        "Nuestro ministerio tiene poco personal capacitado en {t}, y los casos aumentan en {p}.",
        "Quisiéramos una {g} para unos cuarenta funcionarios que trabajan en {t}.",
        "Las autoridades locales piden orientación sobre {t} y sobre {t}.",
        "El año pasado intentamos poner en marcha {t} sin éxito, sobre todo por falta de {g}.",
        "Sería bienvenido cualquier socio con experiencia en {t} en un contexto parecido.",
        "La solicitud abarca {t}, {t} y la coordinación entre instituciones.",
        "Podemos recibir una visita de estudio y cubrir parte de los costos de la {g}.",
    ],
    offer_sentences: &[
        "Hemos impartido {g} sobre {t} a más de veinte gobiernos.",
        "Nuestro equipo combina {t} con una {g} adaptada a cada país.",
        "El programa abarca {t}, {t} y el seguimiento de resultados.",
        "Las sesiones las imparten profesionales con experiencia de terreno en {p}.",
        "También ofrecemos {g} y materiales sobre {t} después del curso.",
        "Los participantes aprenden a aplicar {t} en su trabajo diario.",
        "La oferta incluye {g}, apoyo entre pares y una evaluación a los seis meses.",
    ],
};

/// The languages synthetic texts are written in: those the frames exist for.
pub(super) const WRITTEN: [Language; 3] = [Language::English, Language::French, Language::Spanish];

fn frames(language: Language) -> &'static Frames {
    match language {
        Language::French => &FRENCH,
        Language::Spanish => &SPANISH,
        _ => &ENGLISH,
    }
}

/// Which side of the hub a text is written from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Side {
    Need,
    Offer,
}

/// The glossary's concepts filed by objective (0: general ones), drawn from for every text.
pub(super) struct Prose {
    by_objective: Vec<Vec<&'static Concept>>,
}

impl Prose {
    /// Files the compiled glossary's concepts.
    pub(super) fn new() -> Prose {
        let mut by_objective = vec![Vec::new(); 24];
        for concept in glossary().concepts() {
            if concept.objectives.is_empty() {
                by_objective[0].push(concept);
            }
            for objective in &concept.objectives {
                by_objective[objective.number() as usize].push(concept);
            }
        }
        Prose { by_objective }
    }

    /// A title and a description about `themes` in `language`, mentioning `place`.
    pub(super) fn write(
        &self,
        rng: &mut StdRng,
        side: Side,
        language: Language,
        themes: &[Objective],
        place: &str,
    ) -> (String, String) {
        let frames = frames(language);
        let (titles, sentences) = match side {
            Side::Need => (frames.need_titles, frames.need_sentences),
            Side::Offer => (frames.offer_titles, frames.offer_sentences),
        };
        let mut title = self.fill(rng, titles, language, themes, place);
        while words(&title) > 15 {
            title = self.fill(rng, titles, language, themes, place);
        }
        let target = rng.random_range(30..=120);
        let mut description = String::new();
        while words(&description) < target {
            let sentence = self.fill(rng, sentences, language, themes, place);
            if words(&description) + words(&sentence) > 120 {
                break;
            }
            if !description.is_empty() {
                description.push(' ');
            }
            description.push_str(&sentence);
        }
        (title, description)
    }

    /// One of `frames` with its slots filled.
    fn fill(&self, rng: &mut StdRng, frames: &[&str], language: Language, themes: &[Objective], place: &str) -> String {
        let frame = frames[rng.random_range(0..frames.len())];
        let mut out = String::with_capacity(frame.len() + 64);
        let mut rest = frame;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let end = (start + 3).min(rest.len());
            match &rest[start..end] {
                "{t}" => {
                    let theme = themes.get(rng.random_range(0..themes.len().max(1)));
                    out.push_str(self.term(rng, language, theme.map_or(0, |t| t.number() as usize)));
                }
                "{g}" => out.push_str(self.term(rng, language, 0)),
                "{p}" => out.push_str(place),
                other => out.push_str(other),
            }
            rest = &rest[end..];
        }
        out.push_str(rest);
        let mut letters = out.chars();
        match letters.next() {
            Some(first) => first.to_uppercase().chain(letters).collect(),
            None => out,
        }
    }

    /// A term in `language` of a concept of `objective` (0: a general one).
    fn term(&self, rng: &mut StdRng, language: Language, objective: usize) -> &'static str {
        let concepts = match &self.by_objective[objective] {
            none if none.is_empty() => &self.by_objective[0],
            some => some,
        };
        let Some(concept) = concepts.get(rng.random_range(0..concepts.len().max(1))) else {
            return "capacity";
        };
        let terms = match concept.terms(language) {
            [] => concept.terms(Language::English),
            terms => terms,
        };
        terms
            .get(rng.random_range(0..terms.len().max(1)))
            .map_or("capacity", String::as_str)
    }
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

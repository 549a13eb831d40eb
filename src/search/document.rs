//! What search sees of each record: its public words and where it applies, and the document the
//! index files for it.

use tantivy::TantivyDocument;
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{PreTokenizedString, Token};

use super::RecordKind;
use crate::domain::{Actor, Need, NeedStatus, Objective, Offer, OfferStatus, Practice, geography};
use crate::store::{Record, Store, StoreError};
use crate::text::analysis::{TextPart, for_each_placed_term};
use crate::text::{Language, record_language};

/// A record as search sees it: public fields only (an actor's contact is never read here).
#[derive(Debug, Clone)]
pub struct Searchable {
    pub kind: RecordKind,
    pub number: u64,
    pub id: String,
    pub title: String,
    /// The words under the title: a description, and a practice's results and lessons.
    pub body: String,
    /// The language the title and body are read in.
    pub language: Option<Language>,
    pub themes: Vec<Objective>,
    /// Every country the record is about: a need's or a practice's countries, every country an
    /// offer covers, an actor's own country.
    pub countries: Vec<String>,
}

impl Searchable {
    fn new(kind: RecordKind, id: &str, title: &str, body: String, languages: &[String]) -> Searchable {
        Searchable {
            kind,
            number: 0,
            id: id.to_string(),
            title: title.to_string(),
            language: record_language(title, &body, languages),
            body,
            themes: Vec::new(),
            countries: Vec::new(),
        }
    }

    /// A need, unless withdrawn: past needs stay findable, with how they ended.
    fn of_need(need: &Need) -> Option<Searchable> {
        let spec = &need.spec;
        (need.status != NeedStatus::Withdrawn).then(|| Searchable {
            themes: spec.themes.clone(),
            countries: spec.countries.clone(),
            ..Searchable::new(
                RecordKind::Need,
                &need.id,
                &spec.title,
                spec.description.clone(),
                &spec.languages,
            )
        })
    }

    /// An offer, unless withdrawn.
    fn of_offer(offer: &Offer) -> Option<Searchable> {
        let spec = &offer.spec;
        let coverage = &spec.coverage;
        let countries: Vec<String> = geography::countries()
            .iter()
            .filter(|country| {
                coverage.worldwide
                    || coverage.countries.iter().any(|c| c == country.alpha3)
                    || coverage.areas.iter().any(|area| country.area_fit(area).is_some())
            })
            .map(|country| country.alpha3.to_string())
            .collect();
        (offer.status != OfferStatus::Withdrawn).then(|| Searchable {
            themes: spec.themes.clone(),
            countries,
            ..Searchable::new(
                RecordKind::Offer,
                &offer.id,
                &spec.title,
                spec.description.clone(),
                &spec.languages,
            )
        })
    }

    /// A practice, while published.
    fn of_practice(practice: &Practice) -> Option<Searchable> {
        let spec = &practice.spec;
        practice.is_published().then(|| Searchable {
            themes: spec.themes.clone(),
            countries: spec.countries.clone(),
            ..Searchable::new(
                RecordKind::Practice,
                &practice.id,
                &spec.title,
                spec.body(),
                &spec.languages,
            )
        })
    }

    /// An actor: its name and description, in its own country.
    fn of_actor(actor: &Actor) -> Option<Searchable> {
        let profile = &actor.profile;
        Some(Searchable {
            countries: profile.country.iter().cloned().collect(),
            ..Searchable::new(
                RecordKind::Actor,
                &actor.id,
                &profile.name,
                profile.description.clone(),
                &profile.languages,
            )
        })
    }

    /// Record `number` of `kind` as search sees it, if it exists and is findable.
    pub fn read(store: &Store, kind: RecordKind, number: u64) -> Result<Option<Searchable>, StoreError> {
        let found = match kind {
            RecordKind::Need => store
                .get_by_number::<Need>(number)?
                .and_then(|r| Searchable::of_need(&r)),
            RecordKind::Offer => store
                .get_by_number::<Offer>(number)?
                .and_then(|r| Searchable::of_offer(&r)),
            RecordKind::Practice => store
                .get_by_number::<Practice>(number)?
                .and_then(|r| Searchable::of_practice(&r)),
            RecordKind::Actor => store
                .get_by_number::<Actor>(number)?
                .and_then(|r| Searchable::of_actor(&r)),
        };
        Ok(found.map(|searchable| Searchable { number, ..searchable }))
    }

    /// Every findable record of `kind`, in number order, read in parts of `part` records and
    /// handed to `each` part by part (the index is rebuilt from them).
    pub fn read_all(
        store: &Store,
        kind: RecordKind,
        part: usize,
        mut each: impl FnMut(Vec<Searchable>) -> Result<(), super::SearchError>,
    ) -> Result<(), super::SearchError> {
        fn read_kind<R: Record>(
            store: &Store,
            part: usize,
            view: impl Fn(&R) -> Option<Searchable>,
            each: &mut dyn FnMut(Vec<Searchable>) -> Result<(), super::SearchError>,
        ) -> Result<(), super::SearchError> {
            let mut batch = Vec::with_capacity(part);
            for record in store.all::<R>() {
                let record = record?;
                let number = crate::store::records::id_number::<R>(record.id())?;
                if let Some(searchable) = view(&record) {
                    batch.push(Searchable { number, ..searchable });
                }
                if batch.len() == part {
                    each(std::mem::replace(&mut batch, Vec::with_capacity(part)))?;
                }
            }
            if !batch.is_empty() {
                each(batch)?;
            }
            Ok(())
        }
        match kind {
            RecordKind::Need => read_kind::<Need>(store, part, Searchable::of_need, &mut each),
            RecordKind::Offer => read_kind::<Offer>(store, part, Searchable::of_offer, &mut each),
            RecordKind::Practice => read_kind::<Practice>(store, part, Searchable::of_practice, &mut each),
            RecordKind::Actor => read_kind::<Actor>(store, part, Searchable::of_actor, &mut each),
        }
    }
}

/// The index's fields.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// The record's number (unique across kinds): identity, deletes and the tie-breaker.
    pub number: Field,
    /// [`RecordKind::code`].
    pub kind: Field,
    pub title: Field,
    pub body: Field,
    /// Objective numbers, as text.
    pub theme: Field,
    pub country: Field,
    /// Every M49 area of the record's countries.
    pub region: Field,
    /// The ISO 639-1 code of the language the record is read in.
    pub language: Field,
}

/// The name of the field holding a record's number (read as a fast field when ranking).
pub const NUMBER: &str = "number";
/// The name of the field holding a record's kind (read as a fast field for each hit).
pub const KIND: &str = "kind";

/// The tokenizer name the text fields are declared with: only snippets run it (see
/// [`super::snippet`]); documents arrive already read by the hub's own analysis.
pub const TOKENIZER: &str = "hub";

impl Fields {
    /// The schema and its fields.
    pub fn schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = Fields {
            number: builder.add_u64_field(NUMBER, INDEXED | FAST),
            kind: builder.add_u64_field(KIND, INDEXED | FAST),
            title: builder.add_text_field("title", text.clone()),
            body: builder.add_text_field("body", text),
            theme: builder.add_text_field("theme", STRING),
            country: builder.add_text_field("country", STRING),
            region: builder.add_text_field("region", STRING),
            language: builder.add_text_field("language", STRING),
        };
        (builder.build(), fields)
    }

    /// The fields of an index opened from disk, if its schema is this one.
    pub fn of(schema: &Schema) -> Option<Fields> {
        let field = |name: &str| schema.get_field(name).ok();
        Some(Fields {
            number: field(NUMBER)?,
            kind: field(KIND)?,
            title: field("title")?,
            body: field("body")?,
            theme: field("theme")?,
            country: field("country")?,
            region: field("region")?,
            language: field("language")?,
        })
    }

    /// The document filed for a record: its title and body as the hub reads them (stems and
    /// concepts), and its filter values.
    pub fn document(&self, record: &Searchable) -> TantivyDocument {
        let mut document = TantivyDocument::default();
        document.add_u64(self.number, record.number);
        document.add_u64(self.kind, record.kind.code());
        let (mut title, mut body) = (Vec::new(), Vec::new());
        for_each_placed_term(
            &record.title,
            &record.body,
            record.language,
            |part, key, bytes, words| {
                let tokens = match part {
                    TextPart::Title => &mut title,
                    TextPart::Body => &mut body,
                };
                tokens.push(Token {
                    offset_from: bytes.start,
                    offset_to: bytes.end,
                    position: tokens.len(),
                    text: key.to_string(),
                    position_length: words,
                });
            },
        );
        // The text itself stays in the store: the index keeps no copy of it.
        let pre_tokenized = |tokens| PreTokenizedString {
            text: String::new(),
            tokens,
        };
        document.add_pre_tokenized_text(self.title, pre_tokenized(title));
        document.add_pre_tokenized_text(self.body, pre_tokenized(body));
        for theme in &record.themes {
            document.add_text(self.theme, theme.number().to_string());
        }
        for country in &record.countries {
            document.add_text(self.country, country);
        }
        for area in geography::areas_of(&record.countries) {
            document.add_text(self.region, area);
        }
        if let Some(language) = record.language {
            document.add_text(self.language, language.code());
        }
        document
    }
}

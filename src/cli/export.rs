//! `capacity-hub export`: the hub's public records as open data, as JSON Lines or one CSV.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::CliError;
use super::client::{ClientArgs, Hub, RpcError, call};
use super::files::{Output, reader_gone};
use super::output::{self, code};
use crate::proto::open_record::Record;
use crate::proto::{ExportOpenDataRequest, MatchStatus, NeedStatus, OfferStatus, OpenRecord, PracticeStatus};

/// The CSV header; [`csv_row`] fills these columns.
const CSV_HEADER: [&str; 7] = ["kind", "id", "title_or_name", "themes", "countries", "status", "detail"];

/// `capacity-hub export`
#[derive(Debug, Args)]
#[command(after_help = "Formats:
  jsonl  one canonical proto3 JSON object per line, keyed by its kind:
         {\"actor\": {...}}, {\"need\": {...}}, {\"offer\": {...}}, {\"partnership\": {...}}, {\"match\": {...}},
         {\"practice\": {...}}
  csv    one CSV holding every kind, a row per record, with the columns
         kind,id,title_or_name,themes,countries,status,detail
         kind           actor, need, offer, partnership, match or practice
         title_or_name  an actor's name, a need's, offer's or practice's title; empty otherwise
         themes         GCM objective numbers separated by `;` (needs, offers and practices)
         countries      alpha-3 codes separated by `;` (an actor's country; where a need is delivered;
                        the countries an offer covers; where a practice took place)
         status         code such as `open`, `active`, `confirmed`, `published` (needs, offers,
                        matches, practices)
         detail         every other field as compact proto3 JSON

Actors are exported without their private contacts. The count of each kind goes to stderr.")]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,
    /// Write to this file (it appears only once the export is complete) instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    client: ClientArgs,
}

/// How records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// JSON Lines: one canonical proto3 JSON object per record.
    Jsonl,
    /// CSV: one row per record; see below.
    Csv,
}

/// Streams every public record into the output.
pub async fn run(args: ExportArgs) -> Result<(), CliError> {
    if args.client.json && args.format == Format::Csv {
        return Err("--json and --format csv disagree: give one".into());
    }
    let hub = Hub::connect(&args.client).await?;
    let mut records = call(hub.insights().export_open_data(ExportOpenDataRequest {})).await?;
    let mut out = Output::create(args.output.as_deref())?;
    let mut counts = Counts::default();
    if args.format == Format::Csv {
        let header = CSV_HEADER.join(",");
        if !write_line(&mut out, &header)? {
            return Ok(());
        }
    }
    loop {
        let record = match records.message().await {
            Ok(Some(record)) => record,
            Ok(None) => break,
            Err(status) => return Err(format!("{} (after {} records)", RpcError(status), counts.total()).into()),
        };
        let line = match args.format {
            Format::Jsonl => output::json_line(&record)?,
            Format::Csv => csv_row(&record)?,
        };
        if !write_line(&mut out, &line)? {
            return Ok(());
        }
        counts.add(&record);
    }
    let name = out.name();
    out.finish()?;
    eprintln!("wrote {} records to {name}: {counts}", counts.total());
    Ok(())
}

/// Writes a line; false when the reader went away (`| head`) and the export should stop.
fn write_line(out: &mut Output, line: &str) -> Result<bool, CliError> {
    match writeln!(out, "{line}") {
        Ok(()) => Ok(true),
        Err(error) if reader_gone(&error) => Ok(false),
        Err(error) => Err(format!("cannot write {}: {error}", out.name()).into()),
    }
}

/// Records written, by kind, in the order of [`KINDS`].
#[derive(Debug, Default)]
struct Counts([u64; KINDS.len()]);

/// The kinds of record, in the order of the `OpenRecord` oneof.
const KINDS: [&str; 6] = ["actor", "need", "offer", "partnership", "match", "practice"];

impl Counts {
    fn add(&mut self, record: &OpenRecord) {
        if let Some(kind) = record.record.as_ref().map(kind_index) {
            self.0[kind] += 1;
        }
    }

    fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = KINDS
            .iter()
            .zip(self.0)
            .map(|(kind, count)| format!("{count} {}", plural(kind, count)))
            .collect();
        write!(f, "{}", parts.join(", "))
    }
}

/// A kind of record as counted: `1 actor`, `2 matches`.
fn plural(kind: &str, count: u64) -> String {
    match (kind, count) {
        (_, 1) => kind.to_owned(),
        ("match", _) => "matches".to_owned(),
        _ => format!("{kind}s"),
    }
}

/// Where a record's kind stands in [`KINDS`].
fn kind_index(record: &Record) -> usize {
    match record {
        Record::Actor(_) => 0,
        Record::Need(_) => 1,
        Record::Offer(_) => 2,
        Record::Partnership(_) => 3,
        Record::Match(_) => 4,
        Record::Practice(_) => 5,
    }
}

/// One CSV row: the shared columns, then the record's other fields as compact JSON.
fn csv_row(record: &OpenRecord) -> Result<String, CliError> {
    let Some(inner) = &record.record else {
        return Err("the hub sent an empty open-data record".into());
    };
    let kind = KINDS[kind_index(inner)];
    let cells = match inner {
        Record::Actor(actor) => [
            actor.id.clone(),
            actor.name.clone(),
            String::new(),
            actor.country.clone(),
            String::new(),
            output::json_line_without(actor, &["id", "name", "country"])?,
        ],
        Record::Need(need) => [
            need.id.clone(),
            need.title.clone(),
            joined(&need.themes),
            joined(&need.countries),
            code::<NeedStatus>(need.status),
            output::json_line_without(need, &["id", "title", "themes", "countries", "status"])?,
        ],
        Record::Offer(offer) => [
            offer.id.clone(),
            offer.title.clone(),
            joined(&offer.themes),
            joined(&offer.countries),
            code::<OfferStatus>(offer.status),
            output::json_line_without(offer, &["id", "title", "themes", "countries", "status"])?,
        ],
        Record::Partnership(partnership) => [
            partnership.id.clone(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            output::json_line_without(partnership, &["id"])?,
        ],
        Record::Match(found) => [
            found.id.clone(),
            String::new(),
            String::new(),
            String::new(),
            code::<MatchStatus>(found.status),
            output::json_line_without(found, &["id", "status"])?,
        ],
        Record::Practice(practice) => [
            practice.id.clone(),
            practice.title.clone(),
            joined(&practice.themes),
            joined(&practice.countries),
            code::<PracticeStatus>(practice.status),
            output::json_line_without(practice, &["id", "title", "themes", "countries", "status"])?,
        ],
    };
    let fields: Vec<Cow<'_, str>> = std::iter::once(Cow::Borrowed(kind))
        .chain(cells.iter().map(|cell| csv_field(cell)))
        .collect();
    Ok(fields.join(","))
}

/// Items separated by `;`, which needs no quoting in CSV.
fn joined<T: ToString>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(";")
}

/// A CSV field as RFC 4180 has it: quoted, with quotes doubled, when it holds a comma, a quote,
/// a line break or edge blanks; else as it is. An unset status (`-`) is left empty.
fn csv_field(text: &str) -> Cow<'_, str> {
    if text == "-" {
        return Cow::Borrowed("");
    }
    let needs_quotes = text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ');
    if needs_quotes {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Actor, ActorKind, Match, Need, Partnership, PartnershipKind, Practice};

    fn open(record: Record) -> OpenRecord {
        OpenRecord { record: Some(record) }
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("need-1"), "need-1");
        assert_eq!(csv_field("Returns, reintegration"), "\"Returns, reintegration\"");
        assert_eq!(csv_field("the \"Puebla\" Process"), "\"the \"\"Puebla\"\" Process\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field(" padded"), "\" padded\"");
        assert_eq!(csv_field("-"), "");
    }

    #[test]
    fn a_need_row_has_its_columns_and_the_rest_as_json() -> Result<(), CliError> {
        let need = Need {
            id: "need-151".to_owned(),
            requester_id: "actor-40".to_owned(),
            title: "Alternatives to detention, returns".to_owned(),
            themes: vec![13, 7],
            countries: vec!["GTM".to_owned(), "HND".to_owned()],
            status: NeedStatus::Open.into(),
            budget_usd: Some(50_000),
            ..Default::default()
        };
        assert_eq!(
            csv_row(&open(Record::Need(need)))?,
            r#"need,need-151,"Alternatives to detention, returns",13;7,GTM;HND,open,"{""requesterId"":""actor-40"",""budgetUsd"":""50000""}""#
        );
        Ok(())
    }

    #[test]
    fn rows_of_other_kinds_leave_foreign_columns_empty() -> Result<(), CliError> {
        let actor = Actor {
            id: "actor-0".to_owned(),
            name: "IOM".to_owned(),
            kind: ActorKind::UnEntity.into(),
            ..Default::default()
        };
        assert_eq!(
            csv_row(&open(Record::Actor(actor)))?,
            r#"actor,actor-0,IOM,,,,"{""kind"":""ACTOR_KIND_UN_ENTITY""}""#
        );
        let partnership = Partnership {
            id: "partnership-1".to_owned(),
            kind: PartnershipKind::Memorandum.into(),
            trust: 0.8,
            ..Default::default()
        };
        assert_eq!(
            csv_row(&open(Record::Partnership(partnership)))?,
            r#"partnership,partnership-1,,,,,"{""kind"":""PARTNERSHIP_KIND_MEMORANDUM"",""trust"":0.8}""#
        );
        let found = Match {
            id: "match-1".to_owned(),
            status: MatchStatus::Confirmed.into(),
            ..Default::default()
        };
        assert_eq!(csv_row(&open(Record::Match(found)))?, "match,match-1,,,,confirmed,{}");
        Ok(())
    }

    #[test]
    fn counts_read_as_prose() {
        let mut counts = Counts::default();
        counts.add(&open(Record::Actor(Actor::default())));
        counts.add(&open(Record::Match(Match::default())));
        counts.add(&open(Record::Match(Match::default())));
        counts.add(&open(Record::Practice(Practice::default())));
        assert_eq!(counts.total(), 4);
        assert_eq!(
            counts.to_string(),
            "1 actor, 0 needs, 0 offers, 0 partnerships, 2 matches, 1 practice"
        );
    }
}

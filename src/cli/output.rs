//! What the client prints and reads: tables for people, canonical proto3 JSON for scripts and
//! `--file`, and the DOMAIN.md codes (`training`, `un_entity`) that stand for the proto enums on
//! the command line and in tables.

use std::ffi::OsStr;
use std::io::{self, Write};
use std::marker::PhantomData;
use std::path::Path;
use std::sync::LazyLock;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use comfy_table::{ContentArrangement, Table, presets};
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use prost_types::Timestamp;

use super::CliError;
use crate::proto;

/// Widest a table may be, so output fits a 100-column terminal.
pub const WIDTH: u16 = 100;

/// The descriptors of every hub message and enum, as compiled into the binary. They are the one
/// source of the enum codes and of the JSON field names, so the CLI cannot drift from the proto.
static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(proto::FILE_DESCRIPTOR_SET).expect("the descriptor set built by build.rs decodes")
});

// ---- stdout ----

/// `println!` that survives a closed stdout: when the reader has gone (`capacity-hub needs list |
/// head`) the command ends quietly, as `head` expects, instead of panicking.
macro_rules! say {
    () => {
        $crate::cli::output::say_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::say_line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// Writes one line for [`say!`]: a closed pipe ends the process with success, any other failure
/// to write with an error.
pub fn say_line(args: std::fmt::Arguments<'_>) {
    let mut stdout = io::stdout().lock();
    if let Err(error) = writeln!(stdout, "{args}") {
        if error.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {error}");
        std::process::exit(1);
    }
}

// ---- codes ----

/// A proto enum that the command line names by its DOMAIN.md code: `MODALITY_TRAINING` is
/// `training`, `ACTOR_KIND_UN_ENTITY` is `un_entity`.
pub trait Code: Copy + Into<i32> + TryFrom<i32> + Send + Sync + 'static {
    /// The enum's full proto name, to find its values in the descriptor pool.
    const PROTO_NAME: &'static str;
}

macro_rules! impl_code {
    ($($name:ident),* $(,)?) => {$(
        impl Code for proto::$name {
            const PROTO_NAME: &'static str = concat!("capacityhub.v1.", stringify!($name));
        }
    )*};
}

impl_code!(
    ActorKind,
    Modality,
    Level,
    Urgency,
    PartnershipKind,
    NeedStatus,
    OfferStatus,
    MatchStatus,
    PracticeStatus,
    RecordKind,
    RelatedKind,
    MgiDimension,
    EventKind,
    GraphFormat,
    AllocationMode,
);

/// The codes of `E` and their numbers in proto order, without the unspecified zero. A code is
/// the value name less the enum's prefix (`MODALITY_`, read off `MODALITY_UNSPECIFIED`), in
/// lower case.
fn code_table<E: Code>() -> Vec<(String, i32)> {
    let Some(descriptor) = POOL.get_enum_by_name(E::PROTO_NAME) else {
        return Vec::new();
    };
    let prefix = descriptor
        .get_value(0)
        .map(|zero| zero.name().trim_end_matches("UNSPECIFIED").to_owned())
        .unwrap_or_default();
    descriptor
        .values()
        .filter(|value| value.number() != 0)
        .map(|value| {
            let name = value.name();
            let code = name.strip_prefix(prefix.as_str()).unwrap_or(name);
            (code.to_ascii_lowercase(), value.number())
        })
        .collect()
}

/// The code of an enum field as the message holds it (an `i32`); an unknown number (from a newer
/// hub) prints as the number, and unset as `-`.
pub fn code<E: Code>(number: i32) -> String {
    if number == 0 {
        return "-".to_owned();
    }
    code_table::<E>()
        .into_iter()
        .find(|(_, value)| *value == number)
        .map_or_else(|| number.to_string(), |(code, _)| code)
}

/// The codes of a repeated enum field, comma-separated.
pub fn codes<E: Code>(numbers: &[i32]) -> String {
    list(numbers.iter().map(|number| code::<E>(*number)))
}

/// Items comma-separated, or `-` for none, so an empty cell is visibly empty.
pub fn list<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let joined = items
        .into_iter()
        .map(|item| item.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if joined.is_empty() { "-".to_owned() } else { joined }
}

/// Parses a code into its enum for clap. Help and errors list the valid codes, and a near miss
/// gets clap's "a similar value exists" tip.
#[derive(Clone)]
pub struct CodeParser<E>(PhantomData<E>);

impl<E: Code> CodeParser<E> {
    /// A parser for `E`'s codes.
    pub fn new() -> Self {
        CodeParser(PhantomData)
    }
}

impl<E: Code> TypedValueParser for CodeParser<E> {
    type Value = E;

    fn parse_ref(&self, cmd: &clap::Command, arg: Option<&clap::Arg>, value: &OsStr) -> Result<E, clap::Error> {
        let table = code_table::<E>();
        let names = PossibleValuesParser::new(table.iter().map(|(code, _)| PossibleValue::new(code.clone())));
        let code = names.parse_ref(cmd, arg, value)?;
        table
            .into_iter()
            .find(|(known, _)| *known == code)
            .and_then(|(_, number)| E::try_from(number).ok())
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidValue).with_cmd(cmd))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            code_table::<E>().into_iter().map(|(code, _)| PossibleValue::new(code)),
        ))
    }
}

// ---- JSON ----

/// The descriptor of message `M`, found by its full proto name.
fn descriptor<M: prost::Name>() -> Result<MessageDescriptor, CliError> {
    let name = M::full_name();
    POOL.get_message_by_name(&name)
        .ok_or_else(|| format!("{name} is missing from the compiled descriptors").into())
}

/// Prints a message as canonical proto3 JSON (camelCase names, enum names, 64-bit integers as
/// strings, default values left out), so scripts see the names of the proto's JSON mapping.
pub fn print_json<M: prost::Message + prost::Name>(message: &M) -> Result<(), CliError> {
    say!("{}", to_json(message)?);
    Ok(())
}

/// A message as pretty-printed canonical proto3 JSON.
fn to_json<M: prost::Message + prost::Name>(message: &M) -> Result<String, CliError> {
    Ok(serde_json::to_string_pretty(&dynamic(message)?)?)
}

/// A message as canonical proto3 JSON on one line, for JSON Lines output.
pub fn json_line<M: prost::Message + prost::Name>(message: &M) -> Result<String, CliError> {
    Ok(serde_json::to_string(&dynamic(message)?)?)
}

/// A message as canonical proto3 JSON on one line, less the fields named (by their proto
/// names): what is left once some fields have columns of their own.
pub fn json_line_without<M: prost::Message + prost::Name>(message: &M, fields: &[&str]) -> Result<String, CliError> {
    let mut dynamic = dynamic(message)?;
    for field in fields {
        dynamic.clear_field_by_name(field);
    }
    Ok(serde_json::to_string(&dynamic)?)
}

/// A message as a [`DynamicMessage`], which serializes with the proto3 JSON mapping.
fn dynamic<M: prost::Message + prost::Name>(message: &M) -> Result<DynamicMessage, CliError> {
    let mut dynamic = DynamicMessage::new(descriptor::<M>()?);
    dynamic.transcode_from(message)?;
    Ok(dynamic)
}

/// Reads a request message from a file in canonical proto3 JSON; errors name the file and say
/// what is wrong and where.
pub fn read_json_file<M: prost::Message + prost::Name + Default>(path: &Path) -> Result<M, CliError> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    parse_json(&text).map_err(|error| format!("{}: {error}", path.display()).into())
}

/// Parses proto3 JSON into `M` through its descriptor: unknown fields and wrong types are errors,
/// not silently dropped.
fn parse_json<M: prost::Message + prost::Name + Default>(text: &str) -> Result<M, CliError> {
    let descriptor = descriptor::<M>()?;
    let name = descriptor.full_name().to_owned();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let dynamic = DynamicMessage::deserialize(descriptor, &mut deserializer)
        .and_then(|dynamic| deserializer.end().map(|()| dynamic))
        .map_err(|error| format!("not a {name} in proto3 JSON: {error}"))?;
    Ok(dynamic.transcode_to::<M>()?)
}

// ---- tables ----

/// A borderless table with these column headers, wrapping to [`WIDTH`].
pub fn table<const N: usize>(header: [&str; N]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH)
        .set_header(header);
    table
}

/// Narrowest the flexible column of a [`fitted_table`] gets, however wide the others are.
const MIN_FLEX: usize = 16;

/// A table whose `flex` column (a title, a name) is cut with `…` to what the other columns leave
/// of [`WIDTH`], so every row stays on one line yet titles get all the room there is.
pub fn fitted_table<const N: usize>(header: [&str; N], rows: Vec<[String; N]>, flex: usize) -> Table {
    let others: usize = (0..N)
        .filter(|column| *column != flex)
        .map(|column| {
            let cells = rows.iter().map(|row| row[column].as_str());
            cells
                .chain([header[column]])
                .map(textwrap::core::display_width)
                .max()
                .unwrap_or(0)
        })
        .sum();
    // Each column is padded by a blank on either side.
    let room = usize::from(WIDTH).saturating_sub(others + 2 * N).max(MIN_FLEX);
    let mut table = table(header);
    for mut row in rows {
        row[flex] = cell(&row[flex], room);
        table.add_row(row);
    }
    table
}

/// Prints a table `indent` columns in, without the trailing blanks its padding leaves.
pub fn print_table(table: &Table, indent: usize) {
    for line in table.lines() {
        say!("{:indent$}{}", "", line.trim_end());
    }
}

/// Prints a table whose rows each have lines of their own under them (an explanation, a
/// snippet): `under` prints those of each row's record. The table is kept from wrapping, so its
/// lines are its header and then its rows, in the order of `records`.
pub fn print_rows_with<T>(mut table: Table, records: &[T], mut under: impl FnMut(&T)) {
    table.set_content_arrangement(ContentArrangement::Disabled);
    let mut lines = table.lines();
    if let Some(header) = lines.next() {
        say!("{}", header.trim_end());
    }
    for (line, record) in lines.zip(records) {
        say!("{}", line.trim_end());
        under(record);
    }
}

/// Prints a record: canonical JSON for scripts, or its `fields` for people.
pub fn print_record<M: prost::Message + prost::Name>(
    record: &M,
    json: bool,
    fields: fn(&M) -> Vec<(&'static str, String)>,
) -> Result<(), CliError> {
    if json {
        return print_json(record);
    }
    print_fields(fields(record));
    Ok(())
}

/// Prints one record as `field  value` lines, for `show` and the replies of writes.
pub fn print_fields(fields: Vec<(&str, String)>) {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH);
    for (name, value) in fields {
        table.add_row([format!("{name}:"), value]);
    }
    print_table(&table, 0);
}

/// Text for a table cell: on one line and at most `max` columns wide, cut with `…`.
pub fn cell(text: &str, max: usize) -> String {
    let line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if textwrap::core::display_width(&line) <= max {
        return line;
    }
    let mut kept = String::new();
    let mut width = 0;
    for c in line.chars() {
        width += textwrap::core::display_width(c.encode_utf8(&mut [0; 4]));
        if width >= max {
            break;
        }
        kept.push(c);
    }
    format!("{}…", kept.trim_end())
}

/// A timestamp as `YYYY-MM-DD HH:MM` UTC, or `-` when unset.
pub fn timestamp(at: Option<&Timestamp>) -> String {
    at.and_then(|at| chrono::DateTime::from_timestamp(at.seconds, u32::try_from(at.nanos).unwrap_or(0)))
        .map_or_else(|| "-".to_owned(), |at| at.format("%Y-%m-%d %H:%M").to_string())
}

/// A timestamp as `YYYY-MM-DD HH:MM:SS` UTC, or `-` when unset: for events, where seconds
/// tell apart what happened in the same minute.
pub fn timestamp_seconds(at: Option<&Timestamp>) -> String {
    at.and_then(|at| chrono::DateTime::from_timestamp(at.seconds, u32::try_from(at.nanos).unwrap_or(0)))
        .map_or_else(|| "-".to_owned(), |at| at.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// A share in [0, 1] as a whole percentage.
pub fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// Items joined as people write them: `7`, `7 and 21`, `7, 13 and 21`.
pub fn and_list<T: ToString>(items: &[T]) -> String {
    match items {
        [] => String::new(),
        [only] => only.to_string(),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(ToString::to_string).collect();
            format!("{} and {}", init.join(", "), last.to_string())
        }
    }
}

/// A date window as `start .. end`, open ends shown as `…`.
pub fn window(window: Option<&proto::DateWindow>) -> String {
    let (start, end) = window.map_or(("", ""), |w| (w.start_date.as_str(), w.end_date.as_str()));
    if start.is_empty() && end.is_empty() {
        return "-".to_owned();
    }
    let or_open = |date: &str| {
        if date.is_empty() {
            "…".to_owned()
        } else {
            date.to_owned()
        }
    };
    format!("{} .. {}", or_open(start), or_open(end))
}

/// Text or `-` when empty.
pub fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text.to_owned()
    }
}

/// A listing's status, with `(stale)` after it when the hub finds it stale: "open (stale)".
pub fn status_of_listing(status: String, stale: bool) -> String {
    if stale { format!("{status} (stale)") } else { status }
}

/// Whether a listing is stale, and what its owner can do: "yes: not updated for the hub's
/// stale-after period; if it still holds: capacity-hub needs confirm need-3".
pub fn staleness(stale: bool, command: &str, id: &str) -> String {
    if stale {
        format!(
            "yes: not updated for the hub's stale-after period; if it still holds: capacity-hub {command} confirm {id}"
        )
    } else {
        "no".to_owned()
    }
}

/// Tells a person how to get the next page; on stderr, so a table piped on stays clean.
pub fn page_hint(next_page_token: &str) {
    if !next_page_token.is_empty() {
        eprintln!("more: --page-token {next_page_token}");
    }
}

/// Prints text wrapped to [`WIDTH`], every line indented: the lines under a table row.
pub fn print_indented(text: &str, indent: usize) {
    let pad = " ".repeat(indent);
    let options = textwrap::Options::new(usize::from(WIDTH))
        .initial_indent(&pad)
        .subsequent_indent(&pad);
    for line in textwrap::wrap(text, options) {
        say!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, Command};

    fn parse_modality(value: &str) -> Result<proto::Modality, clap::Error> {
        let command = Command::new("t").arg(
            Arg::new("modality")
                .long("modality")
                .value_parser(CodeParser::<proto::Modality>::new()),
        );
        let matches = command.try_get_matches_from(["t", "--modality", value])?;
        Ok(*matches
            .get_one::<proto::Modality>("modality")
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::MissingRequiredArgument))?)
    }

    #[test]
    fn codes_parse_to_proto_enums() -> Result<(), clap::Error> {
        assert_eq!(parse_modality("training")?, proto::Modality::Training);
        assert_eq!(parse_modality("data_and_tools")?, proto::Modality::DataAndTools);
        Ok(())
    }

    #[test]
    fn a_bad_code_lists_the_valid_ones() {
        let error = parse_modality("trainig").map(|_| ()).map_err(|error| error.to_string());
        let Err(message) = error else {
            panic!("`trainig` parsed");
        };
        assert!(
            message.contains("possible values: training, online_course"),
            "{message}"
        );
        assert!(message.contains("'training'"), "{message}");
        assert!(parse_modality("MODALITY_TRAINING").is_err());
        assert!(parse_modality("unspecified").is_err());
    }

    #[test]
    fn every_enum_has_its_codes() {
        assert_eq!(code::<proto::ActorKind>(proto::ActorKind::UnEntity.into()), "un_entity");
        assert_eq!(
            code::<proto::MatchStatus>(proto::MatchStatus::AcceptedByRequester.into()),
            "accepted_by_requester"
        );
        assert_eq!(
            code::<proto::PartnershipKind>(proto::PartnershipKind::JointProgramme.into()),
            "joint_programme"
        );
        assert_eq!(code::<proto::NeedStatus>(proto::NeedStatus::Open.into()), "open");
        assert_eq!(code::<proto::OfferStatus>(proto::OfferStatus::Active.into()), "active");
        assert_eq!(code::<proto::Level>(proto::Level::National.into()), "national");
        assert_eq!(code::<proto::Urgency>(proto::Urgency::High.into()), "high");
        assert_eq!(
            code::<proto::MgiDimension>(proto::MgiDimension::Partnerships.into()),
            "partnerships"
        );
        assert_eq!(code::<proto::Modality>(0), "-");
        assert_eq!(code::<proto::Modality>(99), "99");
    }

    #[test]
    fn a_json_file_becomes_the_request() -> Result<(), CliError> {
        let text = r#"{"requesterId": "actor-3", "title": "Alternatives to detention", "themes": [13, 7],
            "modalities": ["MODALITY_TRAINING"], "level": "LEVEL_NATIONAL", "budgetUsd": "50000",
            "window": {"startDate": "2026-03-01"}}"#;
        let request: proto::SubmitNeedRequest = parse_json(text)?;
        assert_eq!(request.requester_id, "actor-3");
        assert_eq!(request.themes, [13, 7]);
        assert_eq!(request.modalities, [i32::from(proto::Modality::Training)]);
        assert_eq!(request.level, i32::from(proto::Level::National));
        assert_eq!(request.budget_usd, Some(50_000));
        assert_eq!(request.window.map(|w| w.start_date).as_deref(), Some("2026-03-01"));
        Ok(())
    }

    #[test]
    fn bad_json_says_what_and_where() {
        let unknown = parse_json::<proto::SubmitNeedRequest>(r#"{"requester": "actor-3"}"#);
        let message = unknown.map(|_| ()).map_err(|error| error.to_string());
        assert!(
            matches!(&message, Err(m) if m.contains("SubmitNeedRequest") && m.contains("requester")),
            "{message:?}"
        );
        let bad_enum = parse_json::<proto::SubmitNeedRequest>(r#"{"modalities": ["TRAINING"]}"#);
        assert!(bad_enum.is_err());
        let truncated = parse_json::<proto::SubmitNeedRequest>(r#"{"title": "x""#);
        let message = truncated.map(|_| ()).map_err(|error| error.to_string());
        assert!(matches!(&message, Err(m) if m.contains("line 1")), "{message:?}");
    }

    #[test]
    fn json_output_uses_the_proto3_mapping() -> Result<(), CliError> {
        let need = proto::Need {
            id: "need-1".to_owned(),
            requester_id: "actor-3".to_owned(),
            modalities: vec![proto::Modality::Training.into()],
            budget_usd: Some(40_000),
            ..Default::default()
        };
        let json: serde_json::Value = serde_json::from_str(&to_json(&need)?)?;
        let expected = serde_json::json!({
            "id": "need-1",
            "requesterId": "actor-3",
            "modalities": ["MODALITY_TRAINING"],
            "budgetUsd": "40000",
        });
        assert_eq!(json, expected);
        Ok(())
    }

    #[test]
    fn fitted_tables_keep_rows_on_one_line_within_the_width() {
        let title = "Alternatives to detention for migrant children ".repeat(4);
        let rows = vec![["need-1".to_owned(), title, "open".to_owned()]];
        let table = fitted_table(["ID", "TITLE", "STATUS"], rows, 1);
        let lines: Vec<String> = table.lines().collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        for line in &lines {
            assert!(
                textwrap::core::display_width(line.trim_end()) <= usize::from(WIDTH),
                "{line}"
            );
        }
        assert!(lines[1].contains('…'));
    }

    #[test]
    fn cells_stay_on_one_short_line() {
        assert_eq!(cell("short", 10), "short");
        assert_eq!(cell("Alternatives to detention", 14), "Alternatives…");
        assert_eq!(cell("two\nlines", 20), "two lines");
        assert_eq!(cell("São Paulo 圣保罗", 12), "São Paulo…");
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(and_list::<u32>(&[]), "");
        assert_eq!(and_list(&[7]), "7");
        assert_eq!(and_list(&[7, 21]), "7 and 21");
        assert_eq!(and_list(&[7, 13, 21]), "7, 13 and 21");
        assert_eq!(percent(0.456), "46%");
    }

    #[test]
    fn one_line_json_can_leave_fields_out() -> Result<(), CliError> {
        let need = proto::Need {
            id: "need-1".to_owned(),
            title: "Alternatives to detention".to_owned(),
            themes: vec![13],
            urgency: proto::Urgency::High.into(),
            ..Default::default()
        };
        assert_eq!(
            json_line_without(&need, &["id", "title", "themes"])?,
            r#"{"urgency":"URGENCY_HIGH"}"#
        );
        assert!(!json_line(&need)?.contains('\n'));
        Ok(())
    }

    #[test]
    fn timestamps_print_in_utc_minutes() {
        let at = Timestamp {
            seconds: 1_772_323_200,
            nanos: 0,
        };
        assert_eq!(timestamp(Some(&at)), "2026-03-01 00:00");
        assert_eq!(timestamp(None), "-");
        assert_eq!(timestamp_seconds(Some(&at)), "2026-03-01 00:00:00");
    }
}

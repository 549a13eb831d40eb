//! `capacity-hub practices`: the repository of practices. An actor shares what it did, what came
//! of it and what it learned, failures included, so that others facing the same need can learn
//! from it; a completed match with lessons learned is published here too.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::CliError;
use super::client::{ClientArgs, Hub, PageArgs, call, fetch_pages};
use super::edit::Mask;
use super::output::{self, CodeParser, cell, code, codes, list, or_dash, timestamp};
use crate::proto::{
    GetPracticeRequest, ListPracticesRequest, MgiDimension, Practice, PracticeStatus, SubmitPracticeRequest,
    UpdatePracticeRequest, WithdrawPracticeRequest,
};

/// `capacity-hub practices ...`
#[derive(Debug, Args)]
pub struct PracticesArgs {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: PracticesCommand,
}

#[derive(Debug, Subcommand)]
enum PracticesCommand {
    /// Publish a practice, from flags or from a JSON file.
    Submit(SubmitArgs),
    /// Show one practice.
    Show {
        /// The practice's id.
        id: String,
    },
    /// List published practices, optionally filtered.
    List(ListArgs),
    /// Change a published practice: only the fields given change.
    Update {
        /// The practice's id.
        id: String,
        #[command(flatten)]
        fields: PracticeFields,
    },
    /// Withdraw a practice from lists, search and related items (it can still be shown by id).
    Withdraw {
        /// The practice's id.
        id: String,
        /// Why, for the record.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// What a practice tells, as flags; each is optional so `update` can tell which were given.
#[derive(Debug, Args)]
struct PracticeFields {
    /// One line saying what was done.
    #[arg(long)]
    title: Option<String>,
    /// What was done, for whom and how.
    #[arg(long)]
    description: Option<String>,
    /// GCM objective number (1-23); repeat for several.
    #[arg(long = "theme", value_name = "N", value_delimiter = ',')]
    themes: Vec<u32>,
    /// Alpha-3 code of a country where it took place (default: the author's); repeat for several.
    #[arg(long = "country", value_name = "CODE", value_delimiter = ',')]
    countries: Vec<String>,
    /// Id of another actor who took part; repeat for several.
    #[arg(long = "partner", value_name = "ACTOR", value_delimiter = ',')]
    partner_ids: Vec<String>,
    /// Migration Governance Indicators dimension advanced; repeat for several.
    #[arg(long = "mgi", value_name = "DIMENSION", value_delimiter = ',', value_parser = CodeParser::<MgiDimension>::new())]
    mgi_dimensions: Vec<MgiDimension>,
    /// What came of it.
    #[arg(long)]
    results: Option<String>,
    /// What worked and what did not: failures teach as much.
    #[arg(long)]
    lessons: Option<String>,
    /// Web address (http or https) of a report or material; repeat for several.
    #[arg(long = "link", value_name = "URL")]
    links: Vec<String>,
    /// ISO 639-1 code of a language it is told in; repeat for several.
    #[arg(long = "language", value_name = "CODE", value_delimiter = ',')]
    languages: Vec<String>,
}

#[derive(Debug, Args)]
struct SubmitArgs {
    /// Id of the actor whose practice it is.
    #[arg(long, required_unless_present = "file")]
    author: Option<String>,
    #[command(flatten)]
    fields: PracticeFields,
    /// Read the whole SubmitPracticeRequest from this proto3 JSON file instead of flags.
    #[arg(long, conflicts_with_all = ["author", "PracticeFields"])]
    file: Option<PathBuf>,
    /// Idempotency key: a retry with the same id publishes nothing new.
    #[arg(long)]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Only practices of this author.
    #[arg(long)]
    author: Option<String>,
    /// Only practices naming this GCM objective (1-23).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=23))]
    theme: Option<u32>,
    /// Only practices that took place in this country (alpha-3).
    #[arg(long)]
    country: Option<String>,
    /// Only practices that took place in this M49 area ("central_america", "africa").
    #[arg(long)]
    region: Option<String>,
    #[command(flatten)]
    page: PageArgs,
}

/// Runs a `practices` subcommand.
pub async fn run(args: PracticesArgs) -> Result<(), CliError> {
    let hub = Hub::connect(&args.client).await?;
    let json = args.client.json;
    let practice = match args.command {
        PracticesCommand::Submit(submit_args) => {
            call(hub.practices().submit_practice(submit_request(submit_args)?)).await?
        }
        PracticesCommand::Show { id } => call(hub.practices().get_practice(GetPracticeRequest { id })).await?,
        PracticesCommand::List(list_args) => return list_practices(&hub, list_args, json).await,
        PracticesCommand::Update { id, fields } => {
            call(hub.practices().update_practice(update_request(id, fields)?)).await?
        }
        PracticesCommand::Withdraw { id, reason } => {
            let request = WithdrawPracticeRequest {
                id,
                reason: reason.unwrap_or_default(),
            };
            call(hub.practices().withdraw_practice(request)).await?
        }
    };
    output::print_record(&practice, json, practice_fields)
}

/// The request from `--file`, or else from the flags.
fn submit_request(args: SubmitArgs) -> Result<SubmitPracticeRequest, CliError> {
    let mut request = match &args.file {
        Some(path) => output::read_json_file::<SubmitPracticeRequest>(path)?,
        None => {
            let fields = args.fields;
            SubmitPracticeRequest {
                author_id: args.author.unwrap_or_default(),
                title: fields.title.unwrap_or_default(),
                description: fields.description.unwrap_or_default(),
                themes: fields.themes,
                countries: fields.countries,
                partner_ids: fields.partner_ids,
                mgi_dimensions: fields.mgi_dimensions.into_iter().map(Into::into).collect(),
                results: fields.results.unwrap_or_default(),
                lessons_learned: fields.lessons.unwrap_or_default(),
                links: fields.links,
                languages: fields.languages,
                request_id: String::new(),
            }
        }
    };
    if let Some(request_id) = args.request_id {
        request.request_id = request_id;
    }
    Ok(request)
}

async fn list_practices(hub: &Hub, args: ListArgs, json: bool) -> Result<(), CliError> {
    let request = ListPracticesRequest {
        author_id: args.author.unwrap_or_default(),
        theme: args.theme.unwrap_or_default(),
        country: args.country.unwrap_or_default(),
        region: args.region.unwrap_or_default(),
        page_size: args.page.page_size.unwrap_or_default(),
        page_token: String::new(),
    };
    let client = hub.practices();
    let page = fetch_pages(&args.page, |page_token| {
        let request = ListPracticesRequest {
            page_token,
            ..request.clone()
        };
        let mut client = client.clone();
        async move { call(client.list_practices(request)).await }
    })
    .await?;
    if json {
        return output::print_json(&page);
    }
    let rows = page.practices.iter().map(|practice| {
        [
            practice.id.clone(),
            practice.title.clone(),
            practice.author_id.clone(),
            cell(&list(&practice.themes), 12),
            cell(&list(&practice.countries), 12),
            rating(practice.rating),
        ]
    });
    let header = ["ID", "TITLE", "AUTHOR", "THEMES", "COUNTRIES", "RATING"];
    output::print_table(&output::fitted_table(header, rows.collect(), 1), 0);
    output::page_hint(&page.next_page_token);
    Ok(())
}

/// The update of the fields whose flags were given; the hub reads an empty mask as "replace
/// every field", so no flag at all is refused here.
fn update_request(id: String, fields: PracticeFields) -> Result<UpdatePracticeRequest, CliError> {
    let mut practice = Practice {
        id,
        ..Practice::default()
    };
    let mut mask = Mask::default();
    mask.set("title", fields.title, &mut practice.title);
    mask.set("description", fields.description, &mut practice.description);
    mask.set_list("themes", fields.themes, &mut practice.themes);
    mask.set_list("countries", fields.countries, &mut practice.countries);
    mask.set_list("partner_ids", fields.partner_ids, &mut practice.partner_ids);
    let dimensions = fields.mgi_dimensions.into_iter().map(Into::into).collect();
    mask.set_list("mgi_dimensions", dimensions, &mut practice.mgi_dimensions);
    mask.set("results", fields.results, &mut practice.results);
    mask.set("lessons_learned", fields.lessons, &mut practice.lessons_learned);
    mask.set_list("links", fields.links, &mut practice.links);
    mask.set_list("languages", fields.languages, &mut practice.languages);
    Ok(UpdatePracticeRequest {
        update_mask: mask.finish("practices update")?,
        practice: Some(practice),
    })
}

/// A rating as `4/5`, or `-` when there is none (0: no outcome was reported).
pub(super) fn rating(rating: u32) -> String {
    if rating == 0 {
        "-".to_owned()
    } else {
        format!("{rating}/5")
    }
}

/// A practice as `field: value` lines; the match and its rating only for a practice published
/// from a completed match. Links come one per line, so none is cut in two.
fn practice_fields(practice: &Practice) -> Vec<(&'static str, String)> {
    let links = if practice.links.is_empty() {
        "-".to_owned()
    } else {
        practice.links.join("\n")
    };
    let mut fields = vec![
        ("id", practice.id.clone()),
        ("title", practice.title.clone()),
        ("author", practice.author_id.clone()),
        ("status", code::<PracticeStatus>(practice.status)),
        ("themes", list(&practice.themes)),
        ("countries", list(&practice.countries)),
        ("partners", list(&practice.partner_ids)),
        ("MGI", codes::<MgiDimension>(&practice.mgi_dimensions)),
        ("languages", list(&practice.languages)),
        ("description", or_dash(&practice.description)),
        ("results", or_dash(&practice.results)),
        ("lessons", or_dash(&practice.lessons_learned)),
        ("links", links),
    ];
    if !practice.match_id.is_empty() {
        fields.push(("match", practice.match_id.clone()));
    }
    if practice.rating > 0 {
        fields.push(("rating", rating(practice.rating)));
    }
    fields.push(("created", timestamp(practice.created_at.as_ref())));
    fields.push(("updated", timestamp(practice.updated_at.as_ref())));
    fields
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(line: &[&str]) -> Result<PracticesCommand, clap::Error> {
        let cli = Cli::try_parse_from(std::iter::once("capacity-hub").chain(line.iter().copied()))?;
        match cli.command {
            Command::Practices(args) => Ok(args.command),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn a_theme_filter_outside_the_objectives_is_refused_not_dropped() {
        // 0 would reach the hub as "no filter": the list would not be filtered at all.
        assert!(parse(&["practices", "list", "--theme", "0"]).is_err());
        assert!(parse(&["practices", "list", "--theme", "24"]).is_err());
        assert!(parse(&["practices", "list", "--theme", "23"]).is_ok());
    }

    #[test]
    fn submit_flags_become_the_request() -> Result<(), CliError> {
        let command = parse(&[
            "practices",
            "submit",
            "--author",
            "actor-40",
            "--title",
            "Victim identification training for border guards",
            "--theme",
            "10,7",
            "--country",
            "GTM",
            "--partner",
            "actor-0",
            "--mgi",
            "partnerships",
            "--lessons",
            "Train the trainers first",
            "--link",
            "https://example.org/report,2026.pdf",
            "--language",
            "es",
            "--request-id",
            "r-1",
        ])?;
        let PracticesCommand::Submit(args) = command else {
            panic!("not a submit: {command:?}");
        };
        let request = submit_request(args)?;
        assert_eq!(request.author_id, "actor-40");
        assert_eq!(request.title, "Victim identification training for border guards");
        assert_eq!(request.themes, [10, 7]);
        assert_eq!(request.countries, ["GTM"]);
        assert_eq!(request.partner_ids, ["actor-0"]);
        assert_eq!(request.mgi_dimensions, [i32::from(MgiDimension::Partnerships)]);
        assert_eq!(request.lessons_learned, "Train the trainers first");
        // A comma is part of a web address, not a separator.
        assert_eq!(request.links, ["https://example.org/report,2026.pdf"]);
        assert_eq!(request.languages, ["es"]);
        assert_eq!(request.request_id, "r-1");
        Ok(())
    }

    #[test]
    fn submit_takes_flags_or_a_file_not_both() -> Result<(), CliError> {
        assert!(parse(&["practices", "submit", "--title", "No author"]).is_err());
        assert!(parse(&["practices", "submit", "--file", "p.json", "--title", "Both"]).is_err());
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("practice.json");
        std::fs::write(
            &path,
            r#"{"authorId": "actor-40", "title": "From a file", "themes": [10]}"#,
        )?;
        let path_text = path.to_string_lossy();
        let command = parse(&["practices", "submit", "--file", &path_text, "--request-id", "r-2"])?;
        let PracticesCommand::Submit(args) = command else {
            panic!("not a submit: {command:?}");
        };
        let request = submit_request(args)?;
        assert_eq!(
            (request.author_id.as_str(), request.title.as_str()),
            ("actor-40", "From a file")
        );
        assert_eq!(request.themes, [10]);
        assert_eq!(request.request_id, "r-2");
        Ok(())
    }

    #[test]
    fn update_names_only_the_fields_given() -> Result<(), CliError> {
        let command = parse(&[
            "practices",
            "update",
            "practice-7",
            "--lessons",
            "Start with the border posts",
            "--mgi",
            "partnerships",
            "--link",
            "https://example.org/a",
        ])?;
        let PracticesCommand::Update { id, fields } = command else {
            panic!("not an update: {command:?}");
        };
        let request = update_request(id, fields)?;
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        assert_eq!(paths, ["mgi_dimensions", "lessons_learned", "links"]);
        let practice = request.practice.unwrap_or_default();
        assert_eq!(practice.id, "practice-7");
        assert_eq!(practice.lessons_learned, "Start with the border posts");
        assert!(practice.title.is_empty());
        let Ok(PracticesCommand::Update { id, fields }) = parse(&["practices", "update", "practice-7"]) else {
            panic!("a bare update does not parse");
        };
        assert!(update_request(id, fields).is_err());
        Ok(())
    }

    #[test]
    fn a_practice_from_a_match_shows_the_match_and_its_rating() {
        let practice = Practice {
            id: "practice-9".to_owned(),
            status: PracticeStatus::Published.into(),
            match_id: "match-160".to_owned(),
            rating: 4,
            links: vec!["https://example.org/a".to_owned(), "https://example.org/b".to_owned()],
            ..Default::default()
        };
        let fields = practice_fields(&practice);
        let value = |name: &str| fields.iter().find(|(field, _)| *field == name).map(|(_, v)| v.as_str());
        assert_eq!(value("status"), Some("published"));
        assert_eq!(value("match"), Some("match-160"));
        assert_eq!(value("rating"), Some("4/5"));
        assert_eq!(value("links"), Some("https://example.org/a\nhttps://example.org/b"));
        assert_eq!(value("lessons"), Some("-"));

        let own = practice_fields(&Practice::default());
        assert!(own.iter().all(|(field, _)| *field != "match" && *field != "rating"));
    }

    #[test]
    fn ratings_read_out_of_five() {
        assert_eq!(rating(4), "4/5");
        assert_eq!(rating(0), "-");
    }
}

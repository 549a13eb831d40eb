//! `capacity-hub needs`: the demand side, and the hub's primary record. A requester submits what
//! capacity it lacks; offers are then matched to it.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::CliError;
use super::client::{ClientArgs, Hub, PageArgs, call, fetch_pages};
use super::edit::{Mask, WindowArgs};
use super::output::{self, CodeParser, cell, code, codes, list, or_dash, timestamp};
use crate::proto::{
    ConfirmNeedStillCurrentRequest, GetNeedRequest, Level, ListNeedsRequest, Modality, Need, NeedStatus,
    SubmitNeedRequest, UpdateNeedRequest, Urgency, WithdrawNeedRequest,
};

/// `capacity-hub needs ...`
#[derive(Debug, Args)]
pub struct NeedsArgs {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: NeedsCommand,
}

#[derive(Debug, Subcommand)]
enum NeedsCommand {
    /// Submit a need, from flags or from a JSON file.
    Submit(SubmitArgs),
    /// Show one need.
    Show {
        /// The need's id.
        id: String,
    },
    /// List needs, optionally filtered.
    List(ListArgs),
    /// Change an open need: only the fields given change.
    Update {
        /// The need's id.
        id: String,
        #[command(flatten)]
        fields: NeedFields,
        #[command(flatten)]
        window: WindowArgs,
    },
    /// Confirm an open need is still current: it counts as an update, so it is no longer stale.
    Confirm {
        /// The need's id.
        id: String,
    },
    /// Withdraw a need nobody should work on any more.
    Withdraw {
        /// The need's id.
        id: String,
        /// Why, for the record.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// What a need asks for, as flags; each is optional so `update` can tell which were given.
#[derive(Debug, Args)]
struct NeedFields {
    /// One line saying what capacity is needed.
    #[arg(long)]
    title: Option<String>,
    /// The need in more words.
    #[arg(long)]
    description: Option<String>,
    /// GCM objective number (1-23); repeat for several.
    #[arg(long = "theme", value_name = "N", value_delimiter = ',')]
    themes: Vec<u32>,
    /// How the capacity should be delivered; repeat for several.
    #[arg(long = "modality", value_name = "MODALITY", value_delimiter = ',', value_parser = CodeParser::<Modality>::new())]
    modalities: Vec<Modality>,
    /// Level of governance that needs the capacity.
    #[arg(long, value_parser = CodeParser::<Level>::new())]
    level: Option<Level>,
    /// Alpha-3 code of a country where help is delivered (default: the requester's); repeat for several.
    #[arg(long = "country", value_name = "CODE", value_delimiter = ',')]
    countries: Vec<String>,
    /// ISO 639-1 code of a working language; repeat for several.
    #[arg(long = "language", value_name = "CODE", value_delimiter = ',')]
    languages: Vec<String>,
    /// Budget available, in US dollars.
    #[arg(long)]
    budget_usd: Option<i64>,
    /// How soon the need must be met (default: normal).
    #[arg(long, value_parser = CodeParser::<Urgency>::new())]
    urgency: Option<Urgency>,
}

#[derive(Debug, Args)]
struct SubmitArgs {
    /// Id of the actor that needs the capacity.
    #[arg(long, required_unless_present = "file")]
    requester: Option<String>,
    #[command(flatten)]
    fields: NeedFields,
    #[command(flatten)]
    window: WindowArgs,
    /// Read the whole SubmitNeedRequest from this proto3 JSON file instead of flags.
    #[arg(long, conflicts_with_all = ["requester", "NeedFields", "WindowArgs"])]
    file: Option<PathBuf>,
    /// Idempotency key: a retry with the same id submits nothing new.
    #[arg(long)]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
struct ListArgs {
    #[command(flatten)]
    filter: NeedFilterArgs,
    /// Only needs in this status.
    #[arg(long, value_parser = CodeParser::<NeedStatus>::new())]
    status: Option<NeedStatus>,
    #[command(flatten)]
    page: PageArgs,
}

/// Which needs a command looks at: `needs list` and `matches allocate` filter alike.
#[derive(Debug, Args)]
pub(super) struct NeedFilterArgs {
    /// Only needs of this requester.
    #[arg(long)]
    pub(super) requester: Option<String>,
    /// Only needs naming this GCM objective (1-23).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=23))]
    pub(super) theme: Option<u32>,
    /// Only needs delivered in this country (alpha-3).
    #[arg(long)]
    pub(super) country: Option<String>,
    /// Only needs delivered in this M49 area ("central_america", "africa").
    #[arg(long)]
    pub(super) region: Option<String>,
}

/// Runs a `needs` subcommand.
pub async fn run(args: NeedsArgs) -> Result<(), CliError> {
    let hub = Hub::connect(&args.client).await?;
    let json = args.client.json;
    let need = match args.command {
        NeedsCommand::Submit(submit_args) => {
            let need = call(hub.needs().submit_need(submit_request(submit_args)?)).await?;
            output::print_record(&need, json, need_fields)?;
            if !json && let Some(hint) = related_hint(&need) {
                eprintln!("{hint}");
            }
            return Ok(());
        }
        NeedsCommand::Show { id } => call(hub.needs().get_need(GetNeedRequest { id })).await?,
        NeedsCommand::List(list_args) => return list_needs(&hub, list_args, json).await,
        NeedsCommand::Update { id, fields, window } => update(&hub, id, fields, window).await?,
        NeedsCommand::Confirm { id } => {
            call(hub.needs().confirm_still_current(ConfirmNeedStillCurrentRequest { id })).await?
        }
        NeedsCommand::Withdraw { id, reason } => {
            let request = WithdrawNeedRequest {
                id,
                reason: reason.unwrap_or_default(),
            };
            call(hub.needs().withdraw_need(request)).await?
        }
    };
    output::print_record(&need, json, need_fields)
}

/// The request from `--file`, or else from the flags.
fn submit_request(args: SubmitArgs) -> Result<SubmitNeedRequest, CliError> {
    let mut request = match &args.file {
        Some(path) => output::read_json_file::<SubmitNeedRequest>(path)?,
        None => {
            let fields = args.fields;
            SubmitNeedRequest {
                requester_id: args.requester.unwrap_or_default(),
                title: fields.title.unwrap_or_default(),
                description: fields.description.unwrap_or_default(),
                themes: fields.themes,
                modalities: fields.modalities.into_iter().map(Into::into).collect(),
                level: fields.level.map_or(0, Into::into),
                countries: fields.countries,
                languages: fields.languages,
                budget_usd: fields.budget_usd,
                urgency: fields.urgency.map_or(0, Into::into),
                window: args.window.into_window(),
                request_id: String::new(),
            }
        }
    };
    if let Some(request_id) = args.request_id {
        request.request_id = request_id;
    }
    Ok(request)
}

async fn list_needs(hub: &Hub, args: ListArgs, json: bool) -> Result<(), CliError> {
    let request = ListNeedsRequest {
        requester_id: args.filter.requester.unwrap_or_default(),
        status: args.status.map_or(0, Into::into),
        theme: args.filter.theme.unwrap_or_default(),
        country: args.filter.country.unwrap_or_default(),
        region: args.filter.region.unwrap_or_default(),
        page_size: args.page.page_size.unwrap_or_default(),
        page_token: String::new(),
    };
    let client = hub.needs();
    let page = fetch_pages(&args.page, |page_token| {
        let request = ListNeedsRequest {
            page_token,
            ..request.clone()
        };
        let mut client = client.clone();
        async move { call(client.list_needs(request)).await }
    })
    .await?;
    if json {
        return output::print_json(&page);
    }
    let rows = page.needs.iter().map(|need| {
        [
            need.id.clone(),
            need.title.clone(),
            need.requester_id.clone(),
            output::status_of_listing(code::<NeedStatus>(need.status), need.stale),
            cell(&list(&need.themes), 12),
            code::<Urgency>(need.urgency),
            cell(&list(&need.countries), 12),
        ]
    });
    let header = ["ID", "TITLE", "REQUESTER", "STATUS", "THEMES", "URGENCY", "COUNTRIES"];
    output::print_table(&output::fitted_table(header, rows.collect(), 1), 0);
    output::page_hint(&page.next_page_token);
    Ok(())
}

async fn update(hub: &Hub, id: String, fields: NeedFields, window: WindowArgs) -> Result<Need, CliError> {
    let mut need = Need {
        id: id.clone(),
        ..Need::default()
    };
    let mut mask = Mask::default();
    mask.set("title", fields.title, &mut need.title);
    mask.set("description", fields.description, &mut need.description);
    mask.set_list("themes", fields.themes, &mut need.themes);
    let modalities = fields.modalities.into_iter().map(Into::into).collect();
    mask.set_list("modalities", modalities, &mut need.modalities);
    mask.set("level", fields.level.map(Into::into), &mut need.level);
    mask.set_list("countries", fields.countries, &mut need.countries);
    mask.set_list("languages", fields.languages, &mut need.languages);
    mask.set("budget_usd", fields.budget_usd.map(Some), &mut need.budget_usd);
    mask.set("urgency", fields.urgency.map(Into::into), &mut need.urgency);
    if window.is_given() {
        let current = call(hub.needs().get_need(GetNeedRequest { id })).await?;
        mask.set("window", Some(Some(window.over(current.window))), &mut need.window);
    }
    let request = UpdateNeedRequest {
        update_mask: mask.finish("needs update")?,
        need: Some(need),
    };
    call(hub.needs().update_need(request)).await
}

/// The most related items SubmitNeed counts (needs.proto's `related_count`, "up to 50"): a
/// count there may stand for more.
const RELATED_COUNT_CAP: u32 = 50;

/// How many items FindRelated gives when no limit is asked for (matches.proto: "0: 10").
const RELATED_DEFAULT_LIMIT: u32 = 10;

/// What to run to see what was learned around a new need, when the hub found anything:
/// `3 related items (past needs, practices, other actors' open needs): capacity-hub matches
/// related need-151`. Past the hub's default limit the command asks for them all.
fn related_hint(need: &Need) -> Option<String> {
    let count = need.related_count;
    let items = match count {
        0 => return None,
        1 => "1 related item".to_owned(),
        RELATED_COUNT_CAP.. => format!("{RELATED_COUNT_CAP} or more related items"),
        _ => format!("{count} related items"),
    };
    let limit = if count > RELATED_DEFAULT_LIMIT {
        format!(" --limit {}", count.min(RELATED_COUNT_CAP))
    } else {
        String::new()
    };
    Some(format!(
        "{items} (past needs, practices, other actors' open needs): capacity-hub matches related {}{limit}",
        need.id
    ))
}

/// A need as `field: value` lines.
fn need_fields(need: &Need) -> Vec<(&'static str, String)> {
    let budget = need
        .budget_usd
        .map_or_else(|| "-".to_owned(), |usd| format!("USD {usd}"));
    let mut fields = vec![
        ("id", need.id.clone()),
        ("title", need.title.clone()),
        ("requester", need.requester_id.clone()),
        ("status", code::<NeedStatus>(need.status)),
        ("themes", list(&need.themes)),
        ("modalities", codes::<Modality>(&need.modalities)),
        ("level", code::<Level>(need.level)),
        ("countries", list(&need.countries)),
        ("languages", list(&need.languages)),
        ("budget", budget),
        ("urgency", code::<Urgency>(need.urgency)),
        ("window", output::window(need.window.as_ref())),
        ("description", or_dash(&need.description)),
        ("created", timestamp(need.created_at.as_ref())),
        ("updated", timestamp(need.updated_at.as_ref())),
        ("stale", output::staleness(need.stale, "needs", &need.id)),
    ];
    if let Some(time) = &need.expected_days_to_match {
        fields.push(("time to match", time.basis.clone()));
    }
    if !need.similar_need_ids.is_empty() {
        fields.push(("similar needs", list(&need.similar_need_ids)));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submitted(related_count: u32) -> Need {
        Need {
            id: "need-151".to_owned(),
            related_count,
            ..Default::default()
        }
    }

    #[test]
    fn a_new_need_points_at_what_is_related() {
        assert_eq!(related_hint(&submitted(0)), None);
        assert_eq!(
            related_hint(&submitted(1)).as_deref(),
            Some(
                "1 related item (past needs, practices, other actors' open needs): capacity-hub matches related need-151"
            )
        );
        assert_eq!(
            related_hint(&submitted(3)).as_deref(),
            Some(
                "3 related items (past needs, practices, other actors' open needs): capacity-hub matches related need-151"
            )
        );
    }

    #[test]
    fn more_than_the_default_limit_asks_for_them_all() {
        let hint = related_hint(&submitted(23));
        assert!(
            hint.as_deref().is_some_and(|hint| hint.starts_with("23 related items")
                && hint.ends_with("capacity-hub matches related need-151 --limit 23")),
            "{hint:?}"
        );
        let hint = related_hint(&submitted(50));
        assert!(
            hint.as_deref()
                .is_some_and(|hint| hint.starts_with("50 or more related items") && hint.ends_with("--limit 50")),
            "{hint:?}"
        );
    }
}

//! `capacity-hub offers`: the supply side. A provider says what capacity it can give, where, in
//! which languages and how much of it.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::CliError;
use super::client::{ClientArgs, Hub, PageArgs, call, fetch_pages};
use super::edit::{Mask, WindowArgs};
use super::needs_for;
use super::output::{self, CodeParser, cell, code, codes, list, or_dash, timestamp};
use crate::proto::{
    ConfirmOfferStillCurrentRequest, GetOfferRequest, Level, ListOffersRequest, Modality, Offer, OfferStatus,
    RegisterOfferRequest, UpdateOfferRequest, WithdrawOfferRequest,
};

/// `capacity-hub offers ...`
#[derive(Debug, Args)]
pub struct OffersArgs {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: OffersCommand,
}

#[derive(Debug, Subcommand)]
enum OffersCommand {
    /// Register an offer, from flags or from a JSON file.
    Register(RegisterArgs),
    /// Show one offer.
    Show {
        /// The offer's id.
        id: String,
    },
    /// List offers, optionally filtered.
    List(ListArgs),
    /// Change an offer: only the fields given change.
    Update {
        /// The offer's id.
        id: String,
        #[command(flatten)]
        fields: OfferFields,
        #[command(flatten)]
        window: WindowArgs,
    },
    /// The open needs the offer can serve, best first, each with its score and why (the same
    /// score the need's `matches find` gives the offer).
    Needs {
        /// The offer's id.
        id: String,
        /// At most this many needs (the hub's default is 10).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
        limit: Option<u32>,
        /// Start at this page (from the last line of the previous one).
        #[arg(long)]
        page_token: Option<String>,
        /// Also print every score component.
        #[arg(long)]
        explain: bool,
    },
    /// Confirm an active offer is still current: it counts as an update, so it is no longer
    /// stale.
    Confirm {
        /// The offer's id.
        id: String,
    },
    /// Withdraw an offer so it is matched no more.
    Withdraw {
        /// The offer's id.
        id: String,
        /// Why, for the record.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// What an offer gives, as flags; each is optional so `update` can tell which were given.
#[derive(Debug, Args)]
struct OfferFields {
    /// One line saying what capacity is offered.
    #[arg(long)]
    title: Option<String>,
    /// The offer in more words.
    #[arg(long)]
    description: Option<String>,
    /// GCM objective number (1-23); repeat for several.
    #[arg(long = "theme", value_name = "N", value_delimiter = ',')]
    themes: Vec<u32>,
    /// How the capacity is delivered; repeat for several.
    #[arg(long = "modality", value_name = "MODALITY", value_delimiter = ',', value_parser = CodeParser::<Modality>::new())]
    modalities: Vec<Modality>,
    /// Level of governance served; repeat for several (none: all levels).
    #[arg(long = "level", value_name = "LEVEL", value_delimiter = ',', value_parser = CodeParser::<Level>::new())]
    levels: Vec<Level>,
    /// Alpha-3 code of a country served; repeat for several.
    #[arg(long = "country", value_name = "CODE", value_delimiter = ',')]
    countries: Vec<String>,
    /// M49 area served ("central_america", "africa"); repeat for several.
    #[arg(long = "region", value_name = "SLUG", value_delimiter = ',')]
    regions: Vec<String>,
    /// Serves the whole world (`--worldwide=false` to stop).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    worldwide: Option<bool>,
    /// ISO 639-1 code of a working language (default: the provider's); repeat for several.
    #[arg(long = "language", value_name = "CODE", value_delimiter = ',')]
    languages: Vec<String>,
    /// Concurrent engagements the provider can take on.
    #[arg(long)]
    capacity: Option<u32>,
    /// Money on offer, in US dollars (funding offers).
    #[arg(long)]
    funding_usd: Option<i64>,
}

#[derive(Debug, Args)]
struct RegisterArgs {
    /// Id of the actor giving the capacity.
    #[arg(long, required_unless_present = "file")]
    provider: Option<String>,
    #[command(flatten)]
    fields: OfferFields,
    #[command(flatten)]
    window: WindowArgs,
    /// Read the whole RegisterOfferRequest from this proto3 JSON file instead of flags.
    #[arg(long, conflicts_with_all = ["provider", "OfferFields", "WindowArgs"])]
    file: Option<PathBuf>,
    /// Idempotency key: a retry with the same id registers nothing new.
    #[arg(long)]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Only offers of this provider.
    #[arg(long)]
    provider: Option<String>,
    /// Only offers in this status.
    #[arg(long, value_parser = CodeParser::<OfferStatus>::new())]
    status: Option<OfferStatus>,
    /// Only offers naming this GCM objective (1-23).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=23))]
    theme: Option<u32>,
    /// Only offers delivered this way.
    #[arg(long, value_parser = CodeParser::<Modality>::new())]
    modality: Option<Modality>,
    #[command(flatten)]
    page: PageArgs,
}

/// Runs an `offers` subcommand.
pub async fn run(args: OffersArgs) -> Result<(), CliError> {
    let hub = Hub::connect(&args.client).await?;
    let json = args.client.json;
    let offer = match args.command {
        OffersCommand::Register(register_args) => {
            call(hub.offers().register_offer(register_request(register_args)?)).await?
        }
        OffersCommand::Show { id } => call(hub.offers().get_offer(GetOfferRequest { id })).await?,
        OffersCommand::List(list_args) => return list_offers(&hub, list_args, json).await,
        OffersCommand::Needs {
            id,
            limit,
            page_token,
            explain,
        } => return needs_for::run(&hub, id, limit, page_token, explain, json).await,
        OffersCommand::Update { id, fields, window } => update(&hub, id, fields, window).await?,
        OffersCommand::Confirm { id } => {
            call(
                hub.offers()
                    .confirm_still_current(ConfirmOfferStillCurrentRequest { id }),
            )
            .await?
        }
        OffersCommand::Withdraw { id, reason } => {
            let request = WithdrawOfferRequest {
                id,
                reason: reason.unwrap_or_default(),
            };
            call(hub.offers().withdraw_offer(request)).await?
        }
    };
    output::print_record(&offer, json, offer_fields)
}

/// The request from `--file`, or else from the flags.
fn register_request(args: RegisterArgs) -> Result<RegisterOfferRequest, CliError> {
    let mut request = match &args.file {
        Some(path) => output::read_json_file::<RegisterOfferRequest>(path)?,
        None => {
            let fields = args.fields;
            RegisterOfferRequest {
                provider_id: args.provider.unwrap_or_default(),
                title: fields.title.unwrap_or_default(),
                description: fields.description.unwrap_or_default(),
                themes: fields.themes,
                modalities: fields.modalities.into_iter().map(Into::into).collect(),
                levels: fields.levels.into_iter().map(Into::into).collect(),
                countries: fields.countries,
                regions: fields.regions,
                worldwide: fields.worldwide.unwrap_or_default(),
                languages: fields.languages,
                capacity: fields.capacity.unwrap_or_default(),
                funding_usd: fields.funding_usd,
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

async fn list_offers(hub: &Hub, args: ListArgs, json: bool) -> Result<(), CliError> {
    let request = ListOffersRequest {
        provider_id: args.provider.unwrap_or_default(),
        status: args.status.map_or(0, Into::into),
        theme: args.theme.unwrap_or_default(),
        modality: args.modality.map_or(0, Into::into),
        page_size: args.page.page_size.unwrap_or_default(),
        page_token: String::new(),
    };
    let client = hub.offers();
    let page = fetch_pages(&args.page, |page_token| {
        let request = ListOffersRequest {
            page_token,
            ..request.clone()
        };
        let mut client = client.clone();
        async move { call(client.list_offers(request)).await }
    })
    .await?;
    if json {
        return output::print_json(&page);
    }
    let rows = page.offers.iter().map(|offer| {
        [
            offer.id.clone(),
            offer.title.clone(),
            offer.provider_id.clone(),
            output::status_of_listing(code::<OfferStatus>(offer.status), offer.stale),
            cell(&list(&offer.themes), 10),
            cell(&codes::<Modality>(&offer.modalities), 20),
            format!("{}/{}", offer.remaining_capacity, offer.capacity),
        ]
    });
    let header = ["ID", "TITLE", "PROVIDER", "STATUS", "THEMES", "MODALITIES", "FREE"];
    output::print_table(&output::fitted_table(header, rows.collect(), 1), 0);
    output::page_hint(&page.next_page_token);
    Ok(())
}

async fn update(hub: &Hub, id: String, fields: OfferFields, window: WindowArgs) -> Result<Offer, CliError> {
    let mut offer = Offer {
        id: id.clone(),
        ..Offer::default()
    };
    let mut mask = Mask::default();
    mask.set("title", fields.title, &mut offer.title);
    mask.set("description", fields.description, &mut offer.description);
    mask.set_list("themes", fields.themes, &mut offer.themes);
    let modalities = fields.modalities.into_iter().map(Into::into).collect();
    mask.set_list("modalities", modalities, &mut offer.modalities);
    let levels = fields.levels.into_iter().map(Into::into).collect();
    mask.set_list("levels", levels, &mut offer.levels);
    mask.set_list("countries", fields.countries, &mut offer.countries);
    mask.set_list("regions", fields.regions, &mut offer.regions);
    mask.set("worldwide", fields.worldwide, &mut offer.worldwide);
    mask.set_list("languages", fields.languages, &mut offer.languages);
    mask.set("capacity", fields.capacity, &mut offer.capacity);
    mask.set("funding_usd", fields.funding_usd.map(Some), &mut offer.funding_usd);
    if window.is_given() {
        let current = call(hub.offers().get_offer(GetOfferRequest { id })).await?;
        mask.set("window", Some(Some(window.over(current.window))), &mut offer.window);
    }
    let request = UpdateOfferRequest {
        update_mask: mask.finish("offers update")?,
        offer: Some(offer),
    };
    call(hub.offers().update_offer(request)).await
}

/// Where an offer serves: the world, or its countries and areas.
fn coverage(offer: &Offer) -> String {
    if offer.worldwide {
        return "worldwide".to_owned();
    }
    list(offer.countries.iter().chain(&offer.regions))
}

/// An offer as `field: value` lines.
fn offer_fields(offer: &Offer) -> Vec<(&'static str, String)> {
    let funding = offer
        .funding_usd
        .map_or_else(|| "-".to_owned(), |usd| format!("USD {usd}"));
    let levels = if offer.levels.is_empty() {
        "all".to_owned()
    } else {
        codes::<Level>(&offer.levels)
    };
    vec![
        ("id", offer.id.clone()),
        ("title", offer.title.clone()),
        ("provider", offer.provider_id.clone()),
        ("status", code::<OfferStatus>(offer.status)),
        ("themes", list(&offer.themes)),
        ("modalities", codes::<Modality>(&offer.modalities)),
        ("levels", levels),
        ("coverage", coverage(offer)),
        ("languages", list(&offer.languages)),
        (
            "capacity",
            format!("{} of {} free", offer.remaining_capacity, offer.capacity),
        ),
        ("funding", funding),
        ("window", output::window(offer.window.as_ref())),
        ("description", or_dash(&offer.description)),
        ("created", timestamp(offer.created_at.as_ref())),
        ("updated", timestamp(offer.updated_at.as_ref())),
        ("stale", output::staleness(offer.stale, "offers", &offer.id)),
    ]
}

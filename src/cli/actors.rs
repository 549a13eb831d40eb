//! `capacity-hub actors`: the States, cities, UN entities and organisations that post needs and
//! offers.

use clap::{Args, Subcommand};

use super::CliError;
use super::client::{ClientArgs, Hub, PageArgs, call, fetch_pages};
use super::edit::Mask;
use super::output::{self, CodeParser, cell, code, list, or_dash, timestamp};
use crate::proto::{
    Actor, ActorKind, GetActorRequest, ListActorsRequest, RegisterActorRequest, UpdateActorRequest, WhoAmIRequest,
};

/// `capacity-hub actors ...`
#[derive(Debug, Args)]
pub struct ActorsArgs {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: ActorsCommand,
}

#[derive(Debug, Subcommand)]
enum ActorsCommand {
    /// Register an actor and print its API token (shown only this once).
    Register(RegisterArgs),
    /// Show one actor.
    Show {
        /// The actor's id.
        id: String,
    },
    /// List actors, optionally of one kind or country.
    List(ListArgs),
    /// Change an actor's profile: only the fields given change.
    Update {
        /// The actor's id.
        id: String,
        #[command(flatten)]
        fields: ActorFields,
    },
    /// Whom the token (--token or CAPACITY_HUB_TOKEN) acts for.
    Whoami,
}

/// An actor's profile as flags; each is optional so `update` can tell which were given.
#[derive(Debug, Args)]
struct ActorFields {
    /// Display name ("IOM", "Guatemala").
    #[arg(long)]
    name: Option<String>,
    /// What kind of body the actor is.
    #[arg(long, value_parser = CodeParser::<ActorKind>::new())]
    kind: Option<ActorKind>,
    /// ISO 3166-1 alpha-3 code; leave out for global and regional bodies.
    #[arg(long)]
    country: Option<String>,
    /// ISO 639-1 code of a working language; repeat for several.
    #[arg(long = "language", value_name = "CODE", value_delimiter = ',')]
    languages: Vec<String>,
    /// What the actor does.
    #[arg(long)]
    description: Option<String>,
    /// How to reach the actor (private: only the actor and admins see it).
    #[arg(long)]
    contact: Option<String>,
}

#[derive(Debug, Args)]
struct RegisterArgs {
    #[command(flatten)]
    fields: ActorFields,
    /// Idempotency key: a retry with the same id registers nothing new.
    #[arg(long)]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Only actors of this kind.
    #[arg(long, value_parser = CodeParser::<ActorKind>::new())]
    kind: Option<ActorKind>,
    /// Only actors of this country (alpha-3).
    #[arg(long)]
    country: Option<String>,
    #[command(flatten)]
    page: PageArgs,
}

/// Runs an `actors` subcommand.
pub async fn run(args: ActorsArgs) -> Result<(), CliError> {
    let hub = Hub::connect(&args.client).await?;
    let json = args.client.json;
    match args.command {
        ActorsCommand::Register(register_args) => register(&hub, register_args, json).await,
        ActorsCommand::Show { id } => {
            let actor = call(hub.actors().get_actor(GetActorRequest { id })).await?;
            output::print_record(&actor, json, actor_fields)
        }
        ActorsCommand::List(list_args) => list_actors(&hub, list_args, json).await,
        ActorsCommand::Update { id, fields } => update(&hub, id, fields, json).await,
        ActorsCommand::Whoami => {
            let me = call(hub.actors().who_am_i(WhoAmIRequest {})).await?;
            match (&me.actor, json) {
                (_, true) => output::print_json(&me),
                (Some(actor), false) => output::print_record(actor, false, actor_fields),
                (None, false) => {
                    output::print_fields(vec![("acts for", "any actor: this is the admin token".to_string())]);
                    Ok(())
                }
            }
        }
    }
}

async fn register(hub: &Hub, args: RegisterArgs, json: bool) -> Result<(), CliError> {
    let fields = args.fields;
    let request = RegisterActorRequest {
        name: fields.name.unwrap_or_default(),
        kind: fields.kind.map_or(0, Into::into),
        country: fields.country.unwrap_or_default(),
        languages: fields.languages,
        description: fields.description.unwrap_or_default(),
        contact: fields.contact.unwrap_or_default(),
        request_id: args.request_id.unwrap_or_default(),
    };
    let response = call(hub.actors().register_actor(request)).await?;
    if json {
        return output::print_json(&response);
    }
    let mut fields = actor_fields(&response.actor.unwrap_or_default());
    let first_time = !response.api_token.is_empty();
    if first_time {
        fields.push(("api token", response.api_token));
    }
    output::print_fields(fields);
    if first_time {
        eprintln!("keep the token: the hub stores only its hash and cannot show it again");
    } else {
        eprintln!("already registered with this request id: the token was given only by the first call");
    }
    Ok(())
}

async fn list_actors(hub: &Hub, args: ListArgs, json: bool) -> Result<(), CliError> {
    let request = ListActorsRequest {
        kind: args.kind.map_or(0, Into::into),
        country: args.country.unwrap_or_default(),
        page_size: args.page.page_size.unwrap_or_default(),
        page_token: String::new(),
    };
    let client = hub.actors();
    let page = fetch_pages(&args.page, |page_token| {
        let request = ListActorsRequest {
            page_token,
            ..request.clone()
        };
        let mut client = client.clone();
        async move { call(client.list_actors(request)).await }
    })
    .await?;
    if json {
        return output::print_json(&page);
    }
    let rows = page.actors.iter().map(|actor| {
        [
            actor.id.clone(),
            actor.name.clone(),
            code::<ActorKind>(actor.kind),
            or_dash(&actor.country),
            cell(&or_dash(&actor.sub_region), 16),
            cell(&list(&actor.languages), 10),
        ]
    });
    let header = ["ID", "NAME", "KIND", "COUNTRY", "SUB-REGION", "LANGUAGES"];
    output::print_table(&output::fitted_table(header, rows.collect(), 1), 0);
    output::page_hint(&page.next_page_token);
    Ok(())
}

async fn update(hub: &Hub, id: String, fields: ActorFields, json: bool) -> Result<(), CliError> {
    let mut actor = Actor { id, ..Actor::default() };
    let mut mask = Mask::default();
    mask.set("name", fields.name, &mut actor.name);
    mask.set("kind", fields.kind.map(Into::into), &mut actor.kind);
    mask.set("country", fields.country, &mut actor.country);
    mask.set_list("languages", fields.languages, &mut actor.languages);
    mask.set("description", fields.description, &mut actor.description);
    mask.set("contact", fields.contact, &mut actor.contact);
    let request = UpdateActorRequest {
        update_mask: mask.finish("actors update")?,
        actor: Some(actor),
    };
    let actor = call(hub.actors().update_actor(request)).await?;
    output::print_record(&actor, json, actor_fields)
}

/// An actor as `field: value` lines.
fn actor_fields(actor: &Actor) -> Vec<(&'static str, String)> {
    let area = [actor.sub_region.as_str(), actor.region.as_str()]
        .into_iter()
        .filter(|area| !area.is_empty());
    vec![
        ("id", actor.id.clone()),
        ("name", actor.name.clone()),
        ("kind", code::<ActorKind>(actor.kind)),
        ("country", or_dash(&actor.country)),
        ("region", list(area)),
        ("languages", list(&actor.languages)),
        ("description", or_dash(&actor.description)),
        ("contact", or_dash(&actor.contact)),
        ("created", timestamp(actor.created_at.as_ref())),
        ("updated", timestamp(actor.updated_at.as_ref())),
    ]
}

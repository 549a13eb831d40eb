//! The equity report of MatchService.RunAllocation, over a small world built by hand through the
//! API: needs in three regions, in least developed and small island States and elsewhere, on two
//! objectives, some asking a funding offer for their budgets. For a dry run and for two commits in
//! a row, in both modes, every row of the report must say what the test counts itself from the
//! needs it submitted and the pairs the response returns.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};

use common::*;

/// What the test knows of a need it submitted, from the UN lists rather than from the hub.
#[derive(Debug, Clone)]
struct Known {
    /// The M49 region of its country.
    region: &'static str,
    /// Whether its country is least developed or a small island developing State.
    ldc_or_sids: bool,
    themes: Vec<u32>,
    budget_usd: Option<i64>,
}

/// The world: each need submitted, by id, and the funding offers' ids.
struct World {
    needs: HashMap<String, Known>,
    funding_offers: HashSet<String>,
}

/// Seven needs and two offers. A fund (objectives 7 and 13, USD 100,000, three seats, so two per
/// region) is asked for by four needs whose budgets add up to more than it holds, one of them
/// without a budget; an adviser with two seats (one per region) on objective 13 takes the two
/// needs that ask for advice, one with a budget it does not fund; a need on objective 5 finds no
/// offer. Guatemala is in neither list,
/// Haiti is least developed and a small island State, Senegal least developed, Fiji a small island
/// State.
async fn build_world(hub: &TestHub) -> World {
    let gtm = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let hti = hub.register("Haiti", ActorKind::NationalGovernment, "HTI").await;
    let sen = hub.register("Senegal", ActorKind::NationalGovernment, "SEN").await;
    let fji = hub.register("Fiji", ActorKind::NationalGovernment, "FJI").await;
    let fund = hub.register("Start-up fund", ActorKind::UnEntity, "").await;
    let alianza = hub.register("Casa Alianza", ActorKind::CivilSociety, "MEX").await;

    let (funding, advice) = (Modality::Funding, Modality::TechnicalAdvice);
    let fund_offer = hub
        .offer(RegisterOfferRequest {
            funding_usd: Some(100_000),
            capacity: 3,
            ..offer_request(&fund.id, &[7, 13], &[funding], Coverage::Worldwide)
        })
        .await;
    hub.offer(RegisterOfferRequest {
        capacity: 2,
        ..offer_request(&alianza.id, &[13], &[advice], Coverage::Worldwide)
    })
    .await;

    let needs = [
        (&gtm, "GTM", ("americas", false), vec![13], funding, Some(40_000)),
        (&hti, "HTI", ("americas", true), vec![7, 13], funding, Some(30_000)),
        (&sen, "SEN", ("africa", true), vec![7], funding, Some(50_000)),
        (&sen, "SEN", ("africa", true), vec![13], funding, None),
        (&gtm, "GTM", ("americas", false), vec![13], advice, Some(10_000)),
        (&fji, "FJI", ("oceania", true), vec![13], advice, None),
        (
            &hti,
            "HTI",
            ("americas", true),
            vec![5],
            Modality::Research,
            Some(5_000),
        ),
    ];
    let mut known = HashMap::new();
    for (requester, country, (region, ldc_or_sids), themes, modality, budget_usd) in needs {
        let request = SubmitNeedRequest {
            budget_usd,
            ..need_request(&requester.id, &themes, &[modality], &[country])
        };
        let need = hub.submit(request).await;
        let need_facts = Known {
            region,
            ldc_or_sids,
            themes,
            budget_usd,
        };
        known.insert(need.id, need_facts);
    }
    World {
        needs: known,
        funding_offers: HashSet::from([fund_offer.id]),
    }
}

/// One row as the test counts it.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Row {
    open_needs: u32,
    requested_usd: i64,
    pairs: u32,
    funded_usd: i64,
}

/// The groups of a need in each grouping: its region, LDC/SIDS or other, and its objectives.
fn groups(need: &Known) -> [Vec<String>; 3] {
    let vulnerability = if need.ldc_or_sids { "ldc_or_sids" } else { "other" };
    [
        vec![need.region.to_owned()],
        vec![vulnerability.to_owned()],
        need.themes.iter().map(u32::to_string).collect(),
    ]
}

/// The three groupings' rows as the test counts them from the needs `considered` and the
/// response's pairs, each grouping's rows in the report's order.
fn expected(world: &World, considered: &[&str], response: &RunAllocationResponse) -> [Vec<(String, Row)>; 3] {
    let mut rows: [BTreeMap<String, Row>; 3] = Default::default();
    for id in considered {
        let need = &world.needs[*id];
        for (grouping, groups) in rows.iter_mut().zip(groups(need)) {
            for group in groups {
                let row = grouping.entry(group).or_default();
                row.open_needs += 1;
                row.requested_usd += need.budget_usd.unwrap_or(0);
            }
        }
    }
    for pair in &response.pairs {
        let need = &world.needs[&pair.need_id];
        let funded = if world.funding_offers.contains(&pair.offer_id) {
            need.budget_usd.unwrap_or(0)
        } else {
            0
        };
        for (grouping, groups) in rows.iter_mut().zip(groups(need)) {
            for group in groups {
                let row = grouping.entry(group).or_default();
                row.pairs += 1;
                row.funded_usd += funded;
            }
        }
    }
    rows.map(|grouping| {
        let mut rows: Vec<(String, Row)> = grouping.into_iter().collect();
        // Objectives by number, the others by name: the same for names that are not numbers.
        rows.sort_by_key(|(group, _)| (group.parse::<u32>().ok(), group.clone()));
        rows
    })
}

fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// Checks every row of the response's report against the test's own count over `considered`.
fn assert_report(world: &World, considered: &[&str], response: &RunAllocationResponse, what: &str) {
    assert_eq!(
        response.needs_considered as usize,
        considered.len(),
        "{what}: {response:?}"
    );
    let report = response
        .equity
        .as_ref()
        .unwrap_or_else(|| panic!("{what}: no equity report"));
    let expected = expected(world, considered, response);
    let all_pairs = response.pairs.len() as f64;
    let all_funded: i64 = expected[0].iter().map(|(_, row)| row.funded_usd).sum();
    let reported = [&report.by_region, &report.by_ldc_sids, &report.by_objective];
    for ((name, rows), expected) in ["by_region", "by_ldc_sids", "by_objective"]
        .into_iter()
        .zip(reported)
        .zip(expected)
    {
        let groups: Vec<&str> = rows.iter().map(|row| row.group.as_str()).collect();
        let expected_groups: Vec<&str> = expected.iter().map(|(group, _)| group.as_str()).collect();
        assert_eq!(groups, expected_groups, "{what}: {name}");
        for (row, (group, counted)) in rows.iter().zip(&expected) {
            let at = format!("{what}: {name} {group}: {row:?}, counted {counted:?}");
            assert_eq!(row.open_needs, counted.open_needs, "{at}");
            assert_eq!(row.requested_usd, counted.requested_usd, "{at}");
            assert_eq!(row.pairs, counted.pairs, "{at}");
            assert_eq!(row.funded_usd, counted.funded_usd, "{at}");
            let shares = [
                (
                    row.open_share,
                    share(counted.open_needs.into(), considered.len() as f64),
                ),
                (row.pair_share, share(counted.pairs.into(), all_pairs)),
                (row.funding_share, share(counted.funded_usd as f64, all_funded as f64)),
            ];
            for (reported, counted) in shares {
                assert!(
                    (reported - counted).abs() < 1e-12,
                    "{at}: share {reported}, counted {counted}"
                );
            }
        }
    }
}

async fn run(hub: &TestHub, mode: AllocationMode, dry_run: bool) -> RunAllocationResponse {
    let request = RunAllocationRequest {
        mode: mode as i32,
        dry_run,
        ..Default::default()
    };
    hub.matches()
        .run_allocation(request.clone())
        .await
        .unwrap_or_else(|status| panic!("RunAllocation({request:?}) failed: {status:?}"))
        .into_inner()
}

#[tokio::test]
async fn the_equity_report_counts_the_needs_considered_and_the_pairs_returned() {
    for mode in [AllocationMode::Optimal, AllocationMode::Stable] {
        let dir = tempfile::tempdir().unwrap();
        let hub = TestHub::start(dir.path()).await;
        let world = build_world(&hub).await;
        let every_need: Vec<&str> = world.needs.keys().map(String::as_str).collect();

        let dry = run(&hub, mode, true).await;
        assert_report(&world, &every_need, &dry, &format!("{mode:?} dry run"));
        // The world is what its comment says: some needs paired and some not, money given, a
        // budget an offer that is no funding offer does not fund, and a need naming two
        // objectives counted in both.
        assert!(
            !dry.pairs.is_empty() && dry.pairs.len() < every_need.len(),
            "{mode:?}: {dry:?}"
        );
        let unfunded_budget = dry.pairs.iter().any(|pair| {
            !world.funding_offers.contains(&pair.offer_id) && world.needs[&pair.need_id].budget_usd.is_some()
        });
        assert!(unfunded_budget, "{mode:?}: {dry:?}");
        let report = dry.equity.as_ref().expect("a report");
        assert!(
            report.by_region.iter().any(|row| row.funded_usd > 0),
            "{mode:?}: {report:?}"
        );
        assert!(
            report.by_region.len() >= 3 && report.by_ldc_sids.len() == 2,
            "{report:?}"
        );
        let objective_shares: f64 = report.by_objective.iter().map(|row| row.open_share).sum();
        assert!(objective_shares > 1.0, "{mode:?}: {report:?}");

        let committed = run(&hub, mode, false).await;
        assert_eq!(
            committed.match_ids.len(),
            committed.pairs.len(),
            "{mode:?}: {committed:?}"
        );
        assert_report(&world, &every_need, &committed, &format!("{mode:?} commit"));

        // The next run considers only the needs left over; their seats and money are held, so it
        // may pair none, and its pair and funding shares are then 0.
        let paired: HashSet<&str> = committed.pairs.iter().map(|p| p.need_id.as_str()).collect();
        let left_over: Vec<&str> = every_need.iter().copied().filter(|id| !paired.contains(id)).collect();
        let again = run(&hub, mode, false).await;
        assert_report(&world, &left_over, &again, &format!("{mode:?} second commit"));
    }
}

//! Any bytes, read as a request of one of the create or update calls, go through the same
//! conversion and validation the gRPC layer runs: they must be refused or accepted, never panic.

#![no_main]

use capacity_hub::domain::{Coverage, DateWindow, Level, NeedSpec, OfferSpec, PracticeSpec, Urgency};
use capacity_hub::proto;
use capacity_hub::rpc::convert;
use libfuzzer_sys::fuzz_target;
use prost::Message;

fn blank_need() -> NeedSpec {
    NeedSpec {
        title: String::new(),
        description: String::new(),
        themes: Vec::new(),
        modalities: Vec::new(),
        level: Level::National,
        countries: Vec::new(),
        languages: Vec::new(),
        budget_usd: None,
        urgency: Urgency::Normal,
        window: DateWindow::default(),
    }
}

fn blank_offer() -> OfferSpec {
    OfferSpec {
        title: String::new(),
        description: String::new(),
        themes: Vec::new(),
        modalities: Vec::new(),
        levels: Vec::new(),
        coverage: Coverage::default(),
        languages: Vec::new(),
        capacity: 1,
        funding_usd: None,
        window: DateWindow::default(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    match kind % 10 {
        0 => {
            if let Ok((_, spec, _)) = proto::SubmitNeedRequest::decode(bytes)
                .map_err(drop)
                .and_then(|r| convert::submit_need(r).map_err(drop))
            {
                let _ = spec.validate();
            }
        }
        1 => {
            if let Ok((_, spec, _)) = proto::RegisterOfferRequest::decode(bytes)
                .map_err(drop)
                .and_then(|r| convert::register_offer(r).map_err(drop))
            {
                let _ = spec.validate();
            }
        }
        2 => {
            if let Ok((profile, _)) = proto::RegisterActorRequest::decode(bytes)
                .map_err(drop)
                .and_then(|r| convert::register_actor(r).map_err(drop))
            {
                let _ = profile.validate();
            }
        }
        3 => {
            if let Ok((spec, _)) = proto::AddPartnershipRequest::decode(bytes)
                .map_err(drop)
                .and_then(|r| convert::add_partnership(r).map_err(drop))
            {
                let _ = spec.validate();
            }
        }
        4 => {
            if let Ok((_, edit)) = proto::UpdateNeedRequest::decode(bytes)
                .map_err(drop)
                .and_then(|r| convert::update_need(r).map_err(drop))
            {
                let mut spec = blank_need();
                if edit.apply(&mut spec).is_ok() {
                    let _ = spec.validate();
                }
            }
        }
        5 => {
            if let Ok((_, edit)) = proto::UpdateOfferRequest::decode(bytes)
                .map_err(drop)
                .and_then(|r| convert::update_offer(r).map_err(drop))
            {
                let mut spec = blank_offer();
                if edit.apply(&mut spec).is_ok() {
                    let _ = spec.validate();
                }
            }
        }
        7 => {
            if let Ok((_, spec, _)) = proto::SubmitPracticeRequest::decode(bytes)
                .map_err(drop)
                .and_then(|r| convert::submit_practice(r).map_err(drop))
            {
                let _ = spec.validate();
            }
        }
        8 => {
            if let Ok((_, edit)) = proto::UpdatePracticeRequest::decode(bytes)
                .map_err(drop)
                .and_then(|r| convert::update_practice(r).map_err(drop))
            {
                let mut spec = PracticeSpec::default();
                if edit.apply(&mut spec).is_ok() {
                    let _ = spec.validate();
                }
            }
        }
        9 => {
            // A search as the gRPC layer converts it, and its words as the index reads them.
            if let Ok(request) = proto::SearchRequest::decode(bytes)
                .map_err(drop)
                .and_then(|r| convert::search(r).map_err(drop))
            {
                let _ = capacity_hub::text::analysis::query_keys(&request.query, request.language);
            }
        }
        _ => {
            if let Ok(request) = proto::ListPracticesRequest::decode(bytes) {
                let _ = convert::list_practices(request);
            }
            if let Ok(request) = proto::CompleteMatchRequest::decode(bytes) {
                let _ = convert::complete_match(request);
            }
            if let Ok(request) = proto::WatchNeedsRequest::decode(bytes) {
                let _ = convert::watch_needs(request);
            }
            if let Ok(change) = proto::SetPreferenceRequest::decode(bytes)
                .map_err(drop)
                .and_then(|r| convert::set_preference(r).map_err(drop))
            {
                let _ = capacity_hub::domain::preference::validate_reason(&change.reason);
            }
        }
    }
});

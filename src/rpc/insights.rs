//! InsightService: statistics and open data.

use std::sync::Arc;

use tokio::sync::mpsc;
use tonic::{Request, Response, Status};

use super::blocking::{Weight, off_the_workers};
use super::convert;
use crate::hub::{Hub, OpenRecord};
use crate::proto::insight_service_server::InsightService;
use crate::proto::open_record::Record;
use crate::proto::{self, ExportOpenDataRequest, GetStatsRequest, Stats};

/// Records buffered per export before the reader waits for the client.
const EXPORT_BUFFER: usize = 256;

/// The InsightService implementation.
pub struct InsightApi {
    hub: Arc<Hub>,
}

impl InsightApi {
    /// Serves insights from `hub`.
    pub fn new(hub: Arc<Hub>) -> InsightApi {
        InsightApi { hub }
    }
}

/// The stream of an open-data export.
pub type OpenDataStream = std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<proto::OpenRecord, Status>> + Send>>;

fn open_record(hub: &Hub, record: OpenRecord) -> proto::OpenRecord {
    let record = match record {
        OpenRecord::Actor(actor) => Record::Actor(convert::actor(&actor, convert::ContactVisibility::Hidden)),
        OpenRecord::Need(need) => Record::Need(convert::need(&need, hub.need_staleness(&need))),
        OpenRecord::Offer(offer) => Record::Offer(convert::offer(&offer, hub.offer_staleness(&offer))),
        OpenRecord::Partnership(partnership) => Record::Partnership(convert::partnership(&partnership)),
        OpenRecord::Match(record) => Record::Match(convert::match_record(&record)),
        OpenRecord::Practice(practice) => Record::Practice(convert::practice(&practice)),
    };
    proto::OpenRecord { record: Some(record) }
}

#[tonic::async_trait]
impl InsightService for InsightApi {
    async fn get_stats(&self, request: Request<GetStatsRequest>) -> Result<Response<Stats>, Status> {
        let GetStatsRequest {} = request.into_inner();
        let stats = off_the_workers("GetStats", Weight::Heavy, &self.hub, |hub| hub.stats()).await?;
        Ok(Response::new(convert::stats(&stats, &self.hub)?))
    }

    type ExportOpenDataStream = OpenDataStream;

    async fn export_open_data(
        &self,
        request: Request<ExportOpenDataRequest>,
    ) -> Result<Response<OpenDataStream>, Status> {
        let ExportOpenDataRequest {} = request.into_inner();
        let (sender, receiver) = mpsc::channel(EXPORT_BUFFER);
        let hub = Arc::clone(&self.hub);
        tokio::task::spawn_blocking(move || {
            for record in hub.open_data() {
                let message = record.map(|record| open_record(&hub, record)).map_err(Status::from);
                if sender.blocking_send(message).is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(
            receiver,
        ))))
    }
}

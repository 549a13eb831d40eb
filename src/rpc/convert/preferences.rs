//! Conversion for the parties' marks on need-offer pairs (SetPreference).

use super::{ProtoEnum, UnknownCode, required_enum, timestamp};
use crate::domain::{PairPreference, Preference, Violations};
use crate::hub::PreferenceChange;
use crate::proto;

proto_enum!(
    Preference,
    Preference,
    "a preference (NONE, PREFERRED or DECLINED)",
    [None, Preferred, Declined]
);

/// The change a SetPreference request asks for; UNSPECIFIED is refused naming `preference`
/// (the hub checks the ids, the party and the reason's length).
pub fn set_preference(request: proto::SetPreferenceRequest) -> Result<PreferenceChange, Violations> {
    let proto::SetPreferenceRequest {
        need_id,
        offer_id,
        actor_id,
        preference,
        reason,
    } = request;
    let mut violations = Violations::default();
    let preference = required_enum("preference", preference, Preference::None, &mut violations);
    violations.into_result()?;
    Ok(PreferenceChange {
        need_id,
        offer_id,
        actor_id,
        preference,
        reason,
    })
}

/// A mark as the API shows it.
pub fn pair_preference(mark: &PairPreference) -> proto::PairPreference {
    let PairPreference {
        id: _,
        need_id,
        offer_id,
        actor_id,
        side: _,
        preference,
        reason,
        set_at,
    } = mark;
    proto::PairPreference {
        need_id: need_id.clone(),
        offer_id: offer_id.clone(),
        actor_id: actor_id.clone(),
        preference: preference.wire(),
        reason: reason.clone(),
        set_at: timestamp(*set_at),
    }
}

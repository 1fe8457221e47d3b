//! Walk-ins seated now (API v1.1 §3): where a party at the door sits.

use jiff::Timestamp;

use super::Venue;
use super::placement::Want;
use crate::domain::DomainError;

impl Venue {
    /// Where a walk-in seated now sits: the grid start at or before `now`
    /// on today's grid, if the party's length fits before the close. The
    /// past and minimum-notice checks are waived, nothing else (API v1.1
    /// §12).
    pub(super) fn walk_in_now(
        &self,
        party: u32,
        service: Option<usize>,
        now: Timestamp,
    ) -> Result<Want, DomainError> {
        self.check_party(party, service)?;
        let minutes = self.minutes_for(party, service);
        let closed = || {
            DomainError::invalid(
                "start",
                "the venue is closed now, or the party's time does not fit before it closes",
            )
        };
        let tz = self.settings.timezone.tz();
        let here = tz.to_datetime(now);
        let minute =
            u32::from(here.hour().unsigned_abs()) * 60 + u32::from(here.minute().unsigned_abs());
        let period = self
            .settings
            .opening_hours
            .on(here.weekday())
            .iter()
            .find(|p| p.open <= minute && minute < p.close)
            .ok_or_else(closed)?;
        let slot = self.settings.slot_minutes;
        let at = period.open + (minute - period.open) / slot * slot;
        let local = here.date().at((at / 60) as i8, (at % 60) as i8, 0, 0);
        let start = tz.to_timestamp(local).map_err(|_| closed())?;
        self.settings
            .locate(start, self.grid_minutes(minutes, party, service))
            .map_err(|_| closed())?;
        Ok(Want {
            start,
            party,
            service,
            minutes,
        })
    }
}

//! Placing and releasing holds. Expiry lives with the venue's sweep.

use jiff::{SignedDuration, Timestamp};

use super::{Access, Entry, Venue};
use crate::domain::commands::{PlaceHold, Reply};
use crate::domain::time::add_minutes;
use crate::domain::{Caller, Change, DomainError, Event, Hold, HoldId, HoldStatus};

impl Venue {
    pub(super) fn place_hold(
        &mut self,
        c: PlaceHold,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let minutes = self.settings.booking_minutes;
        self.check_start(c.start, c.party_size, minutes, now)?;
        if c.ttl_seconds == 0 {
            return Err(DomainError::invalid("ttl_seconds", "must be positive"));
        }
        if self.holds.contains_key(&c.id) {
            return Err(DomainError::Conflict(format!(
                "hold {} already exists",
                c.id
            )));
        }
        let end = add_minutes(c.start, minutes);
        let index = self
            .allocate(c.start, end, c.party_size, now)
            .ok_or(DomainError::SlotUnavailable)?;
        let expires_at = now
            .saturating_add(SignedDuration::from_secs(i64::from(c.ttl_seconds)))
            .unwrap_or(Timestamp::MAX);
        let hold = Hold {
            id: c.id,
            venue_id: self.id.clone(),
            user_id: c.caller.user,
            resource_id: self.settings.resources[index].id.clone(),
            start: c.start,
            end,
            party_size: c.party_size,
            expires_at,
            status: HoldStatus::Active,
            created_at: now,
        };
        let claim = self.claim(index, hold.start, end, hold.party_size, Some(expires_at));
        self.expiries.insert((expires_at, hold.id.clone()));
        self.holds.insert(
            hold.id.clone(),
            Entry {
                record: hold.clone(),
                claim: Some(claim),
            },
        );
        events.push(self.emit(now, Change::HoldCreated(hold.clone())));
        Ok(Reply::Hold(hold))
    }

    /// Releasing twice, or after expiry, is fine; after conversion it is not.
    pub(super) fn release_hold(
        &mut self,
        id: &HoldId,
        caller: &Caller,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let entry = self.holds.get(id).ok_or(DomainError::NotFound("hold"))?;
        if self.access(caller, &entry.record.user_id) == Access::None {
            return Err(DomainError::NotFound("hold"));
        }
        match entry.record.status {
            HoldStatus::Released | HoldStatus::Expired => return Ok(Reply::Done),
            HoldStatus::Converted => {
                return Err(DomainError::Conflict(
                    "the hold was converted into a booking".into(),
                ));
            }
            HoldStatus::Active => {}
        }
        let hold = self.finish_hold(id, HoldStatus::Released);
        events.push(self.emit(now, Change::HoldReleased(hold)));
        Ok(Reply::Done)
    }

    /// Ends an active hold: gives back its capacity unless it is converted
    /// (the booking takes the claim over), and drops it from the sweep.
    pub(super) fn finish_hold(&mut self, id: &HoldId, status: HoldStatus) -> Hold {
        let entry = self.holds.get_mut(id).unwrap(); // unwrap: callers looked the hold up in this same call.
        entry.record.status = status;
        let (claim, hold) = (entry.claim.take(), entry.record.clone());
        self.expiries.remove(&(hold.expires_at, hold.id.clone()));
        self.unclaim(claim, hold.start);
        hold
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use crate::domain::commands::{Command, Reply};
    use crate::domain::venue::test_support::*;
    use crate::domain::{Caller, Change, DomainError, HoldId, HoldStatus};

    const EVE: &str = "2026-12-24T18:00:00+08:00";

    #[test]
    fn a_hold_takes_capacity_until_it_expires_then_gives_it_back() {
        let mut v = venue();
        let out = v.execute(hold("h1", "ann", EVE, 6), now());
        let Ok(Reply::Hold(h)) = out.reply else {
            panic!("{:?}", out.reply)
        };
        assert_eq!(h.resource_id.as_str(), "t6");
        assert_eq!(h.expires_at, now() + SignedDuration::from_secs(300));
        // The only table for six is held; the bar of 10 takes one party of six
        // and then has no room for another.
        let out = v.execute(book("b1", "bob", EVE, 6), now());
        assert!(matches!(out.reply, Ok(Reply::Booking(ref b)) if b.resource_id.as_str() == "bar"));
        let out = v.execute(book("b2", "bob", EVE, 6), now());
        assert_eq!(out.reply, Err(DomainError::SlotUnavailable));

        let later = now() + SignedDuration::from_secs(300);
        assert_eq!(v.next_expiry(), Some(later));
        let out = v.execute(book("b2", "bob", EVE, 6), later);
        assert!(
            matches!(out.events[0].change, Change::HoldExpired(ref h) if h.status == HoldStatus::Expired)
        );
        assert!(
            matches!(out.reply, Ok(Reply::Booking(ref b)) if b.resource_id.as_str() == "t6"),
            "{:?}",
            out.reply
        );
        assert_eq!(v.next_expiry(), None);
    }

    #[test]
    fn releasing_is_idempotent_and_hidden_from_strangers() {
        let mut v = venue();
        v.execute(hold("h1", "ann", EVE, 2), now());
        let release = |who: &str| Command::ReleaseHold {
            id: HoldId::from("h1"),
            caller: Caller::user(who),
        };
        let out = v.execute(release("eve"), now());
        assert_eq!(out.reply, Err(DomainError::NotFound("hold")));
        let out = v.execute(release("ann"), now());
        assert_eq!((out.reply, out.events.len()), (Ok(Reply::Done), 1));
        let out = v.execute(release("ann"), now());
        assert_eq!((out.reply, out.events.len()), (Ok(Reply::Done), 0));
    }
}

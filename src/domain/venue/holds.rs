//! Placing and releasing holds. Expiry lives with the venue's sweep.

use jiff::{SignedDuration, Timestamp};

use super::placement::Want;
use super::{Access, Entry, Venue};
use crate::domain::commands::{PlaceHold, Reply};
use crate::domain::time::add_minutes;
use crate::domain::{Caller, Change, DomainError, EntryStatus, Event, Hold, HoldId, HoldStatus};

impl Venue {
    pub(super) fn place_hold(
        &mut self,
        c: PlaceHold,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        self.check_override(&c.caller, c.override_pacing)?;
        let service = self.service_index(c.service_id.as_ref())?;
        let minutes = self.minutes_for(c.party_size, service);
        self.check_start(c.start, c.party_size, (minutes, service), now)?;
        if c.ttl_seconds == 0 {
            return Err(DomainError::invalid("ttl_seconds", "must be positive"));
        }
        if self.holds.contains_key(&c.id) {
            return Err(DomainError::Conflict(format!(
                "hold {} already exists",
                c.id
            )));
        }
        self.check_hold_limit(&c.caller, now)?;
        if !c.override_pacing && !self.pacing_allows(c.start, c.party_size, now) {
            return Err(DomainError::SlotUnavailable);
        }
        let want = Want {
            start: c.start,
            party: c.party_size,
            service,
            minutes,
        };
        let place = self
            .allocate(&self.ask(want, now))
            .ok_or(DomainError::SlotUnavailable)?;
        let end = add_minutes(c.start, minutes);
        let expires_at = now
            .saturating_add(SignedDuration::from_secs(i64::from(c.ttl_seconds)))
            .unwrap_or(Timestamp::MAX);
        let hold = Hold {
            id: c.id,
            venue_id: self.id.clone(),
            user_id: c.caller.user,
            resource_id: self.place_id(place),
            start: c.start,
            end,
            party_size: c.party_size,
            service_id: c.service_id,
            buffer_minutes: self.buffer_on(place),
            offer_for: None,
            expires_at,
            status: HoldStatus::Active,
            created_at: now,
        };
        let geometry = (hold.start, end, hold.buffer_minutes, hold.party_size);
        let claim = self.claim(place, geometry, Some(expires_at));
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

    /// A customer may hold at most `max_live_holds_per_customer` at once;
    /// staff place holds for guests and are not limited.
    fn check_hold_limit(&self, caller: &Caller, now: Timestamp) -> Result<(), DomainError> {
        let max = self.settings.max_live_holds_per_customer;
        if max == 0 || self.manages(caller) {
            return Ok(());
        }
        // `expiries` lists exactly the live holds: a handful, not history.
        let live = self
            .expiries
            .iter()
            .filter(|(at, _)| *at > now)
            .filter_map(|(_, id)| self.holds.get(id))
            .filter(|e| e.record.user_id == caller.user && e.record.status == HoldStatus::Active)
            .filter(|e| e.record.offer_for.is_none())
            .count();
        if live >= max as usize {
            return Err(DomainError::Limit(format!(
                "at most {max} live holds per customer at this venue; release one or book it"
            )));
        }
        Ok(())
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
        if self.access(caller, Some(&entry.record.user_id)) == Access::None {
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
        // Releasing an offer's hold declines the offer (API v1.1 §11).
        if let Some(offered) = entry.record.offer_for.clone() {
            let ended = (EntryStatus::Missed, HoldStatus::Released);
            self.finish_entry(&offered, ended, Change::WaitlistMissed, now, events);
            return Ok(Reply::Done);
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
    fn a_customer_holds_at_most_the_venues_limit_and_staff_are_exempt() {
        let mut v = venue();
        let starts = [
            "2026-12-24T17:00:00+08:00",
            "2026-12-24T17:15:00+08:00",
            "2026-12-24T17:30:00+08:00",
            "2026-12-24T17:45:00+08:00",
        ];
        for (i, start) in starts.iter().take(3).enumerate() {
            let out = v.execute(hold(&format!("h{i}"), "ann", start, 2), now());
            assert!(matches!(out.reply, Ok(Reply::Hold(_))), "{:?}", out.reply);
        }
        let seq = v.seq();
        let out = v.execute(hold("h3", "ann", starts[3], 2), now());
        assert!(
            matches!(out.reply, Err(DomainError::Limit(_))),
            "{:?}",
            out.reply
        );
        assert_eq!(v.seq(), seq, "a refused hold changes nothing");
        // Another customer is not limited by ann's holds.
        let out = v.execute(hold("b0", "bob", starts[3], 2), now());
        assert!(matches!(out.reply, Ok(Reply::Hold(_))));
        // Released, ann's hold no longer counts.
        v.execute(
            Command::ReleaseHold {
                id: HoldId::from("h0"),
                caller: Caller::user("ann"),
            },
            now(),
        );
        let out = v.execute(hold("h4", "ann", starts[3], 2), now());
        assert!(matches!(out.reply, Ok(Reply::Hold(_))), "{:?}", out.reply);
        // An admin (or staff) places as many as needed.
        for i in 0..5 {
            let out = v.execute(
                Command::PlaceHold(crate::domain::commands::PlaceHold {
                    id: HoldId::from(format!("s{i}").as_str()),
                    caller: Caller::admin("root"),
                    start: at(&format!("2026-12-23T19:{:02}:00+08:00", i * 15 % 60)),
                    party_size: 2,
                    ttl_seconds: 300,
                    service_id: None,
                    override_pacing: false,
                }),
                now(),
            );
            assert!(matches!(out.reply, Ok(Reply::Hold(_))), "{:?}", out.reply);
        }
    }

    #[test]
    fn a_live_hold_whose_interval_ended_cannot_be_converted() {
        let mut v = venue();
        let place = Command::PlaceHold(crate::domain::commands::PlaceHold {
            id: HoldId::from("h1"),
            caller: Caller::user("ann"),
            start: at("2026-12-20T11:00:00+08:00"),
            party_size: 2,
            ttl_seconds: 6 * 3600,
            service_id: None,
            override_pacing: false,
        });
        assert!(matches!(v.execute(place, now()).reply, Ok(Reply::Hold(_))));
        let later = now() + SignedDuration::from_hours(4);
        let rename = Command::UpdateVenue {
            caller: Caller::admin("root"),
            patch: Box::new(crate::domain::VenuePatch {
                name: Some("Renamed".into()),
                ..Default::default()
            }),
        };
        assert!(matches!(
            v.execute(rename, later).reply,
            Ok(Reply::Venue(_))
        ));
        let convert = || {
            Command::CreateBooking(crate::domain::commands::CreateBooking {
                guest: Default::default(),
                account: Default::default(),
                channel: Default::default(),
                service_id: None,
                override_pacing: false,
                id: crate::domain::BookingId::from("b1"),
                caller: Caller::user("ann"),
                target: crate::domain::BookingTarget::Hold(HoldId::from("h1")),
                note: None,
            })
        };
        let seq = v.seq();
        for _ in 0..2 {
            let out = v.execute(convert(), later);
            assert_eq!(out.reply, Err(DomainError::HoldExpired));
        }
        assert_eq!(v.seq(), seq);
        assert!(v.booking(&crate::domain::BookingId::from("b1")).is_none());
    }

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

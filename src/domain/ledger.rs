//! Occupancy of one resource: the claims (live holds and bookings) on it,
//! keyed by start so that the claims near an interval are a range lookup.
//! Instants are whole seconds here; the grid never needs finer.

use std::collections::BTreeMap;

/// Identifies one claim inside a venue; assigned in memory, never stored.
pub type ClaimKey = u64;

/// A claim's interval end, party and, for holds, when it stops counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Claim {
    end: i64,
    party: u32,
    /// Seconds after which the claim no longer takes capacity (holds);
    /// `i64::MAX` for bookings.
    until: i64,
}

/// The claims on one resource.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    claims: BTreeMap<(i64, ClaimKey), Claim>,
    /// The longest claim ever inserted bounds how far back an overlap can start.
    longest: i64,
}

impl Ledger {
    /// Records a claim on `[start, end)`.
    pub fn insert(&mut self, key: ClaimKey, start: i64, end: i64, party: u32, until: i64) {
        self.longest = self.longest.max(end - start);
        self.claims
            .insert((start, key), Claim { end, party, until });
    }

    /// Forgets a claim.
    pub fn remove(&mut self, key: ClaimKey, start: i64) {
        self.claims.remove(&(start, key));
    }

    /// Claims overlapping `[start, end)` that still count at `now`.
    fn overlapping(&self, start: i64, end: i64, now: i64) -> impl Iterator<Item = (i64, &Claim)> {
        let from = start.saturating_sub(self.longest);
        self.claims
            .range((from, 0)..(end, 0))
            .filter(move |(_, c)| c.end > start && c.until > now)
            .map(|((s, _), c)| (*s, c))
    }

    /// Whether no counting claim overlaps `[start, end)` (exclusive resources).
    pub fn is_free(&self, start: i64, end: i64, now: i64) -> bool {
        // Counting claims on an exclusive resource never overlap one another
        // (each was placed only where the others left room), so the nearest
        // counting claim before `end` decides. Expired holds that the venue
        // has not swept yet may overlap anything and are skipped.
        self.claims
            .range(..(end, 0))
            .rev()
            .find(|(_, c)| c.until > now)
            .is_none_or(|(_, c)| c.end <= start)
    }

    /// Whether `party` more fits under `capacity` at every instant of
    /// `[start, end)` (shared resources): `peak + party <= capacity`, with
    /// two unsorted passes' worth of shortcuts first. The sum of every
    /// overlapping party bounds the peak from above, the load at `start`
    /// from below; only when neither decides is the peak computed. A busy
    /// hall (hundreds of parties at one start) is then accepted or refused
    /// in one pass with no allocation, instead of a sort per booking.
    pub fn has_room(&self, start: i64, end: i64, party: u32, capacity: u32, now: i64) -> bool {
        let (mut total, mut at_start) = (0u64, 0u64);
        for (s, c) in self.overlapping(start, end, now) {
            total += u64::from(c.party);
            if s <= start {
                at_start += u64::from(c.party);
            }
        }
        let (party, capacity) = (u64::from(party), u64::from(capacity));
        if total + party <= capacity {
            return true;
        }
        if at_start + party > capacity {
            return false;
        }
        u64::from(self.peak(start, end, now)) + party <= capacity
    }

    /// The largest sum of parties at any instant of `[start, end)` (shared resources).
    pub fn peak(&self, start: i64, end: i64, now: i64) -> u32 {
        let mut edges: Vec<(i64, i64)> = Vec::new();
        for (s, c) in self.overlapping(start, end, now) {
            edges.push((s.max(start), i64::from(c.party)));
            edges.push((c.end, -i64::from(c.party)));
        }
        // Ends sort before starts at the same instant: intervals are half-open.
        edges.sort_unstable();
        let (mut load, mut peak) = (0i64, 0i64);
        for (_, delta) in edges {
            load += delta;
            peak = peak.max(load);
        }
        u32::try_from(peak).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOREVER: i64 = i64::MAX;

    #[test]
    fn has_room_agrees_with_the_peak_where_its_shortcuts_decide_and_where_they_do_not() {
        let mut l = Ledger::default();
        // Staggered: 3 on [0,100), 3 on [100,200), 2 on [50,150).
        l.insert(1, 0, 100, 3, FOREVER);
        l.insert(2, 100, 200, 3, FOREVER);
        l.insert(3, 50, 150, 2, FOREVER);
        for (start, end) in [(0, 200), (0, 50), (60, 120), (100, 200), (150, 300)] {
            for party in 1..8 {
                for capacity in 1..12 {
                    assert_eq!(
                        l.has_room(start, end, party, capacity, 0),
                        l.peak(start, end, 0) + party <= capacity,
                        "[{start}, {end}) party {party} capacity {capacity}"
                    );
                }
            }
        }
    }

    #[test]
    fn touching_intervals_do_not_overlap() {
        let mut l = Ledger::default();
        l.insert(1, 100, 200, 2, FOREVER);
        assert!(l.is_free(200, 300, 0));
        assert!(l.is_free(0, 100, 0));
        assert!(!l.is_free(150, 250, 0));
        assert!(!l.is_free(50, 101, 0));
    }

    #[test]
    fn an_expired_hold_no_longer_counts() {
        let mut l = Ledger::default();
        l.insert(1, 100, 200, 2, 50); // a hold that expires at 50
        l.insert(2, 0, 100, 2, FOREVER);
        assert!(!l.is_free(100, 200, 49));
        assert!(l.is_free(100, 200, 50));
        assert!(!l.is_free(50, 150, 50)); // the booking before it still counts
        assert_eq!(l.peak(100, 200, 49), 2);
        assert_eq!(l.peak(100, 200, 50), 0);
    }

    #[test]
    fn a_short_expired_hold_does_not_hide_a_booking_placed_over_it() {
        let mut l = Ledger::default();
        l.insert(1, 100, 110, 2, 10); // expired at 10
        l.insert(2, 50, 150, 2, FOREVER); // placed after the hold expired
        assert!(!l.is_free(120, 130, 20));
    }

    #[test]
    fn the_peak_is_the_busiest_instant_not_the_sum() {
        let mut l = Ledger::default();
        l.insert(1, 0, 100, 3, FOREVER);
        l.insert(2, 100, 200, 4, FOREVER);
        l.insert(3, 50, 150, 2, FOREVER);
        assert_eq!(l.peak(0, 200, 0), 6);
        assert_eq!(l.peak(0, 50, 0), 3);
        assert_eq!(l.peak(150, 200, 0), 4);
        l.remove(3, 50);
        assert_eq!(l.peak(0, 200, 0), 4);
    }
}

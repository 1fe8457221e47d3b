//! Occupancy of one resource: the claims (live holds and bookings) on it,
//! keyed by start so that the claims near an interval are a range lookup.
//! Instants are whole seconds here; the grid never needs finer.
//!
//! For shared resources the bookings' load is also kept as a step function
//! (the summed party from each breakpoint on), so the peak over an interval
//! reads the few breakpoints inside it instead of every claim overlapping
//! it: a hall with a thousand parties at one start answers in a handful of
//! lookups. Holds expire, so their load is summed from their claims at
//! read time (they are few: each customer has at most a handful).

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
    /// The claims that expire (holds), also in `claims`.
    holds: BTreeMap<(i64, ClaimKey), Claim>,
    /// The bookings' summed party from each instant on, until the next
    /// breakpoint (0 before the first).
    load: BTreeMap<i64, i64>,
    /// The longest claim ever inserted bounds how far back an overlap can start.
    longest: i64,
    /// Whether `holds` and `load` are kept (shared resources ask for peaks;
    /// exclusive ones only whether an interval is free).
    shared: bool,
}

impl Ledger {
    /// The ledger of a shared resource, which answers [`Ledger::peak`].
    pub fn shared() -> Self {
        Self {
            shared: true,
            ..Self::default()
        }
    }

    /// Records a claim on `[start, end)`.
    pub fn insert(&mut self, key: ClaimKey, start: i64, end: i64, party: u32, until: i64) {
        self.longest = self.longest.max(end - start);
        let claim = Claim { end, party, until };
        self.claims.insert((start, key), claim);
        if !self.shared {
            return;
        }
        if until == i64::MAX {
            self.add_load(start, end, i64::from(party));
        } else {
            self.holds.insert((start, key), claim);
        }
    }

    /// Forgets a claim.
    pub fn remove(&mut self, key: ClaimKey, start: i64) {
        let Some(claim) = self.claims.remove(&(start, key)) else {
            return;
        };
        if !self.shared {
            return;
        }
        if claim.until == i64::MAX {
            self.add_load(start, claim.end, -i64::from(claim.party));
        } else {
            self.holds.remove(&(start, key));
        }
    }

    /// The bookings' load at instant `t`.
    fn load_at(&self, t: i64) -> i64 {
        self.load.range(..=t).next_back().map_or(0, |(_, v)| *v)
    }

    /// Adds `delta` to the bookings' load on `[start, end)`.
    fn add_load(&mut self, start: i64, end: i64, delta: i64) {
        if start >= end {
            return;
        }
        let (at_start, at_end) = (self.load_at(start), self.load_at(end));
        self.load.entry(start).or_insert(at_start);
        self.load.entry(end).or_insert(at_end);
        for (_, v) in self.load.range_mut(start..end) {
            *v += delta;
        }
        // Drop breakpoints that no longer change the load, so the function
        // stays as small as the distinct intervals in use.
        for t in [start, end] {
            let before = self.load.range(..t).next_back().map_or(0, |(_, v)| *v);
            if self.load.get(&t) == Some(&before) {
                self.load.remove(&t);
            }
        }
    }

    /// Holds overlapping `[start, end)` that still count at `now`.
    fn holds_overlapping(
        &self,
        start: i64,
        end: i64,
        now: i64,
    ) -> impl Iterator<Item = (i64, &Claim)> {
        let from = start.saturating_sub(self.longest);
        self.holds
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

    /// The largest sum of parties at any instant of `[start, end)` (a
    /// ledger made by [`Ledger::shared`]). The load only rises at `start`, at a breakpoint of the
    /// bookings' load or where a hold begins, so those are the instants to
    /// look at.
    pub fn peak(&self, start: i64, end: i64, now: i64) -> u32 {
        let holds: Vec<(i64, &Claim)> = self.holds_overlapping(start, end, now).collect();
        let held = |t: i64| -> i64 {
            holds
                .iter()
                .filter(|(s, c)| *s <= t && t < c.end)
                .map(|(_, c)| i64::from(c.party))
                .sum()
        };
        let mut peak = self.load_at(start) + held(start);
        for (t, v) in self.load.range(start + 1..end) {
            peak = peak.max(v + held(*t));
        }
        for (s, _) in &holds {
            if *s > start {
                peak = peak.max(self.load_at(*s) + held(*s));
            }
        }
        u32::try_from(peak).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOREVER: i64 = i64::MAX;

    /// The peak by brute force: the load at every second of the window.
    fn brute_peak(claims: &[(i64, i64, u32, i64)], start: i64, end: i64, now: i64) -> u32 {
        (start..end)
            .map(|t| {
                claims
                    .iter()
                    .filter(|(s, e, _, until)| *s <= t && t < *e && *until > now)
                    .map(|(_, _, p, _)| *p)
                    .sum::<u32>()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn the_peak_from_the_load_function_and_holds_equals_a_recount_after_inserts_and_removals() {
        // (start, end, party, until): bookings, and holds expiring at 120.
        let claims = [
            (0, 100, 3, FOREVER),
            (100, 200, 3, FOREVER),
            (50, 150, 2, FOREVER),
            (50, 150, 1, FOREVER),
            (60, 130, 4, 120),
            (140, 160, 2, 120),
            (0, 300, 1, FOREVER),
        ];
        let mut l = Ledger::shared();
        for (k, (s, e, p, u)) in claims.iter().enumerate() {
            l.insert(k as ClaimKey, *s, *e, *p, *u);
        }
        let check = |l: &Ledger, live: &[(i64, i64, u32, i64)]| {
            for (start, end) in [
                (0, 300),
                (0, 50),
                (60, 120),
                (100, 200),
                (120, 160),
                (150, 300),
                (299, 400),
            ] {
                for now in [0, 119, 120] {
                    assert_eq!(
                        l.peak(start, end, now),
                        brute_peak(live, start, end, now),
                        "[{start}, {end}) at {now}"
                    );
                }
            }
        };
        check(&l, &claims);
        // Take some back: the load function shrinks to what is left.
        l.remove(2, 50);
        l.remove(4, 60);
        l.remove(6, 0);
        let left: Vec<_> = [0, 1, 3, 5].iter().map(|i| claims[*i]).collect();
        check(&l, &left);
        for (k, (s, ..)) in claims.iter().enumerate() {
            l.remove(k as ClaimKey, *s);
        }
        assert!(l.load.is_empty(), "no breakpoint outlives its claims");
    }

    #[test]
    fn touching_intervals_do_not_overlap() {
        let mut l = Ledger::shared();
        l.insert(1, 100, 200, 2, FOREVER);
        assert!(l.is_free(200, 300, 0));
        assert!(l.is_free(0, 100, 0));
        assert!(!l.is_free(150, 250, 0));
        assert!(!l.is_free(50, 101, 0));
    }

    #[test]
    fn an_expired_hold_no_longer_counts() {
        let mut l = Ledger::shared();
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
        let mut l = Ledger::shared();
        l.insert(1, 100, 110, 2, 10); // expired at 10
        l.insert(2, 50, 150, 2, FOREVER); // placed after the hold expired
        assert!(!l.is_free(120, 130, 20));
    }

    #[test]
    fn the_peak_is_the_busiest_instant_not_the_sum() {
        let mut l = Ledger::shared();
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

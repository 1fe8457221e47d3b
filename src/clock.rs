//! Where actors get `now` from. The domain never reads a clock itself.

use jiff::{SignedDuration, Timestamp};

/// A source of the current instant.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A wall clock that follows tokio's clock from a fixed starting instant, so
/// that tests with `tokio::time::pause()` move both timers and `now` together
/// (hold expiry without sleeping).
pub struct TokioClock {
    wall: Timestamp,
    mono: tokio::time::Instant,
}

impl TokioClock {
    /// Starts at `wall`, now.
    pub fn starting_at(wall: Timestamp) -> Self {
        Self {
            wall,
            mono: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        let elapsed = SignedDuration::try_from(self.mono.elapsed()).unwrap_or(SignedDuration::MAX);
        self.wall.saturating_add(elapsed).unwrap_or(Timestamp::MAX)
    }
}

//! [`TimeTag`]: the 64-bit NTP time stamp of OSC bundles and `t` arguments.

use core::fmt;
use core::str::FromStr;
use core::time::Duration;
#[cfg(feature = "std")]
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
#[cfg(feature = "std")]
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
const NANOS_PER_SEC: u128 = 1_000_000_000;
const FRACTION_PER_SEC: u128 = 1 << 32;

/// An OSC time tag: NTP time, seconds since 1900-01-01 in the upper 32 bits
/// and fractions of a second (units of 2⁻³² s ≈ 233 ps) in the lower 32.
///
/// [`TimeTag::IMMEDIATE`] (the value 1) means "now" to a receiver.
///
/// # Conversions and rounding
/// [`from_system_time`](TimeTag::from_system_time) rounds nanoseconds to the
/// nearest fraction unit and [`to_system_time`](TimeTag::to_system_time)
/// rounds fraction units to the nearest nanosecond. A fraction unit is finer
/// than a nanosecond, so `SystemTime → TimeTag → SystemTime` is exact to the
/// nanosecond, while `TimeTag → SystemTime → TimeTag` may move by up to 3
/// fraction units. NTP era 0 is used: times before 1900 saturate to
/// 1900-01-01, and the seconds wrap modulo 2³² after 2036-02-07 as they do
/// on the wire. [`IMMEDIATE`](TimeTag::IMMEDIATE) converts like any other
/// value (233 ps after 1900-01-01, which rounds to 1900-01-01); test [`is_immediate`](TimeTag::is_immediate)
/// first where "now" is meant.
///
/// ```
/// use osc_serde::TimeTag;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let t = TimeTag::from_system_time(UNIX_EPOCH + Duration::from_millis(1500));
/// assert_eq!(t, TimeTag::new(2_208_988_801, 0x8000_0000));
/// assert_eq!(t.to_string(), "83aa7e81.80000000");
/// assert_eq!(t.to_system_time(), UNIX_EPOCH + Duration::from_millis(1500));
/// assert!(TimeTag::IMMEDIATE.is_immediate());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeTag {
    /// Whole seconds since 1900-01-01 00:00:00 UTC.
    pub seconds: u32,
    /// Fractions of a second, in units of 2⁻³² s.
    pub fraction: u32,
}

impl TimeTag {
    /// "Now": the special value 1 (seconds 0, fraction 1).
    pub const IMMEDIATE: TimeTag = TimeTag {
        seconds: 0,
        fraction: 1,
    };

    /// A time tag from its two halves.
    pub const fn new(seconds: u32, fraction: u32) -> Self {
        TimeTag { seconds, fraction }
    }

    /// A time tag from its 64-bit wire value.
    pub const fn from_bits(bits: u64) -> Self {
        TimeTag {
            seconds: (bits >> 32) as u32,
            fraction: bits as u32,
        }
    }

    /// The 64-bit wire value.
    pub const fn to_bits(self) -> u64 {
        ((self.seconds as u64) << 32) | self.fraction as u64
    }

    /// Whether this is [`TimeTag::IMMEDIATE`].
    pub const fn is_immediate(self) -> bool {
        self.seconds == 0 && self.fraction == 1
    }

    #[cfg(feature = "std")]
    /// The current system time as a time tag.
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    #[cfg(feature = "std")]
    /// The time tag `delay` from now (for scheduling a bundle).
    ///
    /// A delay beyond what `SystemTime` can hold saturates at the latest
    /// time tag of era 0.
    pub fn after(delay: Duration) -> Self {
        SystemTime::now()
            .checked_add(delay)
            .map_or(TimeTag::new(u32::MAX, u32::MAX), Self::from_system_time)
    }

    #[cfg(feature = "std")]
    /// Converts a system time, rounding to the nearest fraction unit.
    pub fn from_system_time(time: SystemTime) -> Self {
        let since_ntp_epoch = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => after + Duration::from_secs(NTP_UNIX_OFFSET),
            Err(before) => Duration::from_secs(NTP_UNIX_OFFSET)
                .checked_sub(before.duration())
                .unwrap_or(Duration::ZERO),
        };
        let nanos = u128::from(since_ntp_epoch.subsec_nanos());
        // Round half up; the result is below 2^32 for any nanos < 10^9.
        let fraction = ((nanos * FRACTION_PER_SEC + NANOS_PER_SEC / 2) / NANOS_PER_SEC) as u32;
        TimeTag {
            seconds: since_ntp_epoch.as_secs() as u32,
            fraction,
        }
    }

    #[cfg(feature = "std")]
    /// Converts to a system time, rounding to the nearest nanosecond.
    pub fn to_system_time(self) -> SystemTime {
        let nanos =
            (u128::from(self.fraction) * NANOS_PER_SEC + FRACTION_PER_SEC / 2) / FRACTION_PER_SEC;
        // nanos may round up to a whole second; Duration carries it over.
        let since_ntp_epoch =
            Duration::from_secs(u64::from(self.seconds)) + Duration::from_nanos(nanos as u64);
        let offset = Duration::from_secs(NTP_UNIX_OFFSET);
        match since_ntp_epoch.checked_sub(offset) {
            Some(after) => UNIX_EPOCH + after,
            None => UNIX_EPOCH - (offset - since_ntp_epoch),
        }
    }

    /// How long from `now` until this time tag; zero if it is due already
    /// (and for [`IMMEDIATE`](TimeTag::IMMEDIATE)).
    pub fn duration_since(self, now: TimeTag) -> Duration {
        if self.is_immediate() || self <= now {
            return Duration::ZERO;
        }
        let diff = self.to_bits() - now.to_bits();
        let secs = diff >> 32;
        let nanos = ((u128::from(diff as u32) * NANOS_PER_SEC) / FRACTION_PER_SEC) as u64;
        Duration::from_secs(secs) + Duration::from_nanos(nanos)
    }
}

impl Default for TimeTag {
    /// [`TimeTag::IMMEDIATE`].
    fn default() -> Self {
        TimeTag::IMMEDIATE
    }
}

#[cfg(feature = "std")]
impl From<SystemTime> for TimeTag {
    fn from(time: SystemTime) -> Self {
        TimeTag::from_system_time(time)
    }
}

#[cfg(feature = "std")]
impl From<TimeTag> for SystemTime {
    fn from(t: TimeTag) -> Self {
        t.to_system_time()
    }
}

impl fmt::Display for TimeTag {
    /// `SSSSSSSS.FFFFFFFF` in hexadecimal, as liblo's `oscdump` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}.{:08x}", self.seconds, self.fraction)
    }
}

impl FromStr for TimeTag {
    type Err = crate::Error;

    /// Parses `SECONDS.FRACTION` in hexadecimal (the `Display` form).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || crate::Error::InvalidSpecial(crate::error::Expected::TimeTag);
        let (secs, frac) = s.split_once('.').ok_or_else(bad)?;
        Ok(TimeTag {
            seconds: u32::from_str_radix(secs, 16).map_err(|_| bad())?,
            fraction: u32::from_str_radix(frac, 16).map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_epoch_is_ntp_offset() {
        assert_eq!(
            TimeTag::from_system_time(UNIX_EPOCH),
            TimeTag::new(2_208_988_800, 0)
        );
        assert_eq!(TimeTag::new(2_208_988_800, 0).to_system_time(), UNIX_EPOCH);
    }

    #[test]
    fn system_time_round_trip_is_exact_to_the_nanosecond() {
        for nanos in [
            0u64,
            1,
            2,
            499_999_999,
            500_000_000,
            999_999_999,
            123_456_789,
        ] {
            let t = UNIX_EPOCH + Duration::new(1_700_000_000, nanos as u32);
            assert_eq!(TimeTag::from_system_time(t).to_system_time(), t, "{nanos}");
        }
    }

    #[test]
    fn timetag_round_trip_moves_at_most_three_units() {
        for fraction in [0u32, 1, 2, 3, 4, 5, 1 << 31, u32::MAX - 1, u32::MAX] {
            let t = TimeTag::new(3_900_000_000, fraction);
            let back = TimeTag::from_system_time(t.to_system_time());
            let diff = back.to_bits().abs_diff(t.to_bits());
            assert!(diff <= 3, "{t} -> {back}");
        }
    }

    #[test]
    fn fraction_that_rounds_to_a_whole_second_carries() {
        let t = TimeTag::new(2_208_988_800, u32::MAX);
        assert_eq!(t.to_system_time(), UNIX_EPOCH + Duration::from_secs(1));
    }

    #[test]
    fn before_1900_saturates_and_immediate_converts() {
        let long_ago = UNIX_EPOCH - Duration::from_secs(NTP_UNIX_OFFSET + 10);
        assert_eq!(TimeTag::from_system_time(long_ago), TimeTag::new(0, 0));
        let t = TimeTag::IMMEDIATE.to_system_time();
        assert_eq!(
            UNIX_EPOCH.duration_since(t).unwrap(),
            Duration::from_secs(NTP_UNIX_OFFSET)
        );
    }

    #[test]
    fn after_saturates_instead_of_panicking() {
        assert_eq!(
            TimeTag::after(Duration::MAX),
            TimeTag::new(u32::MAX, u32::MAX)
        );
        assert!(TimeTag::after(Duration::from_secs(1)) > TimeTag::now());
    }

    #[test]
    fn display_and_parse() {
        let t = TimeTag::new(0xeeb21f32, 0x6dfa11a9);
        assert_eq!(t.to_string(), "eeb21f32.6dfa11a9");
        assert_eq!("eeb21f32.6dfa11a9".parse::<TimeTag>().unwrap(), t);
        assert!("eeb21f32".parse::<TimeTag>().is_err());
        assert!("zz.00".parse::<TimeTag>().is_err());
    }

    #[test]
    fn duration_until() {
        let now = TimeTag::new(100, 0);
        assert_eq!(
            TimeTag::new(101, 1 << 31).duration_since(now),
            Duration::from_millis(1500)
        );
        assert_eq!(TimeTag::new(99, 0).duration_since(now), Duration::ZERO);
        assert_eq!(TimeTag::IMMEDIATE.duration_since(now), Duration::ZERO);
    }
}

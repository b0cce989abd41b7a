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
/// fraction units.
///
/// # Eras: 2036 and after
/// The seconds field counts 2³² s and then wraps: NTP era 0 ends on
/// 2036-02-07 06:28:16 UTC, and a time tag sent after that has small
/// seconds again. The era is taken from the most significant bit of the
/// seconds, as SNTP does (RFC 4330, section 3): set means era 0
/// (1968-01-20 03:14:08 UTC up to the rollover), clear means era 1 (the
/// rollover up to 2104-02-26 09:42:23 UTC). So a time tag names one instant
/// in those 136 years, on both sides of 2036, with no clock needed to read
/// it. [`from_system_time`](TimeTag::from_system_time) saturates outside
/// them (to [`EARLIEST`](TimeTag::EARLIEST) and [`LATEST`](TimeTag::LATEST)),
/// and the order of time tags (`Ord`, [`duration_since`](TimeTag::duration_since))
/// is the order of the instants, with [`IMMEDIATE`](TimeTag::IMMEDIATE) first.
/// `IMMEDIATE` converts like any other value (233 ps after the 2036
/// rollover); test [`is_immediate`](TimeTag::is_immediate) first where "now"
/// is meant.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    /// The earliest instant a time tag names: 1968-01-20 03:14:08 UTC, the
    /// start of the upper half of NTP era 0.
    pub const EARLIEST: TimeTag = TimeTag {
        seconds: 1 << 31,
        fraction: 0,
    };

    /// The latest instant a time tag names: just before
    /// 2104-02-26 09:42:24 UTC, the end of the lower half of NTP era 1.
    pub const LATEST: TimeTag = TimeTag {
        seconds: (1 << 31) - 1,
        fraction: u32::MAX,
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
    /// A delay past [`LATEST`](TimeTag::LATEST) (or beyond what
    /// `SystemTime` can hold) saturates at `LATEST`.
    pub fn after(delay: Duration) -> Self {
        SystemTime::now()
            .checked_add(delay)
            .map_or(TimeTag::LATEST, Self::from_system_time)
    }

    /// Position on the time line: the 64-bit value with
    /// the era bit flipped, so that era 0's upper half comes before era 1's
    /// lower half.
    const fn chronological(self) -> u64 {
        self.to_bits() ^ (1 << 63)
    }

    #[cfg(feature = "std")]
    /// Converts a system time, rounding to the nearest fraction unit; a
    /// time outside [`EARLIEST`](TimeTag::EARLIEST)..=[`LATEST`](TimeTag::LATEST)
    /// saturates (see the eras above).
    pub fn from_system_time(time: SystemTime) -> Self {
        let since_ntp_epoch = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => after.checked_add(Duration::from_secs(NTP_UNIX_OFFSET)),
            Err(before) => Duration::from_secs(NTP_UNIX_OFFSET).checked_sub(before.duration()),
        };
        let Some(since_ntp_epoch) = since_ntp_epoch else {
            return TimeTag::EARLIEST;
        };
        let nanos = u128::from(since_ntp_epoch.subsec_nanos());
        // Round half up; the result is at most 2^32 for any nanos < 10^9,
        // and exactly 2^32 carries into the seconds.
        let fraction = (nanos * FRACTION_PER_SEC + NANOS_PER_SEC / 2) / NANOS_PER_SEC;
        let units = (u128::from(since_ntp_epoch.as_secs()) << 32) + fraction;
        let earliest = u128::from(TimeTag::EARLIEST.seconds) << 32;
        let latest = (1u128 << 64) + u128::from(TimeTag::LATEST.to_bits());
        // On the wire the seconds wrap after era 0: keep the low 64 bits.
        TimeTag::from_bits(units.clamp(earliest, latest) as u64)
    }

    #[cfg(feature = "std")]
    /// Converts to a system time, rounding to the nearest nanosecond.
    pub fn to_system_time(self) -> SystemTime {
        let nanos =
            (u128::from(self.fraction) * NANOS_PER_SEC + FRACTION_PER_SEC / 2) / FRACTION_PER_SEC;
        // nanos may round up to a whole second; Duration carries it over.
        // Era 1 when the top bit of the seconds is clear (see the eras above).
        let era_seconds = if self.seconds >> 31 == 0 { 1 << 32 } else { 0 };
        let since_ntp_epoch = Duration::from_secs(era_seconds + u64::from(self.seconds))
            + Duration::from_nanos(nanos as u64);
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
        let diff = self.chronological() - now.chronological();
        let secs = diff >> 32;
        let nanos = ((u128::from(diff as u32) * NANOS_PER_SEC) / FRACTION_PER_SEC) as u64;
        Duration::from_secs(secs) + Duration::from_nanos(nanos)
    }
}

impl Ord for TimeTag {
    /// The order of the instants (see the eras above), with
    /// [`IMMEDIATE`](TimeTag::IMMEDIATE) before every other time tag.
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        (!self.is_immediate(), self.chronological())
            .cmp(&(!other.is_immediate(), other.chronological()))
    }
}

impl PartialOrd for TimeTag {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
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
    fn outside_the_two_eras_saturates_and_immediate_converts() {
        // 1968-01-20 03:14:08 UTC and 2104-02-26 09:42:24 UTC, in Unix time.
        let earliest = UNIX_EPOCH - Duration::from_secs(NTP_UNIX_OFFSET - (1 << 31));
        let end = UNIX_EPOCH + Duration::from_secs((1 << 32) + (1 << 31) - NTP_UNIX_OFFSET);
        assert_eq!(TimeTag::EARLIEST.to_system_time(), earliest);
        assert_eq!(TimeTag::from_system_time(earliest), TimeTag::EARLIEST);
        let long_ago = UNIX_EPOCH - Duration::from_secs(NTP_UNIX_OFFSET + 10);
        assert_eq!(TimeTag::from_system_time(long_ago), TimeTag::EARLIEST);
        assert_eq!(
            TimeTag::from_system_time(earliest - Duration::from_nanos(1)),
            TimeTag::EARLIEST
        );
        assert_eq!(TimeTag::from_system_time(end), TimeTag::LATEST);
        assert_eq!(
            TimeTag::from_system_time(end - Duration::from_secs(1)),
            TimeTag::new((1 << 31) - 1, 0)
        );
        // IMMEDIATE is (0, 1): 233 ps after the rollover, which rounds to it.
        let rollover = UNIX_EPOCH + Duration::from_secs((1 << 32) - NTP_UNIX_OFFSET);
        assert_eq!(TimeTag::IMMEDIATE.to_system_time(), rollover);
    }

    #[test]
    fn both_sides_of_the_2036_rollover() {
        // 2036-02-07 06:28:16 UTC.
        let rollover = UNIX_EPOCH + Duration::from_secs((1 << 32) - NTP_UNIX_OFFSET);
        let before = rollover - Duration::from_millis(500);
        let after = rollover + Duration::from_millis(1500);
        let t_before = TimeTag::from_system_time(before);
        let t_after = TimeTag::from_system_time(after);
        assert_eq!(t_before, TimeTag::new(u32::MAX, 0x8000_0000));
        assert_eq!(t_after, TimeTag::new(1, 0x8000_0000));
        assert_eq!(TimeTag::from_system_time(rollover), TimeTag::new(0, 0));
        assert_eq!(t_before.to_system_time(), before);
        assert_eq!(t_after.to_system_time(), after);
        // Ordered and subtracted as instants, across the wrap.
        assert!(t_before < t_after);
        assert_eq!(t_after.duration_since(t_before), Duration::from_secs(2));
        assert_eq!(t_before.duration_since(t_after), Duration::ZERO);
        // A year into era 1 and the last years of era 0 round-trip too.
        for t in [
            rollover + Duration::from_secs(365 * 86_400),
            UNIX_EPOCH + Duration::new(2_000_000_000, 123_456_789),
            UNIX_EPOCH + Duration::new(4_000_000_000, 999_999_999),
        ] {
            assert_eq!(TimeTag::from_system_time(t).to_system_time(), t);
        }
        assert!(TimeTag::IMMEDIATE < TimeTag::EARLIEST);
        assert!(TimeTag::EARLIEST < TimeTag::new(0, 0));
        assert!(TimeTag::new(0, 0) < TimeTag::LATEST);
    }

    #[test]
    fn after_saturates_instead_of_panicking() {
        assert_eq!(TimeTag::after(Duration::MAX), TimeTag::LATEST);
        assert_eq!(
            TimeTag::after(Duration::from_secs(200 * 365 * 86_400)),
            TimeTag::LATEST
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

//! Where dispatch errors go: the [`ErrorReport`] given to the error hook,
//! and the default hook, [`ErrorLog`], which writes them to standard error
//! at a bounded rate.
//!
//! A dispatcher nobody configured must not swallow errors (a new user's
//! first server that gets its types wrong would otherwise print nothing
//! and do nothing), and must not let a flood of bad packets flood the
//! terminal either: hence a line per error, at most
//! [`DEFAULT_ERROR_LINES_PER_SECOND`] a second, and one line saying how
//! many were left out.

use std::fmt;
use std::io::{self, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::error::Error;

use super::Origin;

/// An error met while dispatching, as given to the error hook.
#[derive(Debug, Clone, Copy)]
pub struct ErrorReport<'a> {
    /// What went wrong.
    pub error: &'a Error,
    /// The address of the message concerned, when there is one.
    pub address: Option<&'a str>,
    /// Where the packet came from, when known.
    pub origin: Option<&'a Origin>,
}

impl fmt::Display for ErrorReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(address) = self.address {
            write!(f, "{address}: ")?;
        }
        write!(f, "{}", self.error)?;
        if let Some(peer) = self.origin.and_then(|o| o.peer) {
            write!(f, " (from {peer})")?;
        }
        Ok(())
    }
}

pub(crate) type ErrorHook = Box<dyn FnMut(&ErrorReport<'_>) + Send>;

/// The dispatcher's error hook and count.
pub(crate) struct Errors {
    pub hook: ErrorHook,
    pub count: u64,
}

impl Default for Errors {
    /// Errors go to an [`ErrorLog`] on standard error until replaced.
    fn default() -> Self {
        let mut log = ErrorLog::stderr();
        Errors {
            hook: Box::new(move |report| log.log(report)),
            count: 0,
        }
    }
}

impl Errors {
    pub fn report(&mut self, error: &Error, address: Option<&str>, origin: Option<&Origin>) {
        self.count += 1;
        let report = ErrorReport {
            error,
            address,
            origin,
        };
        // A panicking hook must not take the loop down either.
        let _ = catch_unwind(AssertUnwindSafe(|| (self.hook)(&report)));
    }
}

/// How many lines a second the default error hook writes at most.
pub const DEFAULT_ERROR_LINES_PER_SECOND: u32 = 10;

/// Writes error reports to `W` (standard error by default), one line each
/// (`osc-serde: /volume: argument 0: expected float32, found type tag 's'
/// (from 127.0.0.1:9000)`), at most a set number of lines a second. Reports
/// beyond that are counted, and one line saying how many were left out
/// comes before the next line written (or when the log is dropped).
///
/// A [`Dispatcher`](super::Dispatcher) starts with `ErrorLog::stderr()` as
/// its error hook. To keep this log and do more, call it from your own:
///
/// ```
/// use osc_serde::dispatch::ErrorLog;
/// use osc_serde::{Dispatcher, Message, Origin};
///
/// let mut log = ErrorLog::new(Vec::new(), 2);
/// let mut seen = 0;
/// let mut d = Dispatcher::new();
/// d.map("/volume", |_: f32| ())?;
/// d.on_error(move |report| {
///     seen += 1;
///     log.log(report);
/// });
/// d.dispatch(&Message::new("/volume").arg("loud").to_bytes()?, Origin::default(), &mut Vec::new());
/// assert_eq!(d.error_count(), 1);
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[derive(Debug)]
pub struct ErrorLog<W: Write = io::Stderr> {
    out: W,
    limit: RateLimit,
}

impl ErrorLog {
    /// A log to standard error of at most
    /// [`DEFAULT_ERROR_LINES_PER_SECOND`] lines a second: the dispatcher's
    /// default hook.
    pub fn stderr() -> Self {
        ErrorLog::new(io::stderr(), DEFAULT_ERROR_LINES_PER_SECOND)
    }
}

impl<W: Write> ErrorLog<W> {
    /// A log to `out` of at most `lines_per_second` report lines a second
    /// (at least one).
    pub fn new(out: W, lines_per_second: u32) -> Self {
        ErrorLog {
            out,
            limit: RateLimit::new(lines_per_second.max(1), Duration::from_secs(1)),
        }
    }

    /// Writes `report` as one line, unless this second's lines are used
    /// up. A failed write is ignored: there is nowhere left to report it.
    pub fn log(&mut self, report: &ErrorReport<'_>) {
        self.log_at(report, Instant::now());
    }

    /// [`log`](Self::log) at a given time.
    fn log_at(&mut self, report: &ErrorReport<'_>, now: Instant) {
        if let Verdict::Write { left_out } = self.limit.admit(now) {
            self.write_left_out(left_out);
            let _ = writeln!(self.out, "osc-serde: {report}");
        }
    }

    fn write_left_out(&mut self, left_out: u64) {
        if left_out > 0 {
            let _ = writeln!(
                self.out,
                "osc-serde: {left_out} more error(s) not shown (this log writes at most {} \
                 line(s) a second; Dispatcher::on_error replaces it)",
                self.limit.max
            );
        }
    }

    /// The writer.
    pub fn get_ref(&self) -> &W {
        &self.out
    }
}

impl<W: Write> Drop for ErrorLog<W> {
    /// Says how many reports were left out since the last line, if any.
    fn drop(&mut self) {
        let left_out = std::mem::take(&mut self.limit.left_out);
        self.write_left_out(left_out);
    }
}

/// At most `max` admissions per `window`; counts the rest.
#[derive(Debug, Clone)]
struct RateLimit {
    max: u32,
    window: Duration,
    /// When the current window began (`None` before the first admission).
    started: Option<Instant>,
    used: u32,
    /// Refused since the last admission.
    left_out: u64,
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Go ahead; `left_out` were refused since the last admission.
    Write {
        left_out: u64,
    },
    Refuse,
}

impl RateLimit {
    fn new(max: u32, window: Duration) -> Self {
        RateLimit {
            max,
            window,
            started: None,
            used: 0,
            left_out: 0,
        }
    }

    fn admit(&mut self, now: Instant) -> Verdict {
        let expired = self
            .started
            .is_none_or(|started| now.saturating_duration_since(started) >= self.window);
        if expired {
            self.started = Some(now);
            self.used = 0;
        }
        if self.used < self.max {
            self.used += 1;
            Verdict::Write {
                left_out: std::mem::take(&mut self.left_out),
            }
        } else {
            self.left_out += 1;
            Verdict::Refuse
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_admits_max_per_window_then_reports_the_rest() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut limit = RateLimit::new(2, Duration::from_secs(1));
        assert_eq!(limit.admit(t0), Verdict::Write { left_out: 0 });
        assert_eq!(limit.admit(t0 + ms(10)), Verdict::Write { left_out: 0 });
        for i in 0..5 {
            assert_eq!(limit.admit(t0 + ms(20 + i)), Verdict::Refuse);
        }
        // Still inside the first second.
        assert_eq!(limit.admit(t0 + ms(999)), Verdict::Refuse);
        // A new window: the first admission carries the count.
        assert_eq!(limit.admit(t0 + ms(1000)), Verdict::Write { left_out: 6 });
        assert_eq!(limit.admit(t0 + ms(1001)), Verdict::Write { left_out: 0 });
        assert_eq!(limit.admit(t0 + ms(1002)), Verdict::Refuse);
        // A quiet spell then one error: written at once, nothing owed but
        // the one refused before it.
        assert_eq!(limit.admit(t0 + ms(60_000)), Verdict::Write { left_out: 1 });
    }

    #[test]
    fn rate_limit_survives_a_clock_that_goes_back() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut limit = RateLimit::new(1, Duration::from_secs(1));
        assert_eq!(limit.admit(t0), Verdict::Write { left_out: 0 });
        assert_eq!(
            limit.admit(t0 - Duration::from_secs(5)),
            Verdict::Refuse,
            "an earlier `now` stays in the current window"
        );
    }

    fn lines(log: &ErrorLog<Vec<u8>>) -> Vec<String> {
        String::from_utf8(log.get_ref().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn error_log_writes_lines_then_the_count_left_out() {
        let error = Error::NotAPacket;
        let origin = Origin {
            peer: Some("127.0.0.1:9000".parse().unwrap()),
            token: 0,
        };
        let report = ErrorReport {
            error: &error,
            address: Some("/x"),
            origin: Some(&origin),
        };
        let t0 = Instant::now();
        let mut log = ErrorLog::new(Vec::new(), 1);
        for i in 0..4 {
            log.log_at(&report, t0 + Duration::from_millis(i));
        }
        let line = format!("osc-serde: /x: {error} (from 127.0.0.1:9000)");
        assert_eq!(lines(&log), std::slice::from_ref(&line));
        log.log_at(&report, t0 + Duration::from_secs(1));
        let left_out = "osc-serde: 3 more error(s) not shown (this log writes at most 1 \
                        line(s) a second; Dispatcher::on_error replaces it)";
        assert_eq!(lines(&log), [line.clone(), left_out.into(), line]);
    }

    #[test]
    fn error_log_counts_what_it_left_out_when_dropped() {
        /// Shares the bytes so they can be read after the log is gone.
        #[derive(Clone, Default)]
        struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().write(buf)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let out = Shared::default();
        let error = Error::NotAPacket;
        let report = ErrorReport {
            error: &error,
            address: None,
            origin: None,
        };
        let mut log = ErrorLog::new(out.clone(), 1);
        let t0 = Instant::now();
        log.log_at(&report, t0);
        log.log_at(&report, t0);
        drop(log);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            [
                format!("osc-serde: {error}").as_str(),
                "osc-serde: 1 more error(s) not shown (this log writes at most 1 \
                 line(s) a second; Dispatcher::on_error replaces it)"
            ]
        );
    }
}

//! `oscdump`: prints every OSC message it receives, one line each, in the
//! format of liblo's `oscdump`, so the two can be compared line by line.
//!
//! ```text
//! cargo run --example oscdump -- [-r] [-L] PORT
//! cargo run --example oscdump -- [-r] [-L] osc.udp://[HOST]:PORT
//! cargo run --example oscdump -- [-r] [-L] osc.tcp://[HOST]:PORT
//! ```
//!
//! It is this crate's `transport::Server` with a `Dispatcher` whose default handler
//! prints every message. `PORT` alone listens on UDP on all interfaces, as
//! liblo does; a URL may name the interface, and port 0 picks a free one.
//! The address actually bound is reported on standard error as
//! `oscdump: listening on URL`. On TCP each connection's framing is
//! detected from its first byte: SLIP (OSC 1.1) if it is `END` (0xC0),
//! otherwise a big-endian int32 length prefix (OSC 1.0).
//!
//! A line is `SSSSSSSS.FFFFFFFF /path TYPES ARG ARG...`: the time of
//! receipt for a plain message or an immediate bundle, the bundle's time
//! tag otherwise; messages of a bundle due in the future are printed when
//! it is due, as liblo does (within the dispatcher's queue limits).
//! Arguments print as `osc_serde::Value`'s `Display`: liblo's form for its
//! types, and
//! `RGBA [0x.. 0x.. 0x.. 0x..]` for `r` and `[a b ...]` for arrays, which
//! liblo lacks. Each line is flushed as it is written.
//!
//! A packet that does not parse is reported on standard error (the
//! dispatcher's error hook) and the dump goes on. `-r` writes each packet's
//! raw bytes to standard output instead: the same server hands them to a
//! [`PacketSink`] that writes them, unparsed. `-L` (line buffering in
//! liblo) is accepted and changes nothing.

use std::io::{self, Write};
use std::process::ExitCode;

use osc_serde::dispatch::Context;
use osc_serde::transport::{PacketSink, Server};
use osc_serde::{Dispatcher, Message, Origin, Responder, TimeTag};

const USAGE: &str = "usage: oscdump [-r] [-L] PORT | osc.udp://[HOST]:PORT | osc.tcp://[HOST]:PORT";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Protocol {
    Udp,
    Tcp,
}

fn main() -> ExitCode {
    let mut raw = false;
    let mut endpoint = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "-r" => raw = true,
            "-L" => {}
            _ if endpoint.is_none() && !arg.starts_with('-') => endpoint = Some(arg),
            _ => {
                eprintln!("oscdump: unexpected argument {arg:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(endpoint) = endpoint else {
        eprintln!("oscdump: missing PORT or URL\n{USAGE}");
        return ExitCode::from(2);
    };
    let (protocol, bind) = match parse_endpoint(&endpoint) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("oscdump: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = if raw {
        serve(RawDump::default(), protocol, &bind)
    } else {
        serve(dispatcher(), protocol, &bind)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oscdump: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `PORT`, `osc.udp://[HOST]:PORT` or `osc.tcp://[HOST]:PORT`.
fn parse_endpoint(text: &str) -> Result<(Protocol, String), String> {
    let (protocol, hostport) = if let Some(rest) = text.strip_prefix("osc.udp://") {
        (Protocol::Udp, rest)
    } else if let Some(rest) = text.strip_prefix("osc.tcp://") {
        (Protocol::Tcp, rest)
    } else if text.contains("://") {
        return Err(format!("unsupported URL {text:?}"));
    } else {
        (Protocol::Udp, text)
    };
    let (host, port) = hostport.rsplit_once(':').unwrap_or(("", hostport));
    let port: u16 = port
        .trim_end_matches('/')
        .parse()
        .map_err(|_| format!("bad port in {text:?}"))?;
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    Ok((protocol, format!("{host}:{port}")))
}

/// Serves until killed, handing every packet to `sink`.
fn serve(sink: impl PacketSink, protocol: Protocol, bind: &str) -> osc_serde::Result<()> {
    let mut server = Server::new(sink)?;
    let (scheme, local) = match protocol {
        Protocol::Udp => ("osc.udp", server.bind_udp(bind)?),
        Protocol::Tcp => ("osc.tcp", server.listen_tcp(bind)?),
    };
    eprintln!("oscdump: listening on {scheme}://{local}");
    server.run()
}

/// A dispatcher printing a line per message.
fn dispatcher() -> Dispatcher {
    let mut dispatcher = Dispatcher::new();
    dispatcher.set_default_with_context(|ctx: &Context, message: Message| {
        // The bundle's time tag, or the time of receipt when there is none.
        let when = ctx
            .timetag()
            .filter(|t| !t.is_immediate())
            .unwrap_or_else(TimeTag::now);
        if print_line(when, &message).is_err() {
            // Standard output is gone (e.g. a closed pipe): nothing to do.
            std::process::exit(0);
        }
    });
    dispatcher.on_error(|report| eprintln!("oscdump: {report}"));
    dispatcher
}

/// Prints `SSSSSSSS.FFFFFFFF /path TYPES ARGS...`, as liblo's `oscdump`
/// does: the time tag's and the message's `Display`.
fn print_line(when: TimeTag, message: &Message) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{when} {message}")?;
    out.flush()
}

/// `-r`: each datagram's or frame's bytes, unparsed, through the same
/// server (its limits and framing detection) without a dispatcher.
#[derive(Debug, Default)]
struct RawDump {
    errors: u64,
}

impl PacketSink for RawDump {
    fn packet(&mut self, packet: &[u8], _origin: Origin, _responder: &mut dyn Responder) {
        let mut out = io::stdout().lock();
        if out.write_all(packet).and_then(|()| out.flush()).is_err() {
            // Standard output is gone (e.g. a closed pipe): nothing to do.
            std::process::exit(0);
        }
    }

    fn report_error(&mut self, error: &osc_serde::Error, origin: Option<&Origin>) {
        self.errors += 1;
        match origin.and_then(|o| o.peer) {
            Some(peer) => eprintln!("oscdump: {error} (from {peer})"),
            None => eprintln!("oscdump: {error}"),
        }
    }

    fn error_count(&self) -> u64 {
        self.errors
    }
}

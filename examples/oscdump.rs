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
//! liblo) is accepted and changes nothing. `-h` or `--help` prints the
//! usage.
//!
//! A mistake on the command line is reported with the usage and exit
//! status 2; an address that cannot be bound is named, with exit status 1.
//! The URL and port rules and the messages are shared with `oscsend`
//! (examples/tools/cli.rs).

use std::io::{self, Write};
use std::process::ExitCode;

use osc_serde::dispatch::Context;
use osc_serde::transport::{PacketSink, Server};
use osc_serde::{Dispatcher, Message, Origin, Responder, TimeTag};

#[path = "tools/cli.rs"]
mod cli;
use cli::{Protocol, Tool, Url};

const TOOL: Tool = Tool {
    name: "oscdump",
    usage: "usage: oscdump [-r] [-L] PORT | osc.udp://[HOST]:PORT | osc.tcp://[HOST]:PORT",
};

fn main() -> ExitCode {
    let mut raw = false;
    let mut endpoint = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "-r" => raw = true,
            "-L" => {}
            _ if cli::is_help(&arg) => return TOOL.help(),
            _ if endpoint.is_none() && !arg.starts_with('-') => endpoint = Some(arg),
            _ => return TOOL.usage_error(format!("unexpected argument {arg:?}")),
        }
    }
    let Some(endpoint) = endpoint else {
        return TOOL.usage_error("missing PORT or URL");
    };
    let url = match parse_endpoint(&endpoint) {
        Ok(url) => url,
        Err(e) => return TOOL.usage_error(e),
    };
    let result = if raw {
        serve(RawDump::default(), &url)
    } else {
        serve(dispatcher(), &url)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => TOOL.failure(e),
    }
}

/// `PORT` (UDP, every interface), `osc.udp://[HOST]:PORT` or
/// `osc.tcp://[HOST]:PORT`.
fn parse_endpoint(text: &str) -> Result<Url, String> {
    Ok(match cli::parse_url(text)? {
        Some(url) => url,
        None => Url {
            protocol: Protocol::Udp,
            host: String::new(),
            port: cli::parse_port(text)?,
        },
    })
}

/// Serves until killed, handing every packet to `sink`. A socket that
/// cannot be bound is reported naming the address.
fn serve(sink: impl PacketSink, url: &Url) -> Result<(), String> {
    let mut server = Server::new(sink).map_err(|e| e.to_string())?;
    // The URL's host, or every interface.
    let bind = url.socket_addr("0.0.0.0");
    let local = match url.protocol {
        Protocol::Udp => server.bind_udp(bind.as_str()),
        Protocol::Tcp => server.listen_tcp(bind.as_str()),
    }
    .map_err(|e| format!("cannot listen on {}://{bind}: {e}", url.protocol.scheme()))?;
    eprintln!("oscdump: listening on {}://{local}", url.protocol.scheme());
    server.run().map_err(|e| e.to_string())
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

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
//! raw bytes to standard output instead. `-L` (line buffering in liblo) is
//! accepted and changes nothing.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use osc_serde::dispatch::Context;
use osc_serde::framing::{FrameDecoder, StreamDecoder, DEFAULT_MAX_FRAME};
use osc_serde::transport::{Server, MAX_DATAGRAM};
use osc_serde::{Dispatcher, Message, TimeTag};

const USAGE: &str = "usage: oscdump [-r] [-L] PORT | osc.udp://[HOST]:PORT | osc.tcp://[HOST]:PORT";
/// Open TCP connections served at once in raw mode; further ones are
/// closed at once.
const MAX_RAW_CONNECTIONS: usize = 64;

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
    let result = match (raw, protocol) {
        (false, _) => dump(protocol, &bind),
        (true, Protocol::Udp) => raw_udp(&bind).map_err(Into::into),
        (true, Protocol::Tcp) => raw_tcp(&bind).map_err(Into::into),
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

/// Serves until killed, printing a line per message.
fn dump(protocol: Protocol, bind: &str) -> osc_serde::Result<()> {
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
    let mut server = Server::new(dispatcher)?;
    let (scheme, local) = match protocol {
        Protocol::Udp => ("osc.udp", server.bind_udp(bind)?),
        Protocol::Tcp => ("osc.tcp", server.listen_tcp(bind)?),
    };
    eprintln!("oscdump: listening on {scheme}://{local}");
    server.run()
}

/// Prints `SSSSSSSS.FFFFFFFF /path TYPES ARGS...`, as liblo's `oscdump`
/// does: the time tag's and the message's `Display`.
fn print_line(when: TimeTag, message: &Message) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{when} {message}")?;
    out.flush()
}

fn write_raw(packet: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(packet)?;
    out.flush()
}

/// `-r` over UDP: each datagram's bytes, unparsed.
fn raw_udp(bind: &str) -> io::Result<()> {
    let socket = UdpSocket::bind(bind)?;
    eprintln!("oscdump: listening on osc.udp://{}", socket.local_addr()?);
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let (len, _) = socket.recv_from(&mut buf)?;
        write_raw(&buf[..len])?;
    }
}

/// `-r` over TCP: each frame's bytes, unparsed, a thread per connection.
fn raw_tcp(bind: &str) -> io::Result<()> {
    let listener = TcpListener::bind(bind)?;
    eprintln!("oscdump: listening on osc.tcp://{}", listener.local_addr()?);
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_RAW_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            eprintln!("oscdump: too many connections, closing a new one");
            continue;
        }
        let open = Arc::clone(&open);
        thread::spawn(move || {
            if let Err(e) = raw_connection(stream) {
                eprintln!("oscdump: {e}");
            }
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(())
}

fn raw_connection(mut stream: TcpStream) -> osc_serde::Result<()> {
    let mut decoder = FrameDecoder::detect(DEFAULT_MAX_FRAME);
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        let mut input = &buf[..n];
        while let Some(frame) = decoder.decode(&mut input)? {
            write_raw(frame)?;
        }
    }
}

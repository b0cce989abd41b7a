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
//! accepted and changes nothing. `-h` or `--help` prints the usage.
//!
//! A mistake on the command line is reported with the usage and exit
//! status 2; an address that cannot be bound is named, with exit status 1.
//! The URL and port rules and the messages are shared with `oscsend`
//! (examples/tools/cli.rs).

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use osc_serde::dispatch::Context;
use osc_serde::transport::{FrameDecoder, Server, DEFAULT_MAX_FRAME, MAX_DATAGRAM};
use osc_serde::{Dispatcher, Message, TimeTag};

#[path = "tools/cli.rs"]
mod cli;
use cli::{Protocol, Tool, Url};

const TOOL: Tool = Tool {
    name: "oscdump",
    usage: "usage: oscdump [-r] [-L] PORT | osc.udp://[HOST]:PORT | osc.tcp://[HOST]:PORT",
};
/// Open TCP connections served at once in raw mode; further ones are
/// closed at once.
const MAX_RAW_CONNECTIONS: usize = 64;

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
    let result = match (raw, url.protocol) {
        (false, _) => dump(&url),
        (true, Protocol::Udp) => raw_udp(&url),
        (true, Protocol::Tcp) => raw_tcp(&url),
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

/// Where a server for `url` binds: its host, or every interface.
fn bind_addr(url: &Url) -> String {
    url.socket_addr("0.0.0.0")
}

/// The error for a socket that could not be bound, naming the address (in
/// the crate's words for both the server and the raw `-r` sockets).
fn cannot_listen(url: &Url, e: impl Into<osc_serde::Error>) -> String {
    let e = e.into();
    format!(
        "cannot listen on {}://{}: {e}",
        url.protocol.scheme(),
        bind_addr(url)
    )
}

/// Serves until killed, printing a line per message.
fn dump(url: &Url) -> Result<(), String> {
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
    let mut server = Server::new(dispatcher).map_err(|e| e.to_string())?;
    let bind = bind_addr(url);
    let local = match url.protocol {
        Protocol::Udp => server.bind_udp(bind.as_str()),
        Protocol::Tcp => server.listen_tcp(bind.as_str()),
    }
    .map_err(|e| cannot_listen(url, e))?;
    eprintln!("oscdump: listening on {}://{local}", url.protocol.scheme());
    server.run().map_err(|e| e.to_string())
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
fn raw_udp(url: &Url) -> Result<(), String> {
    let socket = UdpSocket::bind(bind_addr(url)).map_err(|e| cannot_listen(url, e))?;
    raw_udp_loop(socket).map_err(|e| e.to_string())
}

fn raw_udp_loop(socket: UdpSocket) -> io::Result<()> {
    eprintln!("oscdump: listening on osc.udp://{}", socket.local_addr()?);
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let (len, _) = socket.recv_from(&mut buf)?;
        write_raw(&buf[..len])?;
    }
}

/// `-r` over TCP: each frame's bytes, unparsed, a thread per connection.
fn raw_tcp(url: &Url) -> Result<(), String> {
    let listener = TcpListener::bind(bind_addr(url)).map_err(|e| cannot_listen(url, e))?;
    raw_tcp_loop(listener).map_err(|e| e.to_string())
}

fn raw_tcp_loop(listener: TcpListener) -> io::Result<()> {
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

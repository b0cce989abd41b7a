//! `oscdump`: prints every OSC message it receives, one line each, in the
//! format of liblo's `oscdump`, so the two can be compared line by line.
//!
//! ```text
//! cargo run --example oscdump -- [-r] [-L] PORT
//! cargo run --example oscdump -- [-r] [-L] osc.udp://[HOST]:PORT
//! cargo run --example oscdump -- [-r] [-L] osc.tcp://[HOST]:PORT
//! ```
//!
//! `PORT` alone listens on UDP on all interfaces, as liblo does; a URL may
//! name the interface, and port 0 picks a free one. The address actually
//! bound is reported on standard error as `oscdump: listening on URL`.
//! On TCP each connection's framing is detected from its first byte: SLIP
//! (OSC 1.1) if it is `END` (0xC0), `/` or `#`, otherwise a big-endian
//! int32 length prefix (OSC 1.0).
//!
//! A line is `SSSSSSSS.FFFFFFFF /path TYPES ARG ARG...`: the time of
//! receipt for a plain message or an immediate bundle, the bundle's time
//! tag otherwise; messages of a bundle due in the future are printed when
//! it is due, as liblo does. Arguments print as
//! [`Value`](osc_serde::Value)'s `Display`: liblo's form for its types, and
//! `RGBA [0x.. 0x.. 0x.. 0x..]` for `r` and `[a b ...]` for arrays, which
//! liblo lacks. Each line is flushed as it is written.
//!
//! A packet that does not parse is reported on standard error and the dump
//! goes on. `-r` writes each packet's raw bytes to standard output instead.
//! `-L` (line buffering in liblo) is accepted and changes nothing.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread;

use osc_serde::{Message, Packet, TimeTag};

const USAGE: &str = "usage: oscdump [-r] [-L] PORT | osc.udp://[HOST]:PORT | osc.tcp://[HOST]:PORT";
/// Largest UDP datagram, and largest TCP frame accepted.
const MAX_PACKET: usize = 65_536;
/// Open TCP connections served at once; further ones are closed at once.
const MAX_CONNECTIONS: usize = 64;
/// Lines of future bundles held at once; beyond this they print at once.
const MAX_PENDING: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Protocol {
    Udp,
    Tcp,
}

/// What to do with each received packet.
#[derive(Clone)]
struct Dump {
    raw: bool,
    /// Lines of bundles due later go to the scheduler thread.
    scheduler: Sender<(TimeTag, String)>,
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
    let (scheduler, pending) = mpsc::channel();
    thread::spawn(move || print_when_due(pending));
    let dump = Dump { raw, scheduler };
    let result = match protocol {
        Protocol::Udp => serve_udp(&bind, dump),
        Protocol::Tcp => serve_tcp(&bind, dump),
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

fn serve_udp(bind: &str, dump: Dump) -> io::Result<()> {
    let socket = UdpSocket::bind(bind)?;
    eprintln!("oscdump: listening on osc.udp://{}", socket.local_addr()?);
    let mut buf = vec![0u8; MAX_PACKET];
    loop {
        let (len, from) = socket.recv_from(&mut buf)?;
        dump.packet(&buf[..len], from)?;
    }
}

fn serve_tcp(bind: &str, dump: Dump) -> io::Result<()> {
    let listener = TcpListener::bind(bind)?;
    eprintln!("oscdump: listening on osc.tcp://{}", listener.local_addr()?);
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(e) => {
                eprintln!("oscdump: accept failed: {e}");
                continue;
            }
        };
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            eprintln!("oscdump: too many connections, closing a new one");
            continue;
        }
        let (dump, open) = (dump.clone(), Arc::clone(&open));
        thread::spawn(move || {
            let from = stream.peer_addr();
            if let Err(e) = serve_connection(stream, &dump) {
                eprintln!("oscdump: connection from {from:?}: {e}");
            }
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(())
}

/// Reads frames until the peer closes; the first byte picks the framing.
fn serve_connection(mut stream: TcpStream, dump: &Dump) -> io::Result<()> {
    let from = stream.peer_addr()?;
    let mut decoder: Option<Box<dyn FrameDecoder>> = None;
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        let decoder = decoder.get_or_insert_with(|| match buf[0] {
            SLIP_END | b'/' | b'#' => Box::new(SlipDecoder::default()),
            _ => Box::new(LengthDecoder::default()),
        });
        let mut frames = Vec::new();
        decoder
            .push(&buf[..n], &mut frames)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        for frame in frames {
            dump.packet(&frame, from)?;
        }
    }
}

impl Dump {
    /// Prints one received packet (or reports why it does not parse).
    /// Fails only when standard output is gone.
    fn packet(&self, bytes: &[u8], from: SocketAddr) -> io::Result<()> {
        if self.raw {
            let mut out = io::stdout().lock();
            out.write_all(bytes)?;
            return out.flush();
        }
        let received = TimeTag::now();
        let packet = match Packet::from_bytes(bytes) {
            Ok(packet) => packet,
            Err(e) => {
                eprintln!(
                    "oscdump: malformed packet ({} bytes) from {from}: {e}",
                    bytes.len()
                );
                return Ok(());
            }
        };
        let mut lines = Vec::new();
        packet_lines(&packet, received, &mut lines);
        for (due, line) in lines {
            if due > received && !due.is_immediate() {
                if let Err(mpsc::SendError(item)) = self.scheduler.send((due, line)) {
                    print_line(&item.1)?;
                }
            } else {
                print_line(&line)?;
            }
        }
        Ok(())
    }
}

/// The lines of a packet, each with the time it is due: a message's line
/// carries `when`, a bundle's messages the bundle's time tag (`when` if it
/// is immediate).
fn packet_lines(packet: &Packet, when: TimeTag, out: &mut Vec<(TimeTag, String)>) {
    match packet {
        Packet::Message(message) => out.push((when, line(when, message))),
        Packet::Bundle(bundle) => {
            let when = if bundle.timetag.is_immediate() {
                when
            } else {
                bundle.timetag
            };
            for element in &bundle.content {
                packet_lines(element, when, out);
            }
        }
    }
}

/// `SSSSSSSS.FFFFFFFF /path TYPES ARGS...`, as liblo's `oscdump` prints it.
fn line(when: TimeTag, message: &Message) -> String {
    format!("{when} {message}")
}

fn print_line(line: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}

/// Holds the lines of future bundles and prints each when it is due.
fn print_when_due(pending: Receiver<(TimeTag, String)>) {
    // Ordered by due time, then arrival, so equal times keep their order.
    let mut queue: BinaryHeap<Reverse<(TimeTag, u64, String)>> = BinaryHeap::new();
    let mut arrivals = 0u64;
    loop {
        let now = TimeTag::now();
        while queue.peek().is_some_and(|Reverse((due, ..))| *due <= now) {
            let Some(Reverse((.., line))) = queue.pop() else {
                break;
            };
            if print_line(&line).is_err() {
                std::process::exit(0);
            }
        }
        let next = match queue.peek() {
            Some(Reverse((due, ..))) => pending.recv_timeout(due.duration_since(now)),
            None => pending.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match next {
            Ok((due, line)) if queue.len() < MAX_PENDING => {
                arrivals += 1;
                queue.push(Reverse((due, arrivals, line)));
            }
            Ok((_, line)) => {
                eprintln!("oscdump: {MAX_PENDING} lines already held, printing this one now");
                if print_line(&line).is_err() {
                    std::process::exit(0);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            // Only at exit: `main` holds the sender for the whole run.
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

const SLIP_END: u8 = 0xC0;
const SLIP_ESC: u8 = 0xDB;

/// Splits a TCP byte stream into packets, whatever the chunking.
trait FrameDecoder: Send {
    /// Takes the next bytes and appends every completed frame to `frames`.
    fn push(&mut self, bytes: &[u8], frames: &mut Vec<Vec<u8>>) -> Result<(), String>;
}

/// OSC 1.0 stream framing: a big-endian int32 size before each packet.
#[derive(Default)]
struct LengthDecoder {
    buf: Vec<u8>,
}

impl FrameDecoder for LengthDecoder {
    fn push(&mut self, bytes: &[u8], frames: &mut Vec<Vec<u8>>) -> Result<(), String> {
        self.buf.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(header) = self.buf.get(start..start + 4) {
            let size = i32::from_be_bytes(header.try_into().expect("4 bytes"));
            let size = usize::try_from(size)
                .ok()
                .filter(|&n| n <= MAX_PACKET)
                .ok_or_else(|| format!("frame size {size} is not in 0..={MAX_PACKET}"))?;
            let Some(frame) = self.buf.get(start + 4..start + 4 + size) else {
                break;
            };
            frames.push(frame.to_vec());
            start += 4 + size;
        }
        self.buf.drain(..start);
        Ok(())
    }
}

/// OSC 1.1 stream framing: SLIP (RFC 1055), END between packets.
#[derive(Default)]
struct SlipDecoder {
    frame: Vec<u8>,
    escaped: bool,
}

impl FrameDecoder for SlipDecoder {
    fn push(&mut self, bytes: &[u8], frames: &mut Vec<Vec<u8>>) -> Result<(), String> {
        for &b in bytes {
            if self.escaped {
                self.escaped = false;
                self.frame.push(match b {
                    0xDC => SLIP_END,
                    0xDD => SLIP_ESC,
                    other => return Err(format!("bad SLIP escape 0xdb 0x{other:02x}")),
                });
            } else if b == SLIP_ESC {
                self.escaped = true;
            } else if b == SLIP_END {
                // Empty frames (the double END of OSC 1.1) are skipped.
                if !self.frame.is_empty() {
                    frames.push(std::mem::take(&mut self.frame));
                }
            } else {
                self.frame.push(b);
            }
            if self.frame.len() > MAX_PACKET {
                return Err(format!("SLIP frame longer than {MAX_PACKET} bytes"));
            }
        }
        Ok(())
    }
}

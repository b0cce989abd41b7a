//! `oscsend`: sends one OSC message, with the command line of liblo's
//! `oscsend`.
//!
//! ```text
//! cargo run --example oscsend -- [--framing slip|length] HOST PORT ADDRESS [TYPES [VALUES...]]
//! cargo run --example oscsend -- [--framing slip|length] URL ADDRESS [TYPES [VALUES...]]
//! ```
//!
//! `URL` is `osc.udp://HOST:PORT`, `osc.tcp://HOST:PORT`, or `-` to write
//! the packet's bytes to standard output. The type letters are liblo's
//! (`i h f d s S c m T F N I`) plus `b`, `t`, `r` and arrays:
//!
//! | letter | value |
//! | --- | --- |
//! | `i` `h` | decimal integer (32 / 64 bit) |
//! | `f` `d` | decimal float (`1.5`, `-2e3`, `inf`, `nan`) |
//! | `s` `S` | the text as given |
//! | `c` | exactly one character |
//! | `m` | MIDI as 8 hex digits: port, status, data1, data2 (`00903c64`) |
//! | `r` | RGBA colour as 8 hex digits (`ff000080`) |
//! | `b` | blob as an even number of hex digits (`""` is an empty blob) |
//! | `t` | time tag `SECONDS.FRACTION` in hex, as `oscdump` prints it |
//! | `T` `F` `N` `I` | no value |
//! | `[` `]` | start and end an array: no value |
//!
//! Over TCP the packet is framed with a big-endian int32 length (OSC 1.0,
//! what liblo's `oscsend` sends; the default) or SLIP (OSC 1.1, what
//! python-osc's TCP server expects by default) with `--framing slip`.
//!
//! Anything wrong with the arguments (a bad URL or port, an address OSC
//! forbids, a bad type letter, too few or too many values, a value that does
//! not parse or that would not arrive as written, such as an `f` of `1e40`,
//! which a 32-bit float cannot hold, unbalanced brackets) is reported on
//! standard error with the usage and exit status 2, before anything is sent.
//! A failure to send is reported with exit status 1. `-h` or `--help` prints
//! the usage. The URL and port rules and the messages are shared with
//! `oscdump` (examples/tools/cli.rs).

use std::io::Write;
use std::process::ExitCode;

use osc_serde::framing::Framing;
use osc_serde::transport::{TcpClient, UdpClient};
use osc_serde::{Color, Message, Midi, Pattern, TimeTag, Value};

#[path = "tools/cli.rs"]
mod cli;
use cli::{Protocol, Tool, Url};

const TOOL: Tool = Tool {
    name: "oscsend",
    usage: "usage: oscsend [--framing slip|length] HOST PORT ADDRESS [TYPES [VALUES...]]
       oscsend [--framing slip|length] URL ADDRESS [TYPES [VALUES...]]
URL: osc.udp://HOST:PORT, osc.tcp://HOST:PORT or - (standard output)
types: i h f d s S c m T F N I (as liblo), b (hex), t (SECONDS.FRACTION hex),
       r (8 hex digits), [ ] (array)",
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| cli::is_help(a)) {
        return TOOL.help();
    }
    let (target, framing, message) = match parse_command_line(&args) {
        Ok(parsed) => parsed,
        Err(e) => return TOOL.usage_error(e),
    };
    let bytes = match message.to_bytes() {
        Ok(bytes) => bytes,
        Err(e) => return TOOL.usage_error(format!("cannot encode the message: {e}")),
    };
    let sent = match &target {
        None => write_stdout(&bytes),
        Some(url) => send(url, framing, &bytes),
    };
    match (sent, &target) {
        (Ok(()), _) => ExitCode::SUCCESS,
        (Err(e), None) => TOOL.failure(format!("cannot write to standard output: {e}")),
        (Err(e), Some(url)) => TOOL.failure(format!("cannot send to {url}: {e}")),
    }
}

/// The destination (`None`: standard output), the TCP framing and the
/// message.
fn parse_command_line(args: &[String]) -> Result<(Option<Url>, Framing, Message), String> {
    let mut framing = None;
    let mut rest = args;
    if let Some(first) = rest.first() {
        if first == "--framing" {
            let name = rest.get(1).ok_or("--framing needs slip or length")?;
            framing = Some(match name.as_str() {
                "slip" => Framing::Slip,
                "length" => Framing::Length,
                other => return Err(format!("unknown framing {other:?} (slip or length)")),
            });
            rest = &rest[2..];
        }
    }
    let first = rest.first().ok_or("missing destination")?;
    let (target, rest) = if first == "-" {
        (None, &rest[1..])
    } else if let Some(url) = cli::parse_url(first)? {
        if url.host.is_empty() {
            return Err(format!(
                "no host in URL {first:?} (expected {}://HOST:PORT)",
                url.protocol.scheme()
            ));
        }
        (Some(url), &rest[1..])
    } else {
        let port = cli::parse_port(rest.get(1).ok_or("missing port")?)?;
        let url = Url {
            protocol: Protocol::Udp,
            host: first.clone(),
            port,
        };
        (Some(url), &rest[2..])
    };
    let tcp = matches!(&target, Some(url) if url.protocol == Protocol::Tcp);
    if framing.is_some() && !tcp {
        return Err("--framing applies to osc.tcp:// only".into());
    }
    let address = rest.first().ok_or("missing OSC address")?;
    // An address or an address pattern, as a message may carry: what OSC
    // forbids in either (a space, '#', ',' outside braces, an empty part,
    // unbalanced brackets) is refused rather than sent.
    Pattern::new(address).map_err(|e| e.to_string())?;
    let types = rest.get(1).map_or("", String::as_str);
    let values = rest.get(2..).unwrap_or(&[]);
    let args = parse_args(types, values)?;
    Ok((
        target,
        framing.unwrap_or(Framing::Length),
        Message::with_args(address.as_str(), args),
    ))
}

/// Builds the arguments from the type letters and their values: every
/// value is used exactly once, and arrays nest as the brackets say.
fn parse_args(types: &str, values: &[String]) -> Result<Vec<Value>, String> {
    // The stack of open arrays; the bottom is the message's argument list.
    let mut open: Vec<Vec<Value>> = vec![Vec::new()];
    let mut values = values.iter().enumerate();
    for (position, tag) in types.chars().enumerate() {
        let value = match tag {
            '[' => {
                open.push(Vec::new());
                continue;
            }
            ']' => {
                let items = open.pop().filter(|_| !open.is_empty()).ok_or_else(|| {
                    format!("']' at type position {} closes no array", position + 1)
                })?;
                Value::Array(items)
            }
            'T' => Value::Bool(true),
            'F' => Value::Bool(false),
            'N' => Value::Nil,
            'I' => Value::Infinitum,
            'i' | 'h' | 'f' | 'd' | 's' | 'S' | 'c' | 'm' | 'r' | 'b' | 't' => {
                let (index, text) = values.next().ok_or_else(|| {
                    format!("type '{tag}' at position {} has no value", position + 1)
                })?;
                parse_value(tag, text)
                    .map_err(|why| format!("value #{} {text:?} for '{tag}': {why}", index + 1))?
            }
            other => {
                return Err(format!(
                    "unknown type letter {other:?} at position {}",
                    position + 1
                ))
            }
        };
        open.last_mut()
            .expect("the bottom list is never popped")
            .push(value);
    }
    if open.len() > 1 {
        return Err(format!("{} unclosed '[' in the types", open.len() - 1));
    }
    if let Some((index, text)) = values.next() {
        return Err(format!(
            "value #{} {text:?} has no type letter (types {types:?})",
            index + 1
        ));
    }
    Ok(open.pop().unwrap_or_default())
}

/// Parses one value for a type letter that takes one.
fn parse_value(tag: char, text: &str) -> Result<Value, String> {
    fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
        text.parse().map_err(|_| format!("not {what}"))
    }
    Ok(match tag {
        'i' => Value::Int(number(text, "a 32-bit decimal integer")?),
        'h' => Value::Long(number(text, "a 64-bit decimal integer")?),
        'f' => Value::Float(float(text, 32)?),
        'd' => Value::Double(float(text, 64)?),
        's' => Value::String(text.to_owned()),
        'S' => Value::Symbol(text.to_owned()),
        'c' => Value::from(text)
            .convert(b'c')
            .map_err(|_| "not exactly one character")?,
        'm' => Value::Midi(Midi::from_u32(hex_u32(text)?)),
        'r' => Value::Color(Color::from_u32(hex_u32(text)?)),
        'b' => Value::Blob(hex_bytes(text)?),
        't' => Value::TimeTag(
            text.parse::<TimeTag>()
                .map_err(|_| "not a time tag SECONDS.FRACTION in hex (e.g. 00000000.00000001)")?,
        ),
        _ => unreachable!("parse_args passes only letters that take a value"),
    })
}

/// A decimal float that arrives as written (to the nearest value of its
/// type): a finite number too large for the type would become infinity,
/// and a non-zero one too small would become zero, so both are refused.
fn float<T: std::str::FromStr + Into<f64> + Copy>(text: &str, bits: u32) -> Result<T, String> {
    let value: T = text.parse().map_err(|_| "not a number")?;
    let wide: f64 = value.into();
    let lower = text.trim_start_matches(['+', '-']).to_ascii_lowercase();
    if wide.is_infinite() && lower != "inf" && lower != "infinity" {
        return Err(format!(
            "out of range for a {bits}-bit float (it would be sent as {wide})"
        ));
    }
    let mantissa = lower.split('e').next().unwrap_or_default();
    if wide == 0.0 && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        return Err(format!(
            "too small for a {bits}-bit float (it would be sent as 0)"
        ));
    }
    Ok(value)
}

/// Exactly 8 hex digits, as liblo's `m`.
fn hex_u32(text: &str) -> Result<u32, String> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("not 8 hex digits".into());
    }
    u32::from_str_radix(text, 16).map_err(|e| e.to_string())
}

/// An even number of hex digits, two per byte.
fn hex_bytes(text: &str) -> Result<Vec<u8>, String> {
    if text.len() % 2 != 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("not an even number of hex digits".into());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

fn write_stdout(packet: &[u8]) -> osc_serde::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(packet)?;
    Ok(out.flush()?)
}

fn send(url: &Url, framing: Framing, packet: &[u8]) -> osc_serde::Result<()> {
    let addr = url.socket_addr("localhost");
    match url.protocol {
        Protocol::Udp => UdpClient::new(addr.as_str())?.send_bytes(packet),
        Protocol::Tcp => {
            let mut client = TcpClient::connect_with(addr.as_str(), framing)?;
            client.send_bytes(packet)?;
            client.close()
        }
    }
}

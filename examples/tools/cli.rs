//! What the `oscsend` and `oscdump` examples share on the command line:
//! OSC URLs and ports, `-h`/`--help`, and how each kind of failure is
//! reported, so that the same mistake gives the same message and exit
//! status in both.
//!
//! Exit statuses: 0 done (or help printed), 1 the work failed (a socket
//! could not be bound or a packet not sent), 2 the command line is wrong
//! (reported with the usage, before anything is sent or bound).

use std::fmt;
use std::process::ExitCode;

/// The transport an OSC URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Udp,
    Tcp,
}

impl Protocol {
    /// The URL scheme, as liblo writes it.
    pub fn scheme(self) -> &'static str {
        match self {
            Protocol::Udp => "osc.udp",
            Protocol::Tcp => "osc.tcp",
        }
    }
}

/// An endpoint: `osc.udp://HOST:PORT` or `osc.tcp://HOST:PORT`. The host
/// may be empty (a server then listens on every interface).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
}

impl Url {
    /// `HOST:PORT` for `ToSocketAddrs`, with `default_host` for an empty
    /// host; an IPv6 address gets its brackets.
    pub fn socket_addr(&self, default_host: &str) -> String {
        let host = if self.host.is_empty() {
            default_host
        } else {
            &self.host
        };
        if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{}", self.port)
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}:{}",
            self.protocol.scheme(),
            self.host,
            self.port
        )
    }
}

/// Parses `text` as an OSC URL; `Ok(None)` when it is not one (no `://`),
/// so that the caller can read it as something else (a host, a port).
pub fn parse_url(text: &str) -> Result<Option<Url>, String> {
    let Some((scheme, rest)) = text.split_once("://") else {
        return Ok(None);
    };
    let protocol = match scheme {
        "osc.udp" => Protocol::Udp,
        "osc.tcp" => Protocol::Tcp,
        _ => {
            return Err(format!(
                "unsupported URL {text:?} (expected osc.udp://HOST:PORT or osc.tcp://HOST:PORT)"
            ))
        }
    };
    // liblo's URLs may end in a '/' (the path part, always empty here).
    let hostport = rest.strip_suffix('/').unwrap_or(rest);
    let Some((host, port)) = hostport.rsplit_once(':') else {
        return Err(format!(
            "no port in URL {text:?} (expected {scheme}://HOST:PORT)"
        ));
    };
    let port = parse_port(port).map_err(|e| format!("{e} in URL {text:?}"))?;
    Ok(Some(Url {
        protocol,
        host: host.to_owned(),
        port,
    }))
}

/// A port number, 0 to 65535.
pub fn parse_port(text: &str) -> Result<u16, String> {
    text.parse()
        .map_err(|_| format!("bad port {text:?} (expected 0-65535)"))
}

/// Whether `arg` asks for the usage.
pub fn is_help(arg: &str) -> bool {
    arg == "-h" || arg == "--help"
}

/// One of the tools: its name and usage text, and the three ways it ends.
pub struct Tool {
    pub name: &'static str,
    pub usage: &'static str,
}

impl Tool {
    /// `-h`/`--help`: the usage on standard output, exit status 0.
    pub fn help(&self) -> ExitCode {
        println!("{}", self.usage);
        ExitCode::SUCCESS
    }

    /// A mistake on the command line: the message and the usage on
    /// standard error, exit status 2.
    pub fn usage_error(&self, message: impl fmt::Display) -> ExitCode {
        eprintln!("{}: {message}\n{}", self.name, self.usage);
        ExitCode::from(2)
    }

    /// The work failed (binding, sending): the message, exit status 1.
    pub fn failure(&self, message: impl fmt::Display) -> ExitCode {
        eprintln!("{}: {message}", self.name);
        ExitCode::FAILURE
    }
}

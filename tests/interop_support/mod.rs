//! Shared by the tool tests and the interop suites: locating the example
//! binaries and the peers, running child processes whose output is read
//! line by line with a bounded wait, and the dumps' start-up handshakes.
//!
//! Every wait here is bounded by [`WAIT`]; every child is killed when its
//! [`Proc`] is dropped, so a failing test leaves no process behind.
#![allow(dead_code)] // each test crate uses a different part

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// The longest any single expected event (a line, a connection) is awaited.
pub const WAIT: Duration = Duration::from_secs(10);

/// The built example `name` (`oscsend`, `oscdump`). `cargo test` builds
/// the examples next to the test binaries' `deps` directory.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps")
        .join("examples");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: build the examples first (`cargo build --examples`, \
         which `cargo test` does)",
        path.display()
    );
    path
}

/// A peer program from liblo-tools, found on `PATH`. Fails (never skips)
/// when it is missing: the interop suite was asked for, so a missing peer
/// is an error.
pub fn liblo(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "liblo's `{name}` is not on PATH: install liblo-tools \
             (`apt-get install -y liblo-tools`, as scripts/interop.sh does)"
        )
    })
}

/// The Python with python-osc: `$OSC_PYTHON`. Fails when it is unset or
/// cannot import python-osc.
pub fn python() -> PathBuf {
    let python = std::env::var_os("OSC_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
                "OSC_PYTHON is not set: point it at a Python with python-osc installed \
             (scripts/interop.sh creates target/interop-venv and sets it)"
            )
        });
    let status = Command::new(&python)
        .args(["-c", "import pythonosc"])
        .status()
        .unwrap_or_else(|e| panic!("cannot run OSC_PYTHON={}: {e}", python.display()));
    assert!(
        status.success(),
        "OSC_PYTHON={} cannot import pythonosc: `pip install python-osc` into it",
        python.display()
    );
    python
}

/// A loopback port that was free a moment ago, for peers that cannot be
/// told to pick one themselves (liblo's `oscdump`).
pub fn free_port(tcp: bool) -> u16 {
    if tcp {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    } else {
        UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }
}

/// A running child process whose standard output and error are read by
/// background threads; killed on drop.
pub struct Proc {
    name: String,
    child: Child,
    out: Receiver<Vec<u8>>,
    out_buf: Vec<u8>,
    err: Receiver<String>,
    err_seen: Vec<String>,
}

impl Proc {
    /// Starts `command` with piped standard output and error.
    pub fn spawn(mut command: Command) -> Proc {
        let name = format!("{command:?}");
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let (out_tx, out) = mpsc::channel();
        let mut stdout = child.stdout.take().unwrap();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut buf) {
                if out_tx.send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
        });
        let (err_tx, err) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                if err_tx.send(line).is_err() {
                    return;
                }
            }
        });
        Proc {
            name,
            child,
            out,
            out_buf: Vec::new(),
            err,
            err_seen: Vec::new(),
        }
    }

    fn fail(&mut self, what: &str) -> ! {
        while let Ok(line) = self.err.try_recv() {
            self.err_seen.push(line);
        }
        panic!(
            "{}: {what}\n  stdout so far: {:?}\n  stderr so far: {:#?}",
            self.name,
            String::from_utf8_lossy(&self.out_buf),
            self.err_seen
        );
    }

    /// Waits up to `wait` for more standard output; false on timeout.
    fn more_output(&mut self, wait: Duration) -> bool {
        match self.out.recv_timeout(wait) {
            Ok(chunk) => {
                self.out_buf.extend_from_slice(&chunk);
                true
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.try_wait();
                self.fail(&format!("standard output closed (exit: {status:?})"))
            }
        }
    }

    /// The next line of standard output, without the newline, waiting at
    /// most `wait`; `None` on timeout.
    pub fn try_line(&mut self, wait: Duration) -> Option<String> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(end) = self.out_buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.out_buf.drain(..=end).collect();
                return Some(String::from_utf8_lossy(&line[..end]).into_owned());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !self.more_output(left) {
                return None;
            }
        }
    }

    /// The next line of standard output; fails after [`WAIT`].
    pub fn line(&mut self) -> String {
        match self.try_line(WAIT) {
            Some(line) => line,
            None => self.fail("no line on standard output in time"),
        }
    }

    /// The next `n` lines of standard output.
    pub fn lines(&mut self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.line()).collect()
    }

    /// Exactly `n` bytes of standard output; fails after [`WAIT`].
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + WAIT;
        while self.out_buf.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !self.more_output(left) {
                self.fail(&format!("fewer than {n} bytes on standard output in time"));
            }
        }
        self.out_buf.drain(..n).collect()
    }

    /// The next line of standard error; fails after [`WAIT`].
    pub fn err_line(&mut self) -> String {
        match self.err.recv_timeout(WAIT) {
            Ok(line) => {
                self.err_seen.push(line.clone());
                line
            }
            Err(_) => self.fail("no line on standard error in time"),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The line without its first field (the receipt time), for comparing
/// lines of messages that were not in a timed bundle.
pub fn without_time(line: &str) -> &str {
    line.split_once(' ').map_or(line, |(_, rest)| rest)
}

/// Our `oscdump` on `scheme://127.0.0.1:0` (scheme `osc.udp` or `osc.tcp`)
/// and the port it reported.
pub fn our_dump(scheme: &str, flags: &[&str]) -> (Proc, u16) {
    let mut command = Command::new(example("oscdump"));
    command.args(flags).arg(format!("{scheme}://127.0.0.1:0"));
    let mut dump = Proc::spawn(command);
    let announced = dump.err_line();
    let prefix = format!("oscdump: listening on {scheme}://127.0.0.1:");
    let Some(port) = announced.strip_prefix(&prefix).and_then(|p| p.parse().ok()) else {
        dump.fail(&format!("unexpected first line {announced:?}"));
    };
    (dump, port)
}

/// liblo's `oscdump` on a free port, once it is known to be receiving.
/// liblo binds every interface (a host in its URL means multicast), but
/// the tests only ever send to it over loopback.
pub fn liblo_dump(tcp: bool) -> (Proc, u16) {
    let port = free_port(tcp);
    let mut command = Command::new(liblo("oscdump"));
    command.arg("-L");
    if tcp {
        command.arg(format!("osc.tcp://:{port}"));
    } else {
        command.arg(port.to_string());
    }
    let mut dump = Proc::spawn(command);
    // liblo announces nothing, so send probes until one is printed, then a
    // marker, and skip to the marker (later probes may still arrive).
    let deadline = Instant::now() + WAIT;
    let probe = osc_serde::Message::new("/probe").to_bytes().unwrap();
    let marker = osc_serde::Message::new("/probe/done").to_bytes().unwrap();
    let send = |bytes: &[u8]| -> bool {
        if tcp {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(mut stream) => {
                    let mut framed = (bytes.len() as u32).to_be_bytes().to_vec();
                    framed.extend_from_slice(bytes);
                    stream.write_all(&framed).is_ok()
                }
                Err(_) => false,
            }
        } else {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket.send_to(bytes, ("127.0.0.1", port)).is_ok()
        }
    };
    loop {
        if Instant::now() > deadline {
            dump.fail("liblo's oscdump never printed a probe");
        }
        send(&probe);
        if dump.try_line(Duration::from_millis(50)).is_some() {
            break;
        }
    }
    assert!(send(&marker), "liblo's oscdump stopped accepting");
    while without_time(&dump.line()) != "/probe/done " {}
    (dump, port)
}

/// Runs one of our examples to completion, returning its exit code,
/// standard output and standard error.
pub fn run_example(name: &str, args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(example(name))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs our `oscsend` and asserts it succeeded.
pub fn our_oscsend(args: &[&str]) {
    let (code, _, err) = run_example("oscsend", args);
    assert_eq!(code, 0, "oscsend {args:?} failed: {err}");
}

/// Runs a Python snippet with `args` to completion, asserts success and
/// returns its standard output.
pub fn run_python(script: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .args(["-c", script])
        .args(args)
        .env("TZ", "UTC")
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Starts a Python server snippet that prints its port on the first line.
pub fn start_python_server(script: &str, args: &[&str]) -> (Proc, u16) {
    let mut command = Command::new(python());
    command
        .args(["-u", "-c", script])
        .args(args)
        .env("TZ", "UTC");
    let mut server = Proc::spawn(command);
    let port = server
        .line()
        .parse()
        .expect("the server prints its port first");
    (server, port)
}

//! The `oscsend` and `oscdump` examples on their own, without any peer:
//! argument parsing, the exact bytes sent, the exact lines printed, errors
//! and framing. All traffic is on loopback.

mod interop_support;

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use interop_support::{our_dump, our_oscsend, run_example, without_time, WAIT};
use osc_serde::{Bundle, Color, Message, Midi, Packet, TimeTag, Value};

fn oscsend_stdout(args: &[&str]) -> Vec<u8> {
    let mut full = vec!["-"];
    full.extend_from_slice(args);
    let (code, out, err) = run_example("oscsend", &full);
    assert_eq!(code, 0, "oscsend {args:?}: {err}");
    out
}

#[test]
fn oscsend_encodes_liblo_types_byte_for_byte_as_liblo() {
    // What `oscsend - /a ihfdsScmTFNI ...` of liblo 0.31 writes.
    let liblo = b"/a\0\0,ihfdsScmTFNI\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\x02\
                  \x40\x60\0\0\x40\x11\0\0\0\0\0\0hi\0\0sym\0\0\0\0A\x01\x90\x20\x40";
    let ours = oscsend_stdout(&[
        "/a",
        "ihfdsScmTFNI",
        "1",
        "2",
        "3.5",
        "4.25",
        "hi",
        "sym",
        "A",
        "01902040",
    ]);
    assert_eq!(ours, liblo);
}

#[test]
fn oscsend_without_types_sends_an_empty_type_tag_string() {
    assert_eq!(oscsend_stdout(&["/ping"]), b"/ping\0\0\0,\0\0\0");
}

#[test]
fn oscsend_extras_blob_timetag_colour_and_nested_arrays() {
    let bytes = oscsend_stdout(&[
        "/x",
        "b[i[sT]]tr",
        "00c0ff",
        "-7",
        "deep",
        "eeb21f32.6dfa11a9",
        "ff000080",
    ]);
    let expected = Message::new("/x")
        .arg(vec![0x00u8, 0xc0, 0xff])
        .arg(vec![
            Value::Int(-7),
            Value::Array(vec![Value::String("deep".into()), Value::Bool(true)]),
        ])
        .arg(TimeTag::new(0xeeb21f32, 0x6dfa11a9))
        .arg(Color::from_u32(0xff000080));
    assert_eq!(bytes, expected.to_bytes().unwrap());
    assert_eq!(
        &bytes[..16],
        b"/x\0\0,b[i[sT]]tr\0",
        "tags are written as given"
    );
}

#[test]
fn oscsend_number_edges() {
    let bytes = oscsend_stdout(&[
        "/n",
        "ihfdbc",
        "-2147483648",
        "9223372036854775807",
        "-inf",
        "1e-3",
        "",
        "é",
    ]);
    let msg = Message::from_bytes(&bytes).unwrap();
    assert_eq!(
        msg.args,
        [
            Value::Int(i32::MIN),
            Value::Long(i64::MAX),
            Value::Float(f32::NEG_INFINITY),
            Value::Double(1e-3),
            Value::Blob(vec![]),
            Value::Char('é'),
        ]
    );
}

#[test]
fn oscsend_refuses_bad_input_with_a_clear_error_and_sends_nothing() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["-", "/a", "i", "1.5"],
            "value #1 \"1.5\" for 'i': not a 32-bit decimal integer",
        ),
        (
            &["-", "/a", "i", "2147483648"],
            "not a 32-bit decimal integer",
        ),
        (
            &["-", "/a", "q", "1"],
            "unknown type letter 'q' at position 1",
        ),
        (
            &["-", "/a", "if", "1"],
            "type 'f' at position 2 has no value",
        ),
        (
            &["-", "/a", "i", "1", "2"],
            "value #2 \"2\" has no type letter",
        ),
        (&["-", "/a", "[i", "1"], "1 unclosed '['"),
        (
            &["-", "/a", "i]", "1"],
            "']' at type position 2 closes no array",
        ),
        (&["-", "/a", "m", "0190204"], "not 8 hex digits"),
        (&["-", "/a", "r", "0190204g"], "not 8 hex digits"),
        (&["-", "/a", "b", "abc"], "not an even number of hex digits"),
        (&["-", "/a", "b", "zz"], "not an even number of hex digits"),
        (&["-", "/a", "c", "AB"], "not exactly one character"),
        (
            &["-", "/a", "t", "12"],
            "not a time tag SECONDS.FRACTION in hex",
        ),
        (
            &["-", "a", "i", "1"],
            "invalid OSC address pattern \"a\": it does not start with '/'",
        ),
        (&["-"], "missing OSC address"),
        (&[], "missing destination"),
        (&["localhost"], "missing port"),
        (&["localhost", "99999", "/a"], "bad port \"99999\""),
        (&["osc.http://x:1", "/a"], "unsupported URL"),
        (
            &["--framing", "slip", "-", "/a"],
            "--framing applies to osc.tcp:// only",
        ),
        (
            &["--framing", "cobs", "osc.tcp://127.0.0.1:1", "/a"],
            "unknown framing \"cobs\"",
        ),
    ];
    for (args, message) in cases {
        let (code, out, err) = run_example("oscsend", args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?} wrote {out:?}");
        assert!(err.starts_with("oscsend: "), "{args:?}: {err}");
        assert!(
            err.contains(message),
            "{args:?}: expected {message:?} in {err}"
        );
    }
}

#[test]
fn oscsend_sends_nothing_over_udp_when_a_value_is_bad() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    let port = socket.local_addr().unwrap().port().to_string();
    let (code, ..) = run_example("oscsend", &["127.0.0.1", &port, "/bad", "i", "x"]);
    assert_eq!(code, 2);
    our_oscsend(&["127.0.0.1", &port, "/good", "i", "1"]);
    // The first datagram to arrive is the good one: the bad one never left.
    let mut buf = [0u8; 64];
    let n = socket.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"/good\0\0\0,i\0\0\0\0\0\x01");
}

fn send_udp(port: u16, packet: &[u8]) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.send_to(packet, ("127.0.0.1", port)).unwrap();
}

#[test]
fn oscdump_prints_liblo_lines_for_every_type() {
    let (mut dump, port) = our_dump("osc.udp", &[]);
    let all = Message::new("/all")
        .arg(-5)
        .arg(1i64 << 40)
        .arg(2.75f32)
        .arg(0.5f64)
        .arg("hi there")
        .arg(osc_serde::Symbol("sym"))
        .arg('A')
        .arg(vec![0u8, 1, 0xff])
        .arg(TimeTag::new(1, 2))
        .arg(Midi::from_u32(0x00903c64))
        .arg(true)
        .arg(false)
        .arg(())
        .arg(osc_serde::Infinitum)
        .arg(Color::from_u32(0x01020304))
        .arg(vec![Value::Int(1), Value::Array(vec![Value::Nil])]);
    send_udp(port, &all.to_bytes().unwrap());
    send_udp(port, &Message::new("/empty").to_bytes().unwrap());
    send_udp(
        port,
        &Message::new("/big").arg(vec![7u8; 13]).to_bytes().unwrap(),
    );
    let lines = dump.lines(3);
    assert_eq!(
        without_time(&lines[0]),
        "/all ihfdsScbtmTFNIr[i[N]] -5 1099511627776 2.750000 0.500000 \"hi there\" 'sym 'A' \
         [3b 00 0x1 0xff] 00000001.00000002 MIDI [0x00 0x90 0x3c 0x64] #T #F Nil Infinitum \
         RGBA [0x01 0x02 0x03 0x04] [1 [Nil]]"
    );
    assert_eq!(without_time(&lines[1]), "/empty ");
    assert_eq!(without_time(&lines[2]), "/big b [13 byte blob]");
    // The first field is an NTP time of receipt: 8 hex digits, '.', 8 more.
    let (time, _) = lines[0].split_once(' ').unwrap();
    let received: TimeTag = time.parse().unwrap();
    let now = TimeTag::now();
    assert!(
        received <= now && now.seconds - received.seconds < 60,
        "{time}"
    );
}

#[test]
fn oscdump_stamps_bundles_with_their_timetag_and_goes_on_after_malformed_packets() {
    let (mut dump, port) = our_dump("osc.udp", &[]);
    let past = TimeTag::new(0x8000_0000, 5);
    let bundle = Bundle::new(TimeTag::IMMEDIATE)
        .message(Message::new("/now/1").arg(1))
        .message(Message::new("/now/2").arg(2))
        .bundle(Bundle::new(past).message(Message::new("/past").arg(3)));
    send_udp(port, &bundle.to_bytes().unwrap());
    send_udp(port, b"garbage");
    send_udp(port, b"/a\0\0,i\0\0\0\0"); // the int is cut short
    send_udp(port, &Message::new("/after").arg(4).to_bytes().unwrap());
    let lines = dump.lines(4);
    let (t1, rest1) = lines[0].split_once(' ').unwrap();
    let (t2, rest2) = lines[1].split_once(' ').unwrap();
    assert_eq!((rest1, rest2), ("/now/1 i 1", "/now/2 i 2"));
    // Each is stamped as it is printed (liblo stamps the packet once).
    assert!(t1 <= t2, "{t1} {t2}");
    assert_eq!(lines[2], "80000000.00000005 /past i 3");
    assert_eq!(without_time(&lines[3]), "/after i 4");
    let from = "(from 127.0.0.1:";
    let error = dump.err_line();
    assert!(
        error.starts_with(&format!(
            "oscdump: not an OSC packet: it starts with neither '/' nor \"#bundle\" {from}"
        )),
        "{error}"
    );
    let error = dump.err_line();
    assert!(
        error.starts_with(&format!(
            "oscdump: /a: unexpected end of input: needed 4 more bytes, 2 remain {from}"
        )),
        "{error}"
    );
}

#[test]
fn oscdump_holds_a_future_bundle_until_it_is_due() {
    let (mut dump, port) = our_dump("osc.udp", &[]);
    let due = TimeTag::after(Duration::from_secs(1));
    let later = Bundle::new(due).message(Message::new("/later"));
    send_udp(port, &later.to_bytes().unwrap());
    send_udp(port, &Message::new("/sooner").to_bytes().unwrap());
    assert_eq!(without_time(&dump.line()), "/sooner ");
    assert_eq!(dump.line(), format!("{due} /later "));
    assert!(TimeTag::now() >= due, "printed before it was due");
}

#[test]
fn oscdump_raw_writes_the_packets_bytes() {
    let (mut dump, port) = our_dump("osc.udp", &["-r"]);
    let packet = Packet::from(Bundle::new(TimeTag::new(9, 9)).message(Message::new("/r").arg(1)));
    let bytes = packet.to_bytes().unwrap();
    send_udp(port, &bytes);
    send_udp(port, b"not osc"); // raw mode does not parse
    assert_eq!(dump.bytes(bytes.len()), bytes);
    assert_eq!(dump.bytes(7), b"not osc");
}

#[test]
fn oscdump_raw_over_tcp_writes_each_frames_packet() {
    let (mut dump, port) = our_dump("osc.tcp", &["-r"]);
    let url = format!("osc.tcp://127.0.0.1:{port}");
    let packet = b"/raw\0\0\0\0,b\0\0\0\0\0\x02\xc0\xdb\0\0";
    for framing in ["slip", "length"] {
        our_oscsend(&["--framing", framing, &url, "/raw", "b", "c0db"]);
        assert_eq!(dump.bytes(packet.len()), packet, "{framing}");
    }
}

#[test]
fn oscdump_tcp_detects_each_connections_framing() {
    let (mut dump, port) = our_dump("osc.tcp", &[]);
    let url = format!("osc.tcp://127.0.0.1:{port}");
    our_oscsend(&["--framing", "slip", &url, "/slip", "bi", "c0db00", "1"]);
    assert_eq!(without_time(&dump.line()), "/slip bi [3b 0xc0 0xdb 00] 1");
    our_oscsend(&["--framing", "length", &url, "/length", "s", "x"]);
    assert_eq!(without_time(&dump.line()), "/length s \"x\"");
    our_oscsend(&[&url, "/default", "T"]);
    assert_eq!(without_time(&dump.line()), "/default T #T");

    // Several frames in one write, and a frame split across writes.
    let a = Message::new("/a").arg(1).to_bytes().unwrap();
    let b = Message::new("/b").arg(vec![0xc0u8]).to_bytes().unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut length = Vec::new();
    for m in [&a, &b, &a] {
        length.extend_from_slice(&(m.len() as u32).to_be_bytes());
        length.extend_from_slice(m);
    }
    stream.write_all(&length[..length.len() - 3]).unwrap();
    stream.flush().unwrap();
    assert_eq!(without_time(&dump.line()), "/a i 1");
    assert_eq!(without_time(&dump.line()), "/b b [1b 0xc0]");
    stream.write_all(&length[length.len() - 3..]).unwrap();
    assert_eq!(without_time(&dump.line()), "/a i 1");
    drop(stream);

    // SLIP with single ENDs between frames (python-osc's reader chokes on
    // this; liblo and we do not). The leading END selects SLIP.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut slip = vec![0xc0];
    for m in [&b, &a] {
        for &byte in m.iter() {
            match byte {
                0xc0 => slip.extend_from_slice(&[0xdb, 0xdc]),
                0xdb => slip.extend_from_slice(&[0xdb, 0xdd]),
                _ => slip.push(byte),
            }
        }
        slip.push(0xc0);
    }
    stream.write_all(&slip).unwrap();
    assert_eq!(without_time(&dump.line()), "/b b [1b 0xc0]");
    assert_eq!(without_time(&dump.line()), "/a i 1");
}

#[test]
fn oscdump_tcp_closes_a_connection_with_a_bad_frame_and_serves_others() {
    let (mut dump, port) = our_dump("osc.tcp", &[]);
    let mut bad = TcpStream::connect(("127.0.0.1", port)).unwrap();
    bad.write_all(&u32::MAX.to_be_bytes()).unwrap();
    let error = dump.err_line();
    assert!(
        error.starts_with("oscdump: frame of 4294967295 bytes exceeds the maximum of 65536"),
        "{error}"
    );
    let url = format!("osc.tcp://127.0.0.1:{port}");
    our_oscsend(&[&url, "/still/here"]);
    assert_eq!(without_time(&dump.line()), "/still/here ");
}

#[test]
fn oscdump_refuses_bad_arguments() {
    for (args, message) in [
        (&[][..], "missing PORT or URL"),
        (&["osc.udp://:x"][..], "bad port"),
        (&["osc.unix://x"][..], "unsupported URL"),
        (&["1", "2"][..], "unexpected argument \"2\""),
    ] {
        let (code, out, err) = run_example("oscdump", args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

/// The usage a tool prints for `--help`.
fn usage(tool: &str) -> String {
    let (code, out, err) = run_example(tool, &["--help"]);
    assert_eq!((code, err.as_str()), (0, ""), "{tool} --help");
    String::from_utf8(out).unwrap()
}

#[test]
fn help_prints_the_usage_and_exits_0() {
    for tool in ["oscsend", "oscdump"] {
        let usage = usage(tool);
        assert!(usage.starts_with(&format!("usage: {tool} ")), "{usage}");
        let (code, out, err) = run_example(tool, &["-h"]);
        assert_eq!((code, out, err), (0, usage.into_bytes(), String::new()));
    }
    // After the destination, "-h" is a value like any other.
    let bytes = oscsend_stdout(&["/a", "s", "-h"]);
    assert_eq!(bytes, b"/a\0\0,s\0\0-h\0\0");
}

/// Runs `tool` expecting exit status 2 and exactly `message` and the usage
/// on standard error, nothing on standard output.
fn assert_usage_error(tool: &str, args: &[&str], message: &str) {
    let (code, out, err) = run_example(tool, args);
    assert_eq!(code, 2, "{tool} {args:?}: {err}");
    assert!(out.is_empty(), "{tool} {args:?} wrote {out:?}");
    assert_eq!(err, format!("{tool}: {message}\n{}", usage(tool)));
}

#[test]
fn both_tools_report_the_same_url_mistakes_the_same_way() {
    let cases = [
        (
            "osc.http://x:1",
            "unsupported URL \"osc.http://x:1\" (expected osc.udp://HOST:PORT or osc.tcp://HOST:PORT)",
        ),
        (
            "osc.udp://:x",
            "bad port \"x\" (expected 0-65535) in URL \"osc.udp://:x\"",
        ),
        (
            "osc.tcp://h:70000",
            "bad port \"70000\" (expected 0-65535) in URL \"osc.tcp://h:70000\"",
        ),
        (
            "osc.udp://host",
            "no port in URL \"osc.udp://host\" (expected osc.udp://HOST:PORT)",
        ),
    ];
    for (url, message) in cases {
        assert_usage_error("oscsend", &[url, "/a"], message);
        assert_usage_error("oscdump", &[url], message);
    }
    // A port on its own (oscdump PORT, oscsend HOST PORT).
    let message = "bad port \"99999\" (expected 0-65535)";
    assert_usage_error("oscsend", &["localhost", "99999", "/a"], message);
    assert_usage_error("oscdump", &["99999"], message);
    // A sender needs a host.
    assert_usage_error(
        "oscsend",
        &["osc.udp://:9000", "/a"],
        "no host in URL \"osc.udp://:9000\" (expected osc.udp://HOST:PORT)",
    );
}

#[test]
fn oscsend_refuses_addresses_osc_forbids() {
    for (address, why) in [
        ("/a b", "space or '#' in a pattern"),
        ("/a#b", "space or '#' in a pattern"),
        ("/a,b", "',' outside '{}'"),
        ("/a/", "empty last part (a trailing '/' or '//')"),
        ("/a///b", "three or more '/' in a row"),
        ("/[a", "unclosed '['"),
    ] {
        let message = format!("invalid OSC address pattern {address:?}: {why}");
        assert_usage_error("oscsend", &["-", address], &message);
    }
    // A pattern is a valid address for a message to carry.
    assert_eq!(
        oscsend_stdout(&["/synth/{a,b}/*"]),
        b"/synth/{a,b}/*\0\0,\0\0\0"
    );
}

#[test]
fn oscsend_refuses_floats_that_would_not_arrive_as_written() {
    for (types, value, why) in [
        (
            "f",
            "1e40",
            "out of range for a 32-bit float (it would be sent as inf)",
        ),
        (
            "f",
            "-1e40",
            "out of range for a 32-bit float (it would be sent as -inf)",
        ),
        (
            "d",
            "1e400",
            "out of range for a 64-bit float (it would be sent as inf)",
        ),
        (
            "f",
            "1e-50",
            "too small for a 32-bit float (it would be sent as 0)",
        ),
        (
            "d",
            "-2e-400",
            "too small for a 64-bit float (it would be sent as 0)",
        ),
    ] {
        let message = format!("value #1 {value:?} for '{types}': {why}");
        assert_usage_error("oscsend", &["-", "/a", types, value], &message);
    }
    // What a float can hold, and infinities asked for, go out.
    let bytes = oscsend_stdout(&["/a", "ffffd", "3.4e38", "inf", "-Infinity", "0e10", "1e300"]);
    assert_eq!(
        Message::from_bytes(&bytes).unwrap().args,
        [
            Value::Float(3.4e38),
            Value::Float(f32::INFINITY),
            Value::Float(f32::NEG_INFINITY),
            Value::Float(0.0),
            Value::Double(1e300),
        ]
    );
}

#[test]
fn a_failure_to_send_or_to_bind_names_the_address_and_exits_1() {
    // A TCP port nobody listens on: the connection is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("osc.tcp://127.0.0.1:{port}");
    let (code, out, err) = run_example("oscsend", &[&url, "/a"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.starts_with(&format!("oscsend: cannot send to {url}: I/O error: ")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // Ports already taken, for the server and for the raw (-r) sockets.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = [
        format!("osc.udp://127.0.0.1:{}", udp.local_addr().unwrap().port()),
        format!("osc.tcp://127.0.0.1:{}", tcp.local_addr().unwrap().port()),
    ];
    for url in &taken {
        for raw in [false, true] {
            let args: &[&str] = if raw { &["-r", url] } else { &[url] };
            let (code, out, err) = run_example("oscdump", args);
            assert_eq!(code, 1, "{args:?}: {err}");
            assert!(out.is_empty());
            assert!(
                err.starts_with(&format!("oscdump: cannot listen on {url}: I/O error: ")),
                "{args:?}: {err}"
            );
            assert!(err.contains("in use"), "{args:?}: {err}");
        }
    }
}

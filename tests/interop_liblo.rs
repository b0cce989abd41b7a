//! Interoperability with liblo 0.31's command-line tools, run as separate
//! processes: its `oscsend` to our `oscdump`, our `oscsend` to its
//! `oscdump`, and the same packets to both dumps with the lines compared.
//!
//! Needs `--features interop` and liblo-tools on `PATH` (scripts/interop.sh
//! installs them); fails if they are missing.
#![cfg(feature = "interop")]

mod interop_support;

use std::net::UdpSocket;
use std::process::Command;

use interop_support::{liblo, liblo_dump, our_dump, our_oscsend, without_time, Proc};
use osc_serde::{Bundle, Message, Midi, Packet, Symbol, TimeTag, Value};

/// Runs liblo's `oscsend` and asserts it succeeded.
fn liblo_oscsend(args: &[&str]) {
    let out = Command::new(liblo("oscsend")).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "liblo oscsend {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every type letter liblo's `oscsend` has, with values, and the line both
/// dumps print for it (without the time field).
const LIBLO_TYPES: &[(&[&str], &str)] = &[
    (&["/i", "i", "-2147483648"], "/i i -2147483648"),
    (&["/h", "h", "-9223372036854775808"], "/h h -9223372036854775808"),
    (&["/f", "f", "3.25"], "/f f 3.250000"),
    (&["/f/big", "f", "1e20"], "/f/big f 100000002004087734272.000000"),
    (&["/d", "d", "-0.000001"], "/d d -0.000001"),
    (&["/s", "s", "hello world"], "/s s \"hello world\""),
    (&["/S", "S", "sym"], "/S S 'sym"),
    (&["/c", "c", "A"], "/c c 'A'"),
    (&["/m", "m", "00903c64"], "/m m MIDI [0x00 0x90 0x3c 0x64]"),
    (&["/TFNI", "TFNI"], "/TFNI TFNI #T #F Nil Infinitum"),
    (&["/none"], "/none "),
    (
        &["/all", "ihfdsScmTFNI", "1", "2", "0.5", "0.25", "x", "y", "z", "01020304"],
        "/all ihfdsScmTFNI 1 2 0.500000 0.250000 \"x\" 'y 'z' MIDI [0x01 0x02 0x03 0x04] #T #F Nil Infinitum",
    ),
];

#[test]
fn liblo_oscsend_to_our_oscdump_every_type_letter() {
    let (mut dump, port) = our_dump("osc.udp", &[]);
    let port = port.to_string();
    let url = format!("osc.udp://127.0.0.1:{port}");
    for (args, line) in LIBLO_TYPES {
        let mut full = vec!["127.0.0.1", port.as_str()];
        full.extend_from_slice(args);
        liblo_oscsend(&full);
        assert_eq!(without_time(&dump.line()), *line, "oscsend {args:?}");
    }
    // The URL form.
    liblo_oscsend(&[&url, "/url", "i", "5"]);
    assert_eq!(without_time(&dump.line()), "/url i 5");
}

#[test]
fn liblo_tcp_oscsend_to_our_tcp_oscdump() {
    let (mut dump, port) = our_dump("osc.tcp", &[]);
    let url = format!("osc.tcp://127.0.0.1:{port}");
    for (args, line) in LIBLO_TYPES {
        let mut full = vec![url.as_str()];
        full.extend_from_slice(args);
        liblo_oscsend(&full);
        assert_eq!(without_time(&dump.line()), *line, "oscsend {args:?}");
    }
}

/// Our `oscsend` to liblo's `oscdump`: liblo's letters plus `b` and `t`,
/// which liblo's own `oscsend` cannot send but its `oscdump` prints.
const OURS_TO_LIBLO: &[(&[&str], &str)] = &[
    (
        &["/b", "b", "00017f80ff"],
        "/b b [5b 00 0x1 0x7f 0x80 0xff]",
    ),
    (&["/b/empty", "b", ""], "/b/empty b [0b ]"),
    (
        &["/b/big", "b", "000102030405060708090a0b0c"],
        "/b/big b [13 byte blob]",
    ),
    (&["/t", "t", "eeb21f32.6dfa11a9"], "/t t eeb21f32.6dfa11a9"),
    (
        &["/f/special", "ffff", "inf", "-inf", "nan", "-0"],
        "/f/special ffff inf -inf nan -0.000000",
    ),
];

#[test]
fn our_oscsend_to_liblo_oscdump() {
    let (mut dump, port) = liblo_dump(false);
    let port = port.to_string();
    for (args, line) in LIBLO_TYPES.iter().chain(OURS_TO_LIBLO) {
        let mut full = vec!["127.0.0.1", port.as_str()];
        full.extend_from_slice(args);
        our_oscsend(&full);
        assert_eq!(without_time(&dump.line()), *line, "oscsend {args:?}");
    }
}

#[test]
fn our_tcp_oscsend_in_both_framings_to_liblo_tcp_oscdump() {
    let (mut dump, port) = liblo_dump(true);
    let url = format!("osc.tcp://127.0.0.1:{port}");
    for framing in ["length", "slip"] {
        for (args, line) in OURS_TO_LIBLO {
            let mut full = vec!["--framing", framing, url.as_str()];
            full.extend_from_slice(args);
            our_oscsend(&full);
            assert_eq!(without_time(&dump.line()), *line, "{framing}: {args:?}");
        }
    }
}

/// Packets liblo accepts, covering its types' edge values and bundles.
fn shared_packets() -> Vec<Packet> {
    let everything = Message::new("/every/type")
        .arg(i32::MAX)
        .arg(0.1f32)
        .arg("ünï cödé")
        .arg(vec![0u8, 0x80, 0xff])
        .arg(i64::MIN)
        .arg(TimeTag::new(0, 1))
        .arg(f64::MAX)
        .arg(Symbol(""))
        .arg('~')
        .arg(Midi::from_u32(0xffff_ffff))
        .arg(true)
        .arg(false)
        .arg(())
        .arg(osc_serde::Infinitum);
    vec![
        everything.into(),
        Message::with_args(
            "/floats",
            [
                f32::NAN,
                -f32::NAN,
                f32::INFINITY,
                f32::MIN_POSITIVE,
                -1e-7,
                16_777_217.0,
            ]
            .map(Value::Float)
            .to_vec(),
        )
        .into(),
        Message::new("/doubles")
            .arg(f64::NEG_INFINITY)
            .arg(1e300)
            .arg(-0.0000005f64)
            .arg(0.0000005f64)
            .into(),
        Message::new("/blobs")
            .arg(Vec::<u8>::new())
            .arg((0..12).collect::<Vec<u8>>())
            .arg(vec![1u8; 100])
            .into(),
        Message::new("/strings")
            .arg("")
            .arg("a b\tc")
            .arg(Value::Symbol("x".repeat(300)))
            .into(),
        Message::new("/no/args").into(),
        Bundle::new(TimeTag::IMMEDIATE)
            .message(Message::new("/bundle/now/1").arg(1))
            .message(Message::new("/bundle/now/2").arg(2))
            .into(),
        Bundle::new(TimeTag::new(0x8000_0000, 0x1234))
            .message(Message::new("/bundle/past").arg(3))
            .bundle(
                Bundle::new(TimeTag::new(0x9000_0000, 0)).message(Message::new("/bundle/nested")),
            )
            .into(),
    ]
}

/// Reads the next line of each dump and compares them: whole lines for
/// messages of timed bundles, without the receipt time otherwise.
fn same_line(ours: &mut Proc, theirs: &mut Proc, timed: bool) -> String {
    let (a, b) = (ours.line(), theirs.line());
    if timed {
        assert_eq!(a, b);
    } else {
        assert_eq!(without_time(&a), without_time(&b));
    }
    a
}

#[test]
fn same_packets_to_both_dumps_print_the_same_lines() {
    let (mut ours, our_port) = our_dump("osc.udp", &[]);
    let (mut theirs, their_port) = liblo_dump(false);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut lines = 0;
    for packet in shared_packets() {
        let bytes = packet.to_bytes().unwrap();
        socket.send_to(&bytes, ("127.0.0.1", our_port)).unwrap();
        socket.send_to(&bytes, ("127.0.0.1", their_port)).unwrap();
        let (timed, count) = match &packet {
            Packet::Message(_) => (false, 1),
            Packet::Bundle(b) if b.timetag.is_immediate() => (false, b.content.len()),
            Packet::Bundle(_) => (true, 2),
        };
        for _ in 0..count {
            same_line(&mut ours, &mut theirs, timed);
            lines += 1;
        }
    }
    // A packet both refuse, then one both print: the dumps go on.
    for bytes in [
        &b"/cut\0\0\0\0,i\0\0\0\0"[..],
        &Message::new("/after").to_bytes().unwrap(),
    ] {
        socket.send_to(bytes, ("127.0.0.1", our_port)).unwrap();
        socket.send_to(bytes, ("127.0.0.1", their_port)).unwrap();
    }
    assert_eq!(
        without_time(&same_line(&mut ours, &mut theirs, false)),
        "/after "
    );
    let error = ours.err_line();
    assert!(
        error.starts_with("oscdump: /cut: unexpected end of input: needed 4 more bytes, 2 remain"),
        "{error}"
    );
    assert_eq!(lines, 10);
}

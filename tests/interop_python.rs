//! Interoperability with python-osc (the feature reference), run as a
//! separate Python process: its clients to our receivers and ours to its
//! servers, over UDP and both TCP framings. Each test asserts the exact
//! values seen on the far side.
//!
//! Needs `--features interop` and `OSC_PYTHON` pointing at a Python with
//! python-osc (scripts/interop.sh sets both up); fails if either is missing.
#![cfg(feature = "interop")]

mod interop_support;

use std::net::UdpSocket;

use interop_support::{our_dump, our_oscsend, run_python, start_python_server, without_time, WAIT};
use osc_serde::dispatch::Context;
use osc_serde::transport::Server;
use osc_serde::{Bundle, Color, Dispatcher, Message, Midi, Packet, TimeTag, Value};

const UDP_CLIENT: &str = r#"
import sys
from pythonosc.udp_client import SimpleUDPClient
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_bundle_builder import OscBundleBuilder, IMMEDIATELY

client = SimpleUDPClient("127.0.0.1", int(sys.argv[1]))
# Every type python-osc infers from a Python value.
client.send_message("/inferred", ["hi", b"\x00\x01\xff", True, False, 42,
    -2**31, 2**40, 1.5, (0, 144, 60, 100), None, [1, [2.5, "x"]]])
client.send_message("/scalar", 7)
client.send_message("/none", [])
# The types only an explicit arg_type gives.
m = OscMessageBuilder("/explicit")
m.add_arg(0.25, "d")
m.add_arg(7, "h")
m.add_arg(0x11223344, "r")
m.add_arg(-1, "i")
m.add_arg([1.5, "s"], ["f", "s"])
client.send(m.build())
# A timed bundle holding a message and an immediate bundle.
inner = OscBundleBuilder(IMMEDIATELY)
inner.add_content(OscMessageBuilder("/inner").build())
outer = OscBundleBuilder(1000000000.5)
m = OscMessageBuilder("/outer")
m.add_arg("in bundle")
outer.add_content(m.build())
outer.add_content(inner.build())
client.send(outer.build())
"#;

#[test]
fn python_udp_client_to_our_receiver() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    let port = socket.local_addr().unwrap().port().to_string();
    run_python(UDP_CLIENT, &[&port]);

    let expected = [
        Packet::from(Message::with_args(
            "/inferred",
            vec![
                Value::String("hi".into()),
                Value::Blob(vec![0, 1, 0xff]),
                Value::Bool(true),
                Value::Bool(false),
                Value::Int(42),
                // python-osc sends any int needing 32 bits, -2**31 too, as h.
                Value::Long(-(1 << 31)),
                Value::Long(1 << 40),
                Value::Float(1.5),
                Value::Midi(Midi::from_u32(0x00903c64)),
                Value::Nil,
                Value::Array(vec![
                    Value::Int(1),
                    Value::Array(vec![Value::Float(2.5), Value::String("x".into())]),
                ]),
            ],
        )),
        Message::new("/scalar").arg(7).into(),
        Message::new("/none").into(),
        Message::new("/explicit")
            .arg(0.25f64)
            .arg(7i64)
            .arg(Color::from_u32(0x11223344))
            .arg(-1)
            .arg(vec![Value::Float(1.5), Value::String("s".into())])
            .into(),
        Bundle::new(TimeTag::new(1_000_000_000 + 2_208_988_800, 0x8000_0000))
            .message(Message::new("/outer").arg("in bundle"))
            .bundle(Bundle::new(TimeTag::IMMEDIATE).message(Message::new("/inner")))
            .into(),
    ];
    let mut buf = vec![0u8; 65_536];
    for want in expected {
        let n = socket.recv(&mut buf).expect("a datagram from python-osc");
        assert_eq!(Packet::from_bytes(&buf[..n]).unwrap(), want);
    }
}

/// A python-osc server (UDP, or TCP in the mode given) that prints its port,
/// then `address repr(args)` for each of the first N messages.
const SERVER: &str = r#"
import sys
from pythonosc.dispatcher import Dispatcher
from pythonosc import osc_server, osc_tcp_server

kind, count = sys.argv[1], int(sys.argv[2])
dispatcher = Dispatcher()
seen = []
def show(address, *args):
    seen.append(address)
    print(address, repr(list(args)), flush=True)
dispatcher.set_default_handler(show)
if kind == "udp":
    server = osc_server.BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
else:
    server = osc_tcp_server.BlockingOSCTCPServer(("127.0.0.1", 0), dispatcher, mode=kind)
server.timeout = 10
print(server.server_address[1], flush=True)
while len(seen) < count:
    before = len(seen)
    server.handle_request()  # one datagram, or one whole TCP connection
    if len(seen) == before and kind == "udp":
        sys.exit("timed out waiting for a datagram")
"#;

/// What our `oscsend` sends and what python-osc's handler receives. The
/// types are those python-osc decodes (it misreads `c`, `S` and `I`).
const TO_PYTHON: &[(&[&str], &str)] = &[
    (
        &["/types", "ihfdsbrmTFN", "42", "-1099511627776", "1.5", "0.1", "hé llo", "0001ff", "11223344", "00903c64"],
        "/types [42, -1099511627776, 1.5, 0.1, 'hé llo', b'\\x00\\x01\\xff', 287454020, (0, 144, 60, 100), True, False, None]",
    ),
    (
        &["/time", "t", "83aa7e80.80000000"],
        "/time [(datetime.datetime(1970, 1, 1, 0, 0), 2147483648)]",
    ),
    (&["/arrays", "i[s[f]]i", "1", "a", "2.5", "3"], "/arrays [1, ['a', [2.5]], 3]"),
    (&["/none"], "/none []"),
];

#[test]
fn our_udp_oscsend_to_python_server() {
    let (mut server, port) = start_python_server(SERVER, &["udp", &TO_PYTHON.len().to_string()]);
    let port = port.to_string();
    for (args, expected) in TO_PYTHON {
        let mut full = vec!["127.0.0.1", port.as_str()];
        full.extend_from_slice(args);
        our_oscsend(&full);
        assert_eq!(server.line(), *expected, "oscsend {args:?}");
    }
}

#[test]
fn our_tcp_oscsend_in_both_framings_to_python_tcp_server() {
    for (framing, mode) in [("slip", "1.1"), ("length", "1.0")] {
        let (mut server, port) = start_python_server(SERVER, &[mode, &TO_PYTHON.len().to_string()]);
        let url = format!("osc.tcp://127.0.0.1:{port}");
        for (args, expected) in TO_PYTHON {
            let mut full = vec!["--framing", framing, url.as_str()];
            full.extend_from_slice(args);
            our_oscsend(&full);
            assert_eq!(server.line(), *expected, "{framing}: oscsend {args:?}");
        }
    }
}

const TCP_CLIENT: &str = r#"
import sys
from pythonosc.tcp_client import TCPClient
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_bundle_builder import OscBundleBuilder

client = TCPClient("127.0.0.1", int(sys.argv[1]), mode=sys.argv[2])
for i in range(3):
    m = OscMessageBuilder("/tcp/%d" % i)
    m.add_arg(i)
    m.add_arg(b"\xc0\xdb")  # SLIP's END and ESC bytes, escaped in mode 1.1
    m.add_arg(sys.argv[2])
    client.send(m.build())
bundle = OscBundleBuilder(1000000000.5)
bundle.add_content(OscMessageBuilder("/tcp/bundled").build())
client.send(bundle.build())
client.close()
"#;

#[test]
fn python_tcp_client_in_both_modes_to_our_tcp_receiver() {
    for mode in ["1.0", "1.1"] {
        let (mut dump, port) = our_dump("osc.tcp", &[]);
        run_python(TCP_CLIENT, &[&port.to_string(), mode]);
        for i in 0..3 {
            assert_eq!(
                without_time(&dump.line()),
                format!("/tcp/{i} ibs {i} [2b 0xc0 0xdb] \"{mode}\""),
                "mode {mode}"
            );
        }
        let timetag = TimeTag::new(1_000_000_000 + 2_208_988_800, 0x8000_0000);
        assert_eq!(dump.line(), format!("{timetag} /tcp/bundled "));
    }
}

/// python-osc's clients send `/ping` and print the reply they read.
const PING_CLIENTS: &str = r#"
import sys
from pythonosc.udp_client import SimpleUDPClient
from pythonosc.tcp_client import SimpleTCPClient
from pythonosc.osc_message import OscMessage

udp = SimpleUDPClient("127.0.0.1", int(sys.argv[1]))
udp.send_message("/ping", [41, "udp"])
reply = OscMessage(udp.receive(10))
print(reply.address, repr(reply.params))
for mode in ("1.0", "1.1"):
    tcp = SimpleTCPClient("127.0.0.1", int(sys.argv[2]), mode=mode)
    tcp.send_message("/ping", [1, mode])
    for frame in tcp.receive(10):
        reply = OscMessage(frame)
        print(reply.address, repr(reply.params))
    tcp.close()
"#;

#[test]
fn our_servers_reply_is_read_by_python_clients() {
    let mut dispatcher = Dispatcher::new();
    dispatcher
        .map_with_context("/ping", |ctx: &Context, (n, via): (i32, String)| {
            ctx.reply_to("/pong", &(n + 1, via, 0.5f32))
        })
        .unwrap();
    let mut server = Server::new(dispatcher).unwrap();
    let udp = server.bind_udp("127.0.0.1:0").unwrap();
    let tcp = server.listen_tcp("127.0.0.1:0").unwrap();
    let handle = server.spawn().unwrap();

    let printed = run_python(
        PING_CLIENTS,
        &[&udp.port().to_string(), &tcp.port().to_string()],
    );
    assert_eq!(
        printed,
        "/pong [42, 'udp', 0.5]\n/pong [2, '1.0', 0.5]\n/pong [2, '1.1', 0.5]\n"
    );
    handle.stop().unwrap();
    let server = handle.join().unwrap();
    assert_eq!((server.stats().packets, server.stats().errors), (3, 0));
}

/// A struct with a borrowed byte field and an `f32`, both ways with
/// python-osc's own encoder and parser: the field is a blob `b` on the
/// wire, and python-osc's float (`f`) and an explicit double (`d`) both
/// land in the `f32`.
#[test]
fn borrowed_blob_field_and_floats_with_python_osc() {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(rename = "/sample")]
    struct Sample<'a> {
        data: &'a [u8],
        gain: f32,
    }

    // Ours, parsed by python-osc.
    let ours = osc_serde::to_vec(&Sample {
        data: &[0, 1, 0xfe, 0xff, 7],
        gain: 0.25,
    })
    .unwrap();
    let hex: String = ours.iter().map(|b| format!("{b:02x}")).collect();
    let printed = run_python(
        r#"
import sys
from pythonosc.osc_message import OscMessage
m = OscMessage(bytes.fromhex(sys.argv[1]))
print(m.address, [(type(p).__name__, p) for p in m.params])
"#,
        &[&hex],
    );
    assert_eq!(
        printed.trim(),
        r"/sample [('bytes', b'\x00\x01\xfe\xff\x07'), ('float', 0.25)]"
    );

    // python-osc's, decoded into the borrowing struct: a float as `f`,
    // then as `d` (explicit arg_type).
    let printed = run_python(
        r#"
from pythonosc.osc_message_builder import OscMessageBuilder
for t in ("f", "d"):
    b = OscMessageBuilder("/sample")
    b.add_arg(b"\x00\x01\xfe\xff\x07")
    b.add_arg(0.1, t)
    print(b.build().dgram.hex())
"#,
        &[],
    );
    let mut lines = printed.lines();
    for tag in ['f', 'd'] {
        let hex = lines.next().expect("one datagram per line");
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let sample: Sample = osc_serde::from_slice(&bytes).unwrap();
        assert_eq!(
            sample,
            Sample {
                data: &[0, 1, 0xfe, 0xff, 7],
                gain: 0.1
            },
            "tag {tag}"
        );
    }
}

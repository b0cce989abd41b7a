//! Interoperability of the async side (cargo features `interop` and
//! `tokio`): python-osc's clients (blocking and asyncio) and liblo's
//! `oscsend` against our async server, and our async clients against
//! python-osc's servers (`AsyncIOOSCUDPServer`, `AsyncOSCTCPServer` with
//! its replies, the blocking TCP server) and liblo's `oscdump`, over UDP
//! and both TCP framings.
//! Each test asserts the exact values seen on the far side.
//!
//! Needs `OSC_PYTHON` pointing at a Python with python-osc and liblo-tools
//! on `PATH` (scripts/interop.sh sets both up); fails if either is missing.
#![cfg(all(feature = "interop", feature = "tokio"))]

mod interop_support;

use std::process::Command;
use std::time::Duration;

use interop_support::{
    free_port, liblo, liblo_dump, run_python, start_python_server, without_time, WAIT,
};
use osc_serde::dispatch::Context;
use osc_serde::framing::Framing;
use osc_serde::tokio::{Server, TcpClient, UdpClient};
use osc_serde::{Bundle, Dispatcher, Message, Packet, TimeTag};
use tokio::sync::mpsc::unbounded_channel;
use tokio::time::timeout;

#[derive(serde::Serialize)]
#[serde(rename = "/note")]
struct Note<'a> {
    pitch: i32,
    velocity: f32,
    wave: &'a str,
}

/// Sends the sample python-osc ([`TO_PYTHON`]) and liblo ([`TO_LIBLO`])
/// are to see, with either client.
macro_rules! send_sample {
    ($client:expr) => {
        $client
            .send(&Note {
                pitch: 60,
                velocity: 0.5,
                wave: "sine",
            })
            .await
            .unwrap();
        $client
            .send_message("/args", &(1, "two", 3.0f64))
            .await
            .unwrap();
        $client.send_bundle(&to_python_bundle()).await.unwrap();
    };
}

/// python-osc's clients send `/ping` (UDP, then TCP in modes 1.0 and 1.1,
/// the TCP ones also a bundle due 0.3 s later) and print every reply.
const PING_CLIENTS: &str = r#"
import sys, time
from pythonosc.udp_client import SimpleUDPClient
from pythonosc.tcp_client import TCPClient
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_bundle_builder import OscBundleBuilder

udp = SimpleUDPClient("127.0.0.1", int(sys.argv[1]))
udp.send_message("/ping", [41, "udp"])
reply = OscMessage(udp.receive(10))
print(reply.address, repr(reply.params))
for mode in ("1.0", "1.1"):
    tcp = TCPClient("127.0.0.1", int(sys.argv[2]), mode=mode)
    m = OscMessageBuilder("/ping")
    m.add_arg(1)
    m.add_arg(mode)
    tcp.send(m.build())
    bundle = OscBundleBuilder(time.time() + 0.3)
    m = OscMessageBuilder("/ping")
    m.add_arg(10)
    m.add_arg("timed " + mode)
    bundle.add_content(m.build())
    tcp.send(bundle.build())
    replies = 0
    while replies < 2:
        for frame in tcp.receive(10):
            reply = OscMessage(frame)
            print(reply.address, repr(reply.params))
            replies += 1
    tcp.close()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_clients_get_our_async_servers_replies() {
    let mut dispatcher = Dispatcher::new();
    dispatcher
        .map_with_context("/ping", |ctx: &Context, (n, via): (i32, String)| {
            ctx.reply_to("/pong", &(n + 1, via, 0.5f32))
        })
        .unwrap();
    let mut server = Server::new(dispatcher);
    let udp = server.bind_udp("127.0.0.1:0").await.unwrap();
    let tcp = server.listen_tcp("127.0.0.1:0").await.unwrap();
    let handle = server.spawn();

    let (udp, tcp) = (udp.port().to_string(), tcp.port().to_string());
    let printed = tokio::task::spawn_blocking(move || run_python(PING_CLIENTS, &[&udp, &tcp]))
        .await
        .unwrap();
    assert_eq!(
        printed,
        "/pong [42, 'udp', 0.5]\n\
         /pong [2, '1.0', 0.5]\n/pong [11, 'timed 1.0', 0.5]\n\
         /pong [2, '1.1', 0.5]\n/pong [11, 'timed 1.1', 0.5]\n"
    );
    let stats = handle.stats();
    assert_eq!((stats.packets, stats.errors), (5, 0));
}

/// python-osc's asyncio TCP client in modes 1.0 and 1.1: sends `/ping`
/// and prints the reply.
const ASYNC_TCP_CLIENT: &str = r#"
import asyncio, sys
from pythonosc.tcp_client import AsyncTCPClient
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

async def main():
    for mode in ("1.0", "1.1"):
        client = await AsyncTCPClient("127.0.0.1", int(sys.argv[1]), mode=mode)
        m = OscMessageBuilder("/ping")
        m.add_arg(1)
        m.add_arg("async " + mode)
        await client.send(m.build())
        for frame in await client.receive(10):
            reply = OscMessage(frame)
            print(reply.address, repr(reply.params))
        await client.close()

asyncio.run(main())
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_asyncio_tcp_client_gets_our_async_servers_replies() {
    let mut dispatcher = Dispatcher::new();
    dispatcher
        .map("/ping", |(n, via): (i32, String)| {
            osc_serde::dispatch::Reply::to("/pong", (n + 1, via))
        })
        .unwrap();
    let mut server = Server::new(dispatcher);
    let tcp = server.listen_tcp("127.0.0.1:0").await.unwrap();
    let _handle = server.spawn();
    let port = tcp.port().to_string();
    let printed = tokio::task::spawn_blocking(move || run_python(ASYNC_TCP_CLIENT, &[&port]))
        .await
        .unwrap();
    assert_eq!(printed, "/pong [2, 'async 1.0']\n/pong [2, 'async 1.1']\n");
}

/// python-osc's `AsyncOSCTCPServer` in the mode given on the port given:
/// prints the port, then `address repr(args)` for each of the first N
/// messages, answering `/ping n` with `/pong n+1`.
const ASYNC_TCP_SERVER: &str = r#"
import asyncio, sys
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_tcp_server import AsyncOSCTCPServer

port, mode, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

async def main():
    done = asyncio.Event()
    seen = []
    def show(address, *args):
        seen.append(address)
        print(address, repr(list(args)), flush=True)
        if len(seen) >= count:
            done.set()
    def ping(address, n):
        return ("/pong", n + 1)
    dispatcher = Dispatcher()
    dispatcher.map("/ping", ping)
    dispatcher.set_default_handler(show)
    server = AsyncOSCTCPServer("127.0.0.1", port, dispatcher, mode=mode)
    serving = asyncio.create_task(server.start())
    print(port, flush=True)
    await asyncio.wait_for(done.wait(), 10)
    await asyncio.sleep(0.5)
    serving.cancel()

asyncio.run(main())
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_async_tcp_client_talks_both_ways_with_python_asyncio_tcp_server() {
    for (framing, mode) in [(Framing::Length, "1.0"), (Framing::Slip, "1.1")] {
        let port = free_port(true);
        let count = TO_PYTHON.len().to_string();
        let (server, _) = start_python_server(ASYNC_TCP_SERVER, &[&port.to_string(), mode, &count]);
        // The server listens once its task runs: try until it does.
        let deadline = std::time::Instant::now() + WAIT;
        let mut client = loop {
            match TcpClient::connect_with(("127.0.0.1", port), framing).await {
                Ok(client) => break client,
                Err(e) => assert!(std::time::Instant::now() < deadline, "{e}"),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        client.send_message("/ping", &41).await.unwrap();
        let reply = client.recv(WAIT).await.unwrap().expect("a reply");
        assert_eq!(
            reply,
            Packet::Message(Message::new("/pong").arg(42)),
            "mode {mode}"
        );
        send_sample!(client);
        let lines = python_lines(server).await;
        assert_eq!(lines, TO_PYTHON, "mode {mode}");
        client.close().await.unwrap();
    }
}

/// python-osc's `AsyncIOOSCUDPServer` on asyncio: prints its port, then
/// `address repr(args)` for each of the first N messages.
const ASYNCIO_SERVER: &str = r#"
import asyncio, sys
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import AsyncIOOSCUDPServer

count = int(sys.argv[1])

async def main():
    done = asyncio.Event()
    seen = []
    def show(address, *args):
        seen.append(address)
        print(address, repr(list(args)), flush=True)
        if len(seen) >= count:
            done.set()
    dispatcher = Dispatcher()
    dispatcher.set_default_handler(show)
    server = AsyncIOOSCUDPServer(("127.0.0.1", 0), dispatcher, asyncio.get_running_loop())
    transport, _ = await server.create_serve_endpoint()
    print(transport.get_extra_info("sockname")[1], flush=True)
    await asyncio.wait_for(done.wait(), 10)
    transport.close()

asyncio.run(main())
"#;

/// What our async clients send, and python-osc's handler sees.
const TO_PYTHON: &[&str] = &[
    "/note [60, 0.5, 'sine']",
    "/args [1, 'two', 3.0]",
    "/in/bundle [True]",
    "/also/in/bundle []",
];

/// The lines a python-osc server printed for [`TO_PYTHON`].
async fn python_lines(mut server: interop_support::Proc) -> Vec<String> {
    tokio::task::spawn_blocking(move || server.lines(TO_PYTHON.len()))
        .await
        .unwrap()
}

fn to_python_bundle() -> Bundle {
    Bundle::new(TimeTag::IMMEDIATE)
        .message(Message::new("/in/bundle").arg(true))
        .message(Message::new("/also/in/bundle"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_async_udp_client_to_python_asyncio_server() {
    let (server, port) = start_python_server(ASYNCIO_SERVER, &[&TO_PYTHON.len().to_string()]);
    let mut client = UdpClient::new(("127.0.0.1", port)).await.unwrap();
    send_sample!(client);
    let lines = python_lines(server).await;
    assert_eq!(lines, TO_PYTHON);
}

/// python-osc's TCP server in the mode given: prints its port, then
/// `address repr(args)` for each message of one connection.
const TCP_SERVER: &str = r#"
import sys
from pythonosc.dispatcher import Dispatcher
from pythonosc import osc_tcp_server

dispatcher = Dispatcher()
dispatcher.set_default_handler(lambda address, *args: print(address, repr(list(args)), flush=True))
server = osc_tcp_server.BlockingOSCTCPServer(("127.0.0.1", 0), dispatcher, mode=sys.argv[1])
server.timeout = 10
print(server.server_address[1], flush=True)
server.handle_request()  # one whole connection
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_async_tcp_client_in_both_framings_to_python_tcp_server() {
    for (framing, mode) in [(Framing::Length, "1.0"), (Framing::Slip, "1.1")] {
        let (server, port) = start_python_server(TCP_SERVER, &[mode]);
        let mut client = TcpClient::connect_with(("127.0.0.1", port), framing)
            .await
            .unwrap();
        send_sample!(client);
        client.close().await.unwrap();
        let lines = python_lines(server).await;
        assert_eq!(lines, TO_PYTHON, "mode {mode}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liblo_oscsend_to_our_async_server_over_udp_and_tcp() {
    let (tx, mut seen) = unbounded_channel();
    let mut dispatcher = Dispatcher::new();
    dispatcher.set_default(move |m: Message| {
        let _ = tx.send(m);
    });
    let mut server = Server::new(dispatcher);
    let udp = server.bind_udp("127.0.0.1:0").await.unwrap();
    let tcp = server.listen_tcp("127.0.0.1:0").await.unwrap();
    let _handle = server.spawn();
    for url in [
        format!("osc.udp://127.0.0.1:{}", udp.port()),
        format!("osc.tcp://127.0.0.1:{}", tcp.port()),
    ] {
        let status = Command::new(liblo("oscsend"))
            .args([url.as_str(), "/liblo", "ifsT", "7", "2.5", "hi"])
            .status()
            .expect("run oscsend");
        assert!(status.success(), "oscsend {url}");
        let message = timeout(WAIT, seen.recv()).await.unwrap().unwrap();
        assert_eq!(
            message,
            Message::new("/liblo")
                .arg(7)
                .arg(2.5f32)
                .arg("hi")
                .arg(true),
            "{url}"
        );
    }
    // Nothing else came.
    assert!(timeout(Duration::from_millis(100), seen.recv())
        .await
        .is_err());
}

/// What liblo's `oscdump` prints (without the receipt time) for what our
/// async clients send ([`TO_PYTHON`]).
const TO_LIBLO: &[&str] = &[
    "/note ifs 60 0.500000 \"sine\"",
    "/args isd 1 \"two\" 3.000000",
    "/in/bundle T #T",
    "/also/in/bundle ",
];

/// The next lines liblo's `oscdump` printed for [`TO_LIBLO`], without the
/// receipt time, and the dump back.
async fn liblo_lines(mut dump: interop_support::Proc) -> (Vec<String>, interop_support::Proc) {
    tokio::task::spawn_blocking(move || {
        let lines = dump.lines(TO_LIBLO.len());
        (
            lines.iter().map(|l| without_time(l).to_owned()).collect(),
            dump,
        )
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_async_udp_client_to_liblo_oscdump() {
    let (dump, port) = tokio::task::spawn_blocking(|| liblo_dump(false))
        .await
        .unwrap();
    let mut client = UdpClient::new(("127.0.0.1", port)).await.unwrap();
    send_sample!(client);
    let (lines, _dump) = liblo_lines(dump).await;
    assert_eq!(lines, TO_LIBLO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_async_tcp_client_in_both_framings_to_liblo_tcp_oscdump() {
    let (mut dump, port) = tokio::task::spawn_blocking(|| liblo_dump(true))
        .await
        .unwrap();
    for framing in [Framing::Length, Framing::Slip] {
        let mut client = TcpClient::connect_with(("127.0.0.1", port), framing)
            .await
            .unwrap();
        send_sample!(client);
        client.close().await.unwrap();
        let lines;
        (lines, dump) = liblo_lines(dump).await;
        assert_eq!(lines, TO_LIBLO, "{framing:?}");
    }
}

//! A firmware-shaped program: no std, no allocator, no `main` from Rust's
//! runtime. The C runtime calls `main`; the exit code says which check
//! failed (0: all passed).
#![no_std]
#![no_main]

use osc_serde::{Deserialize, Serialize};

/// What a sensor node sends.
#[derive(Serialize)]
#[serde(rename = "/sensor/1")]
struct Reading {
    temperature: f32,
    humidity: f32,
    sequence: i32,
}

/// What a controller sends it: the `&str` borrows from the received bytes.
#[derive(Deserialize, PartialEq)]
#[serde(rename = "/led")]
struct Led<'a> {
    colour: &'a str,
    level: i32,
}

const READING: &[u8] = b"/sensor/1\0\0\0,ffi\0\0\0\0\x41\xb4\0\0\x42\x48\0\0\0\0\0\x07";

const LED: &[u8] = b"/led\0\0\0\0,si\0red\0\0\0\0\x80";

/// The checks, as exit codes.
fn run() -> i32 {
    let mut buf = [0u8; 64];
    let reading = Reading {
        temperature: 22.5,
        humidity: 50.0,
        sequence: 7,
    };
    let Ok(n) = osc_serde::to_slice(&mut buf, &reading) else {
        return 1;
    };
    if &buf[..n] != READING {
        return 2;
    }
    // Too small a buffer is an error, not a panic.
    if osc_serde::to_slice(&mut buf[..8], &reading).is_ok() {
        return 3;
    }
    let Ok(led) = osc_serde::from_slice::<Led>(LED) else {
        return 4;
    };
    let expected = Led {
        colour: "red",
        level: 128,
    };
    if led != expected {
        return 5;
    }
    // The borrowed views and an address check.
    let Ok(osc_serde::PacketRef::Message(m)) = osc_serde::PacketRef::from_bytes(LED) else {
        return 6;
    };
    if m.address() != "/led" || m.args().count() != 2 {
        return 7;
    }
    if osc_serde::address::validate_address("/led").is_err() {
        return 8;
    }
    // An incoming address pattern matched against our own address.
    match osc_serde::address::matches("/{led,lamp}/[0-9]", "/led/3") {
        Ok(true) => {}
        _ => return 11,
    }
    // The reading SLIP-framed for a serial line, and decoded back by the
    // incremental decoder in a buffer of its own.
    use osc_serde::framing::{FrameDecoder, Framing, StreamDecoder};
    let mut wire = [0u8; 80];
    let Ok(framed) = Framing::Slip.encode_to_slice(READING, &mut wire) else {
        return 9;
    };
    let mut decoder = FrameDecoder::with_storage(None, [0u8; 64]);
    match decoder.decode(&mut &wire[..framed]) {
        Ok(Some(frame)) if frame == READING => {}
        _ => return 10,
    }
    0
}

#[no_mangle]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    run()
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

// The C runtime that calls `main` (no std, so nothing links libc for us).
#[link(name = "c")]
extern "C" {}

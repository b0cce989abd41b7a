//! The dispatcher: typed and untyped handlers, errors, the default
//! handler, replies, both directions of matching, bundles and scheduling
//! with a fake clock.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use osc_serde::dispatch::{Context, ErrorReport, HandlerId, ManualClock, Reply};
use osc_serde::{
    Blob, Bundle, Dispatcher, Error, Message, MessageRef, Origin, Packet, Responder, Symbol,
    TimeTag, Value,
};
use serde::{Deserialize, Serialize};

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

fn origin() -> Origin {
    Origin {
        peer: Some("127.0.0.1:9000".parse().unwrap()),
        token: 7,
    }
}

/// A dispatcher whose error hook writes "error <report>" lines to `log`.
fn dispatcher(log: &Log) -> Dispatcher {
    let mut d = Dispatcher::new();
    let l = log.clone();
    d.on_error(move |r: &ErrorReport| l.lock().unwrap().push(format!("error {r}")));
    d
}

/// A dispatcher whose errors go nowhere (the tests that want them look
/// at `error_count`), so that the default hook does not write to the test
/// output.
fn quiet() -> Dispatcher {
    let mut d = Dispatcher::new();
    d.on_error(|_| ());
    d
}

fn send(d: &mut Dispatcher, packet: impl Into<Packet>) -> Vec<(Origin, Vec<u8>)> {
    let mut replies = Vec::new();
    d.dispatch(&packet.into().to_bytes().unwrap(), origin(), &mut replies);
    replies
}

#[derive(Debug, Deserialize)]
struct Note {
    pitch: i32,
    velocity: f32,
    name: String,
}

#[test]
fn typed_handlers() {
    let log = log();
    let mut d = dispatcher(&log);
    let l = log.clone();
    d.map("/note", move |n: Note| {
        l.lock()
            .unwrap()
            .push(format!("note {} {} {}", n.pitch, n.velocity, n.name))
    })
    .unwrap();
    let l = log.clone();
    d.map("/pair", move |(a, b): (i64, bool)| {
        l.lock().unwrap().push(format!("pair {a} {b}"))
    })
    .unwrap();
    let l = log.clone();
    d.map("/volume", move |v: f64| {
        l.lock().unwrap().push(format!("volume {v}"))
    })
    .unwrap();
    let l = log.clone();
    d.map("/bang", move |(): ()| l.lock().unwrap().push("bang".into()))
        .unwrap();

    send(&mut d, Message::new("/note").arg(60).arg(0.5f32).arg("C4"));
    send(&mut d, Message::new("/pair").arg(3).arg(true));
    send(&mut d, Message::new("/volume").arg(0.25f32));
    send(&mut d, Message::new("/bang"));
    assert_eq!(
        take(&log),
        ["note 60 0.5 C4", "pair 3 true", "volume 0.25", "bang"]
    );
    assert_eq!(d.error_count(), 0);
}

#[test]
fn untyped_handlers() {
    let log = log();
    let mut d = dispatcher(&log);
    let l = log.clone();
    d.map("/values", move |v: Vec<Value>| {
        l.lock().unwrap().push(format!("{v:?}"))
    })
    .unwrap();
    let l = log.clone();
    d.map("/message", move |m: Message| {
        l.lock().unwrap().push(format!("{m:?}"))
    })
    .unwrap();

    send(&mut d, Message::new("/values").arg(1).arg("a"));
    send(&mut d, Message::new("/message").arg(2.0f32));
    assert_eq!(
        take(&log),
        [
            format!("{:?}", vec![Value::Int(1), Value::String("a".into())]),
            format!("{:?}", Message::new("/message").arg(2.0f32)),
        ]
    );
}

#[test]
fn borrowing_handlers_point_into_the_packet() {
    let log = log();
    let mut d = dispatcher(&log);
    let packet = Message::new("/voice")
        .arg(60)
        .arg(0.5f32)
        .arg("saw")
        .to_bytes()
        .unwrap();
    // The handler checks its &str lies inside the bytes being dispatched.
    let (start, end) = (
        packet.as_ptr() as usize,
        packet.as_ptr() as usize + packet.len(),
    );
    let l = log.clone();
    d.map_ref("/voice", move |(note, amp, wave): (i32, f32, &str)| {
        let at = wave.as_ptr() as usize;
        let inside = (start..end).contains(&at);
        l.lock()
            .unwrap()
            .push(format!("{note} {amp} {wave} borrowed={inside}"))
    })
    .unwrap();
    let l = log.clone();
    d.map_ref("/blob", move |(bytes, label): (&[u8], Option<&str>)| {
        l.lock().unwrap().push(format!("{bytes:?} {label:?}"))
    })
    .unwrap();
    let l = log.clone();
    d.map_ref(
        "/blob",
        move |(Blob(bytes), _): (Blob<&[u8]>, Option<&str>)| {
            l.lock().unwrap().push(format!("Blob {bytes:?}"))
        },
    )
    .unwrap();

    d.dispatch(&packet, origin(), &mut Vec::new());
    send(
        &mut d,
        Message::new("/blob").arg(Blob(vec![1, 2, 3])).arg("x"),
    );
    // A trailing Option takes None when the argument is missing.
    send(&mut d, Message::new("/blob").arg(Blob(vec![])));
    assert_eq!(
        take(&log),
        [
            "60 0.5 saw borrowed=true",
            "[1, 2, 3] Some(\"x\")",
            "Blob [1, 2, 3]",
            "[] None",
            "Blob []"
        ]
    );
    assert_eq!(d.error_count(), 0);
}

#[derive(Debug, Deserialize)]
struct Cmd<'a> {
    name: &'a str,
    level: f32,
}

#[derive(Debug, Deserialize)]
#[serde(rename = "/note")]
struct NamedNote {
    pitch: i32,
}

osc_serde::borrow_deserialize!(Cmd<'a>, NamedNote);

#[test]
fn borrowing_handlers_take_user_types_named_by_the_macro() {
    let log = log();
    let mut d = dispatcher(&log);
    let l = log.clone();
    d.map_ref("/cmd", move |c: Cmd| {
        l.lock().unwrap().push(format!("{} {}", c.name, c.level))
    })
    .unwrap();
    let l = log.clone();
    d.map_ref("/note", move |n: NamedNote| {
        l.lock().unwrap().push(format!("pitch {}", n.pitch))
    })
    .unwrap();
    // An owned handler on the same address sees the same message.
    let l = log.clone();
    d.map("/cmd", move |(name, level): (String, f32)| {
        l.lock().unwrap().push(format!("owned {name} {level}"))
    })
    .unwrap();

    send(&mut d, Message::new("/cmd").arg("go").arg(0.25f32));
    send(&mut d, Message::new("/note").arg(64));
    send(&mut d, Message::new("/cmd").arg(1).arg(0.25f32));
    assert_eq!(
        take(&log),
        [
            "go 0.25",
            "owned go 0.25",
            "pitch 64",
            "error /cmd: argument 0: expected string (s), found type tag 'i' (from 127.0.0.1:9000)",
            "error /cmd: argument 0: expected string (s), found type tag 'i' (from 127.0.0.1:9000)",
        ]
    );
}

#[test]
fn untyped_borrowing_handlers_read_the_message() {
    let log = log();
    let mut d = dispatcher(&log);
    let l = log.clone();
    d.map_ref("/view", move |m: MessageRef| {
        let args: Vec<String> = m.args().map(|a| format!("{:?}", a.unwrap())).collect();
        l.lock().unwrap().push(format!(
            "{} {} {}",
            m.address(),
            m.type_tags(),
            args.join(" ")
        ))
    })
    .unwrap();
    let l = log.clone();
    d.map_ref("/owned", move |m: Message| {
        l.lock().unwrap().push(format!("{m}"))
    })
    .unwrap();
    let l = log.clone();
    d.map_ref("/values", move |v: Vec<Value>| {
        l.lock().unwrap().push(format!("{v:?}"))
    })
    .unwrap();
    let l = log.clone();
    d.set_default_ref_with_context(move |ctx: &Context, m: MessageRef| {
        l.lock()
            .unwrap()
            .push(format!("default {} from {:?}", m.address(), ctx.peer()))
    });

    let nested = Message::new("/view").arg(1).arg(Value::Array(vec![
        Value::String("a".into()),
        Value::Bool(true),
    ]));
    send(&mut d, nested.clone());
    send(&mut d, Message::new("/owned").arg("x").arg(2.5f64));
    send(&mut d, Message::new("/values").arg(3).arg(Value::Nil));
    send(&mut d, Message::new("/nobody"));
    let lines = take(&log);
    assert_eq!(lines[0], {
        let m = MessageRef::from_bytes(&nested.to_bytes().unwrap())
            .unwrap()
            .args()
            .map(|a| format!("{:?}", a.unwrap()))
            .collect::<Vec<_>>();
        format!("/view i[sT] {}", m.join(" "))
    });
    assert_eq!(
        lines[1..],
        [
            format!("{}", Message::new("/owned").arg("x").arg(2.5f64)),
            format!("{:?}", vec![Value::Int(3), Value::Nil]),
            "default /nobody from Some(127.0.0.1:9000)".to_string(),
        ]
    );
}

#[test]
fn borrowing_handlers_in_bundles_queued_or_not() {
    let (log, mut d, clock) = scheduled();
    let l = log.clone();
    d.map_ref_with_context("/n", move |ctx: &Context, (n, tag): (i32, &str)| {
        let when = ctx.timetag().map(|t| t.seconds);
        l.lock().unwrap().push(format!("{tag} {n} {when:?}"));
        ctx.reply_to("/ack", &(n,))
    })
    .unwrap();
    let bundle = |secs, n| {
        Bundle::new(TimeTag::new(secs, 0)).message(Message::new("/n").arg(n).arg(format!("m{n}")))
    };
    let replies = send(&mut d, bundle(1000, 1));
    assert_eq!(replies.len(), 1);
    assert!(send(&mut d, bundle(1005, 2)).is_empty());
    assert_eq!(d.queued(), 1);
    clock.set(TimeTag::new(1006, 0));
    let mut replies = Vec::new();
    d.run_due(&mut replies);
    assert_eq!(
        replies[0].1,
        Message::new("/ack").arg(2).to_bytes().unwrap()
    );
    assert_eq!(take(&log), ["m1 1 Some(1000)", "m2 2 Some(1005)"]);
}

/// The default error hook writes to standard error, which the test
/// harness does not capture: so this test runs itself as a child process
/// and reads the child's standard error.
#[test]
fn errors_reach_standard_error_without_a_hook() {
    const CHILD: &str = "OSC_SERDE_DEFAULT_HOOK_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let mut d = Dispatcher::new();
        d.map("/volume", |_: f32| ()).unwrap();
        for _ in 0..100 {
            send(&mut d, Message::new("/volume").arg("loud"));
        }
        assert_eq!(d.error_count(), 100);
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "errors_reach_standard_error_without_a_hook",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let line = "osc-serde: /volume: argument 0: expected float32, found type tag 's' (from 127.0.0.1:9000)";
    let written = stderr.lines().filter(|l| *l == line).count();
    // At most DEFAULT_ERROR_LINES_PER_SECOND a second: 100 errors take far
    // less than a second, but a loaded machine may spill into a second one.
    let per_second = osc_serde::dispatch::DEFAULT_ERROR_LINES_PER_SECOND as usize;
    assert!(
        (per_second..=2 * per_second).contains(&written),
        "{written} lines:\n{stderr}"
    );
    // The rest are counted, in one or two lines.
    let left_out: usize = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("osc-serde: "))
        .filter_map(|l| l.split_once(" more error(s) not shown"))
        .map(|(n, _)| n.parse::<usize>().unwrap())
        .sum();
    assert_eq!(written + left_out, 100, "{stderr}");
}

#[test]
fn on_error_replaces_the_default_hook_and_can_silence_it() {
    let mut d = Dispatcher::new();
    d.on_error(|_| ());
    d.map("/volume", |_: f32| ()).unwrap();
    send(&mut d, Message::new("/volume").arg("loud"));
    assert_eq!(d.error_count(), 1);
}

/// A reply whose encoding tries to send another reply through the same
/// context: the inner one is refused with its own error, the outer one
/// goes out.
#[test]
fn a_reply_sent_while_encoding_another_is_refused() {
    struct Nested<'c, 'a> {
        ctx: &'c Context<'a>,
        inner: &'c Mutex<Option<Error>>,
    }
    impl Serialize for Nested<'_, '_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            if let Err(e) = self.ctx.reply_to("/inner", &1) {
                *self.inner.lock().unwrap() = Some(e);
            }
            (2,).serialize(s)
        }
    }
    let inner = Arc::new(Mutex::new(None));
    let mut d = quiet();
    let i = inner.clone();
    d.map_with_context("/ask", move |ctx: &Context, (): ()| {
        ctx.reply_to("/outer", &Nested { ctx, inner: &i })
    })
    .unwrap();
    let replies = send(&mut d, Message::new("/ask"));
    assert_eq!(replies.len(), 1);
    assert_eq!(
        replies[0].1,
        Message::new("/outer").arg(2).to_bytes().unwrap()
    );
    assert!(matches!(
        inner.lock().unwrap().take(),
        Some(Error::ReplyWhileEncoding)
    ));
    assert_eq!(d.error_count(), 0);
}

/// A named function that borrows, and a borrowing handler that returns a
/// reply or an error with `?`.
fn shout((word, times): (&str, i32)) -> Message {
    Message::new("/shouted").arg(word.to_uppercase().repeat(times as usize))
}

#[test]
fn borrowing_handlers_can_be_functions_and_use_question_mark() {
    let log = log();
    let mut d = dispatcher(&log);
    d.map_ref("/shout", shout).unwrap();
    d.map_ref_with_context("/check", |ctx: &Context, (n, word): (i32, &str)| {
        let n = u8::try_from(n)
            .map_err(|_| <Error as serde::de::Error>::custom(format!("{n} is not a u8")))?;
        ctx.reply_to("/checked", &(n, word))
    })
    .unwrap();

    let replies = send(&mut d, Message::new("/shout").arg("hey").arg(2));
    assert_eq!(
        replies[0].1,
        Message::new("/shouted").arg("HEYHEY").to_bytes().unwrap()
    );
    let replies = send(&mut d, Message::new("/check").arg(7).arg("ok"));
    assert_eq!(
        replies[0].1,
        Message::new("/checked")
            .arg(7)
            .arg("ok")
            .to_bytes()
            .unwrap()
    );
    assert!(send(&mut d, Message::new("/check").arg(700).arg("no")).is_empty());
    assert_eq!(
        take(&log),
        ["error /check: 700 is not a u8 (from 127.0.0.1:9000)"]
    );
}

#[test]
fn borrowing_handlers_take_arrays_symbols_and_a_borrowing_default() {
    let log = log();
    let mut d = dispatcher(&log);
    let l = log.clone();
    d.map_ref(
        "/list",
        move |(Symbol(kind), names): (Symbol<&str>, Vec<&str>)| {
            l.lock()
                .unwrap()
                .push(format!("{kind}: {}", names.join(",")))
        },
    )
    .unwrap();
    let l = log.clone();
    d.set_default_ref(move |m: MessageRef| {
        l.lock()
            .unwrap()
            .push(format!("default {} {}", m.address(), m.type_tags()))
    });

    let names = Value::Array(vec![Value::String("a".into()), Value::String("b".into())]);
    send(
        &mut d,
        Message::new("/list")
            .arg(Value::Symbol("voices".into()))
            .arg(names),
    );
    send(&mut d, Message::new("/other").arg(1.5f64));
    assert_eq!(take(&log), ["voices: a,b", "default /other d"]);
}

#[test]
fn closures_keep_state() {
    let mut d = Dispatcher::new();
    let total = Arc::new(Mutex::new(0));
    let t = total.clone();
    let mut calls = 0;
    d.map("/add", move |n: i32| {
        calls += 1;
        *t.lock().unwrap() += n * calls;
    })
    .unwrap();
    for n in [10, 20, 30] {
        send(&mut d, Message::new("/add").arg(n));
    }
    assert_eq!(*total.lock().unwrap(), 10 + 40 + 90);
}

#[test]
fn mismatches_go_to_the_error_hook_with_the_address() {
    let log = log();
    let mut d = dispatcher(&log);
    d.map("/volume", |_: f32| ()).unwrap();
    d.map("/pair", |_: (i32, i32)| ()).unwrap();
    let l = log.clone();
    d.map("/ok", move |(): ()| l.lock().unwrap().push("ok".into()))
        .unwrap();

    send(&mut d, Message::new("/volume").arg("loud"));
    send(&mut d, Message::new("/pair").arg(1));
    send(&mut d, Message::new("/pair").arg(1).arg(2).arg(3));
    send(&mut d, Message::new("/ok"));
    assert_eq!(
        take(&log),
        [
            "error /volume: argument 0: expected float32, found type tag 's' (from 127.0.0.1:9000)",
            "error /pair: argument 1: expected an argument, but the message has no more arguments (from 127.0.0.1:9000)",
            "error /pair: 3 arguments where 2 were expected (from 127.0.0.1:9000)",
            "ok",
        ]
    );
    assert_eq!(d.error_count(), 3);
}

#[test]
fn error_reports_carry_error_address_and_origin() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let mut d = Dispatcher::new();
    let r = reports.clone();
    d.on_error(move |report: &ErrorReport| {
        let error = match report.error {
            Error::TypeMismatch {
                index,
                expected,
                found,
            } => format!("mismatch {index} {expected} {found}"),
            other => format!("other {other}"),
        };
        r.lock().unwrap().push((
            error,
            report.address.map(str::to_owned),
            report.origin.copied(),
        ));
    });
    d.map("/i", |_: i32| ()).unwrap();
    send(&mut d, Message::new("/i").arg("x"));
    d.dispatch(b"garbage", origin(), &mut Vec::new());
    assert_eq!(
        *reports.lock().unwrap(),
        [
            (
                "mismatch 0 int32 s".to_string(),
                Some("/i".to_string()),
                Some(origin())
            ),
            (
                "other not an OSC packet: it starts with neither '/' nor \"#bundle\"".to_string(),
                None,
                Some(origin())
            ),
        ]
    );
}

#[test]
fn truncated_packets_are_reported_not_panicked_on() {
    let mut d = quiet();
    let calls = Arc::new(Mutex::new(0));
    let c = calls.clone();
    d.map("/a", move |_: Vec<Value>| *c.lock().unwrap() += 1)
        .unwrap();
    let bytes = Bundle::new(TimeTag::IMMEDIATE)
        .message(Message::new("/a").arg(1).arg("xyz"))
        .to_bytes()
        .unwrap();
    for len in 0..bytes.len() {
        d.dispatch(&bytes[..len], origin(), &mut Vec::new());
    }
    // Every prefix is refused, except the 16-byte header alone, which is
    // an empty bundle; no prefix reaches the handler.
    assert_eq!(d.error_count(), bytes.len() as u64 - 1);
    assert_eq!(*calls.lock().unwrap(), 0);
    d.dispatch(&bytes, origin(), &mut Vec::new());
    assert_eq!(*calls.lock().unwrap(), 1);
}

#[test]
fn panicking_handlers_are_caught_and_reported() {
    let log = log();
    let mut d = dispatcher(&log);
    d.map("/boom", |n: i32| -> () { panic!("boom {n}") })
        .unwrap();
    let l = log.clone();
    d.map("/boom", move |n: i32| {
        l.lock().unwrap().push(format!("after {n}"))
    })
    .unwrap();
    send(&mut d, Message::new("/boom").arg(1));
    assert_eq!(
        take(&log),
        [
            "error /boom: handler panicked: boom 1 (from 127.0.0.1:9000)",
            "after 1"
        ]
    );
}

#[test]
fn default_handler_takes_what_nothing_matched() {
    let log = log();
    let mut d = dispatcher(&log);
    d.map("/known", |(): ()| ()).unwrap();
    // Without a default, unmatched messages are ignored silently.
    send(&mut d, Message::new("/unknown"));
    assert_eq!(take(&log), Vec::<String>::new());

    let l = log.clone();
    d.set_default(move |m: Message| l.lock().unwrap().push(format!("default {}", m.address)));
    send(&mut d, Message::new("/unknown").arg(1));
    send(&mut d, Message::new("/known"));
    assert_eq!(take(&log), ["default /unknown"]);

    let l = log.clone();
    d.set_default_with_context(move |ctx: &Context, (): ()| {
        l.lock()
            .unwrap()
            .push(format!("default {} {:?}", ctx.address(), ctx.peer()))
    });
    send(&mut d, Message::new("/other"));
    assert_eq!(take(&log), ["default /other Some(127.0.0.1:9000)"]);

    d.clear_default();
    send(&mut d, Message::new("/other"));
    assert_eq!(take(&log), Vec::<String>::new());
}

#[derive(Serialize)]
#[serde(rename = "/pong")]
struct Pong {
    n: i32,
}

#[test]
fn return_values_are_replies() {
    let mut d = quiet();
    d.map("/message", |n: i32| Message::new("/r").arg(n + 1))
        .unwrap();
    d.map("/packet", |(): ()| {
        Packet::from(Bundle::new(TimeTag::IMMEDIATE).message(Message::new("/in")))
    })
    .unwrap();
    d.map("/maybe", |n: i32| (n > 0).then(|| Reply::new(Pong { n })))
        .unwrap();
    d.map("/to", |s: String| Reply::to("/echo", (s, 1)))
        .unwrap();
    d.map("/nothing", |(): ()| ()).unwrap();

    let o = origin();
    assert_eq!(
        send(&mut d, Message::new("/message").arg(1)),
        [(o, Message::new("/r").arg(2).to_bytes().unwrap())]
    );
    assert_eq!(
        send(&mut d, Message::new("/packet")),
        [(
            o,
            Bundle::new(TimeTag::IMMEDIATE)
                .message(Message::new("/in"))
                .to_bytes()
                .unwrap()
        )]
    );
    assert_eq!(
        send(&mut d, Message::new("/maybe").arg(5)),
        [(o, Message::new("/pong").arg(5).to_bytes().unwrap())]
    );
    assert_eq!(send(&mut d, Message::new("/maybe").arg(-5)), []);
    assert_eq!(
        send(&mut d, Message::new("/to").arg("hi")),
        [(
            o,
            Message::new("/echo").arg("hi").arg(1).to_bytes().unwrap()
        )]
    );
    assert_eq!(send(&mut d, Message::new("/nothing")), []);
}

#[test]
fn context_replies_and_errors_returned() {
    let log = log();
    let mut d = dispatcher(&log);
    d.map_with_context("/ping", |ctx: &Context, n: i32| {
        ctx.reply(&Pong { n })?;
        ctx.reply(&Message::new("/raw"))?;
        ctx.reply_to("/again", &n)
    })
    .unwrap();
    d.map("/fail", |(): ()| -> osc_serde::Result<()> {
        Err(Error::Custom("refused".into()))
    })
    .unwrap();
    // A reply that cannot be encoded is an error, reported.
    d.map("/bad-reply", |(): ()| Reply::to("/x", u64::MAX))
        .unwrap();

    let o = origin();
    assert_eq!(
        send(&mut d, Message::new("/ping").arg(3)),
        [
            (o, Message::new("/pong").arg(3).to_bytes().unwrap()),
            (o, Message::new("/raw").to_bytes().unwrap()),
            (o, Message::new("/again").arg(3).to_bytes().unwrap()),
        ]
    );
    assert_eq!(send(&mut d, Message::new("/fail")), []);
    assert_eq!(send(&mut d, Message::new("/bad-reply")), []);
    let errors = take(&log);
    assert_eq!(errors[0], "error /fail: refused (from 127.0.0.1:9000)");
    assert!(
        errors[1].starts_with(
            "error /bad-reply: argument 0: value 18446744073709551615 is out of range"
        ),
        "{errors:?}"
    );
    assert_eq!(errors.len(), 2);
}

/// Maps each of `patterns` to a handler logging "<pattern> <argument>".
fn map_logged<T>(d: &mut Dispatcher, log: &Log, patterns: &[&'static str])
where
    T: serde::de::DeserializeOwned + std::fmt::Display + 'static,
{
    for &pattern in patterns {
        let l = log.clone();
        d.map(pattern, move |v: T| {
            l.lock().unwrap().push(format!("{pattern} {v}"))
        })
        .unwrap();
    }
}

#[test]
fn mapped_patterns_match_incoming_literals() {
    let log = log();
    let mut d = dispatcher(&log);
    map_logged::<f32>(
        &mut d,
        &log,
        &[
            "/mixer/*/gain",
            "/mixer/[0-3]/{gain,pan}",
            "//gain",
            "/mixer/1/gain",
        ],
    );
    send(&mut d, Message::new("/mixer/1/gain").arg(0.5f32));
    assert_eq!(
        take(&log),
        [
            "/mixer/*/gain 0.5",
            "/mixer/[0-3]/{gain,pan} 0.5",
            "//gain 0.5",
            "/mixer/1/gain 0.5"
        ]
    );
    send(&mut d, Message::new("/mixer/7/pan").arg(1.0f32));
    assert_eq!(take(&log), Vec::<String>::new());
    send(&mut d, Message::new("/a/b/c/gain").arg(1.0f32));
    assert_eq!(take(&log), ["//gain 1"]);
}

#[test]
fn incoming_patterns_match_mapped_literals() {
    let log = log();
    let mut d = dispatcher(&log);
    map_logged::<i32>(
        &mut d,
        &log,
        &[
            "/synth/1/freq",
            "/synth/2/freq",
            "/synth/10/freq",
            "/synth/1/gain",
        ],
    );
    send(&mut d, Message::new("/synth/?/freq").arg(1));
    assert_eq!(take(&log), ["/synth/1/freq 1", "/synth/2/freq 1"]);
    send(&mut d, Message::new("/synth/1/*").arg(2));
    assert_eq!(take(&log), ["/synth/1/freq 2", "/synth/1/gain 2"]);
    send(&mut d, Message::new("//freq").arg(3));
    assert_eq!(
        take(&log),
        ["/synth/1/freq 3", "/synth/2/freq 3", "/synth/10/freq 3"]
    );
    // An invalid incoming pattern is an error, with its address.
    send(&mut d, Message::new("/synth/[1/freq").arg(4));
    assert_eq!(
        take(&log),
        ["error /synth/[1/freq: invalid OSC address pattern \"/synth/[1/freq\": unclosed '[' (from 127.0.0.1:9000)"]
    );
}

#[test]
fn handlers_for_address_lists_in_mapping_order() {
    let mut d = quiet();
    let wild = d.map("/a/*", |(): ()| ()).unwrap();
    let exact = d.map("/a/b", |(): ()| ()).unwrap();
    let deep = d.map("//b", |(): ()| ()).unwrap();
    let exact2 = d.map("/a/b", |(): ()| ()).unwrap();
    let other = d.map("/c", |(): ()| ()).unwrap();
    assert_eq!(
        d.handlers_for_address("/a/b").unwrap(),
        [wild, exact, deep, exact2]
    );
    assert_eq!(d.handlers_for_address("/c").unwrap(), [other]);
    assert_eq!(d.handlers_for_address("/x/y/b").unwrap(), [deep]);
    assert_eq!(d.handlers_for_address("/{a,c}/b").unwrap(), [exact, exact2]);
    assert_eq!(
        d.handlers_for_address("/nothing").unwrap(),
        Vec::<HandlerId>::new()
    );
    assert_eq!(d.pattern_of(deep), Some("//b"));
    assert!(matches!(
        d.handlers_for_address("/[x"),
        Err(Error::InvalidPattern { .. })
    ));
}

#[test]
fn invalid_mappings_are_refused() {
    let mut d = quiet();
    assert!(matches!(
        d.map("/a/{b", |(): ()| ()),
        Err(Error::InvalidPattern { .. })
    ));
    assert!(matches!(
        d.map("no-slash", |(): ()| ()),
        Err(Error::InvalidAddress { .. })
    ));
    assert!(matches!(
        d.map("/a b", |(): ()| ()),
        Err(Error::InvalidAddress { .. })
    ));
}

#[test]
fn unmap_removes_handlers() {
    let log = log();
    let mut d = dispatcher(&log);
    let mut ids = Vec::new();
    for pattern in ["/a", "/a", "/*", "//a"] {
        let l = log.clone();
        ids.push(
            d.map(pattern, move |(): ()| {
                l.lock().unwrap().push(pattern.to_string())
            })
            .unwrap(),
        );
    }
    send(&mut d, Message::new("/a"));
    assert_eq!(take(&log), ["/a", "/a", "/*", "//a"]);

    assert!(d.unmap(ids[2]));
    assert!(!d.unmap(ids[2]));
    assert!(d.unmap(ids[3]));
    send(&mut d, Message::new("/a"));
    assert_eq!(take(&log), ["/a", "/a"]);

    assert_eq!(d.unmap_all("/a"), 2);
    assert_eq!(
        d.handlers_for_address("/a").unwrap(),
        Vec::<HandlerId>::new()
    );
    assert_eq!(d.pattern_of(ids[0]), None);
}

#[test]
fn many_mappings_route_exactly() {
    let mut d = quiet();
    let mut ids = Vec::new();
    for i in 0..10_000 {
        ids.push(
            d.map(&format!("/bank/{}/param/{}", i / 100, i % 100), |(): ()| ())
                .unwrap(),
        );
    }
    let wild = d.map("/bank/*/param/42", |(): ()| ()).unwrap();
    assert_eq!(
        d.handlers_for_address("/bank/7/param/3").unwrap(),
        [ids[703]]
    );
    assert_eq!(
        d.handlers_for_address("/bank/7/param/42").unwrap(),
        [ids[742], wild]
    );
    assert_eq!(
        d.handlers_for_address("/bank/99/param/9?").unwrap().len(),
        10
    );
}

/// A dispatcher at time 1000 s by a manual clock, with handlers on `/a`,
/// `/b`, `/c` that log "<address> <n> <bundle seconds or ->".
fn scheduled() -> (Log, Dispatcher, ManualClock) {
    let log = log();
    let mut d = dispatcher(&log);
    bundle_log(&mut d, &log);
    let clock = ManualClock::new(TimeTag::new(1000, 0));
    d.set_clock(clock.clone());
    (log, d, clock)
}

/// A bundle at `seconds` holding one message to `address` with `n`.
fn at(seconds: u32, address: &str, n: i32) -> Bundle {
    Bundle::new(TimeTag::new(seconds, 0)).message(Message::new(address).arg(n))
}

fn bundle_log(d: &mut Dispatcher, log: &Log) {
    for address in ["/a", "/b", "/c"] {
        let l = log.clone();
        d.map_with_context(address, move |ctx: &Context, n: i32| {
            let tag = ctx.timetag().map(|t| t.seconds.to_string());
            l.lock()
                .unwrap()
                .push(format!("{address} {n} {}", tag.as_deref().unwrap_or("-")))
        })
        .unwrap();
    }
}

#[test]
fn bundle_elements_in_order_with_their_timetag() {
    let (log, mut d, _clock) = scheduled();

    let past = TimeTag::new(900, 0);
    let inner = Bundle::new(TimeTag::new(950, 0))
        .message(Message::new("/b").arg(2))
        .message(Message::new("/c").arg(3));
    let outer = Bundle::new(past)
        .message(Message::new("/a").arg(1))
        .bundle(inner)
        .message(Message::new("/c").arg(4));
    send(&mut d, outer);
    send(&mut d, Message::new("/a").arg(5));
    send(
        &mut d,
        Bundle::new(TimeTag::IMMEDIATE).message(Message::new("/b").arg(6)),
    );
    assert_eq!(
        take(&log),
        ["/a 1 900", "/b 2 950", "/c 3 950", "/c 4 900", "/a 5 -", "/b 6 0"]
    );
    assert_eq!(d.queued(), 0);
    assert_eq!(d.next_due_in(), None);
}

#[test]
fn future_bundles_wait_for_the_clock() {
    let (log, mut d, clock) = scheduled();

    send(&mut d, at(1002, "/b", 2));
    send(&mut d, at(1001, "/a", 1));
    send(&mut d, at(1002, "/c", 3));
    assert_eq!(take(&log), Vec::<String>::new());
    assert_eq!(d.queued(), 3);
    assert_eq!(d.next_due_in(), Some(Duration::from_secs(1)));

    let mut replies = Vec::new();
    d.run_due(&mut replies);
    assert_eq!(take(&log), Vec::<String>::new());

    clock.advance(Duration::from_millis(1500));
    assert_eq!(d.next_due_in(), Some(Duration::ZERO));
    d.run_due(&mut replies);
    assert_eq!(take(&log), ["/a 1 1001"]);
    assert_eq!(d.next_due_in(), Some(Duration::from_millis(500)));

    clock.advance(Duration::from_secs(10));
    d.run_due(&mut replies);
    // Same time tag: arrival order.
    assert_eq!(take(&log), ["/b 2 1002", "/c 3 1002"]);
    assert_eq!(d.queued(), 0);
    assert_eq!(d.next_due_in(), None);
}

#[test]
fn nested_future_bundles_are_queued_on_their_own() {
    let (log, mut d, clock) = scheduled();

    let outer = Bundle::new(TimeTag::IMMEDIATE)
        .message(Message::new("/a").arg(1))
        .bundle(Bundle::new(TimeTag::new(1005, 0)).message(Message::new("/b").arg(2)))
        .message(Message::new("/c").arg(3));
    send(&mut d, outer);
    assert_eq!(take(&log), ["/a 1 0", "/c 3 0"]);
    assert_eq!(d.next_due_in(), Some(Duration::from_secs(5)));
    clock.set(TimeTag::new(1005, 0));
    d.run_due(&mut Vec::new());
    assert_eq!(take(&log), ["/b 2 1005"]);
}

#[test]
fn a_queued_nested_bundle_keeps_its_depth() {
    let (log, mut d, clock) = scheduled();
    // A future bundle holding a bundle, wrapped by hand in immediate
    // bundles so that the future one is at depth MAX_DEPTH: what it holds
    // is one level too deep, when it is queued and when it is due.
    let future = Bundle::new(TimeTag::new(1005, 0))
        .bundle(Bundle::new(TimeTag::IMMEDIATE).message(Message::new("/a").arg(1)));
    let bytes = common::in_bundles(future.to_bytes().unwrap(), osc_serde::MAX_DEPTH - 1);
    d.dispatch(&bytes, origin(), &mut Vec::new());
    clock.set(TimeTag::new(1005, 0));
    d.run_due(&mut Vec::new());
    assert_eq!(
        take(&log),
        ["error nesting deeper than 32 levels of arrays or bundles (from 127.0.0.1:9000)"]
    );
}

#[test]
fn replies_from_queued_bundles_keep_their_origin() {
    let mut d = quiet();
    let clock = ManualClock::new(TimeTag::new(1000, 0));
    d.set_clock(clock.clone());
    d.map("/ping", |(): ()| Message::new("/pong")).unwrap();
    let bytes = Bundle::new(TimeTag::new(1001, 0))
        .message(Message::new("/ping"))
        .to_bytes()
        .unwrap();
    let mut replies = Vec::new();
    d.dispatch(&bytes, origin(), &mut replies);
    assert_eq!(replies, []);
    clock.advance(Duration::from_secs(1));
    d.run_due(&mut replies);
    assert_eq!(
        replies,
        [(origin(), Message::new("/pong").to_bytes().unwrap())]
    );
}

#[test]
fn ignoring_timetags_dispatches_at_once() {
    let log = log();
    let mut d = dispatcher(&log);
    bundle_log(&mut d, &log);
    d.set_clock(ManualClock::new(TimeTag::new(1000, 0)));
    d.set_honour_timetags(false);
    send(&mut d, at(5000, "/a", 1));
    assert_eq!(take(&log), ["/a 1 5000"]);
    assert_eq!(d.queued(), 0);
}

#[test]
fn the_queue_is_bounded() {
    let (log, mut d, clock) = scheduled();
    d.set_queue_limits(2, Duration::from_secs(10));

    // Beyond the horizon.
    send(&mut d, at(1011, "/a", 0));
    assert_eq!(
        take(&log),
        ["error bundle dropped: due in 11s, beyond the scheduling horizon of 10s (from 127.0.0.1:9000)"]
    );
    // Full: the newcomer is dropped, the queued ones kept.
    for n in 1..=3 {
        send(
            &mut d,
            Bundle::new(TimeTag::new(1000 + n as u32, 0)).message(Message::new("/a").arg(n)),
        );
    }
    assert_eq!(
        take(&log),
        ["error bundle dropped: the queue of future bundles is full (2 bundles) (from 127.0.0.1:9000)"]
    );
    assert_eq!(d.queued(), 2);
    clock.advance(Duration::from_secs(10));
    d.run_due(&mut Vec::new());
    assert_eq!(take(&log), ["/a 1 1001", "/a 2 1002"]);
    assert_eq!(d.error_count(), 2);
}

#[test]
fn transports_report_errors_through_the_hook() {
    let log = log();
    let mut d = dispatcher(&log);
    d.report_error(
        &Error::FrameTooLarge {
            size: 9000,
            max: 8192,
        },
        Some(&origin()),
    );
    d.report_error(&Error::InvalidSlipEscape(1), None);
    assert_eq!(
        take(&log),
        [
            "error frame of 9000 bytes exceeds the maximum of 8192 (from 127.0.0.1:9000)",
            "error invalid SLIP escape sequence 0xDB 0x01",
        ]
    );
}

#[test]
fn a_custom_responder_gets_replies() {
    struct Count(usize);
    impl Responder for Count {
        fn respond(&mut self, origin: &Origin, packet: &[u8]) {
            assert_eq!(origin.token, 7);
            assert_eq!(packet, Message::new("/r").to_bytes().unwrap());
            self.0 += 1;
        }
    }
    let mut d = quiet();
    d.map("/q", |(): ()| Message::new("/r")).unwrap();
    let mut count = Count(0);
    d.dispatch(
        &Message::new("/q").to_bytes().unwrap(),
        origin(),
        &mut count,
    );
    assert_eq!(count.0, 1);
}

#[test]
fn dispatcher_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let d = Dispatcher::new();
    assert_send(&d);
    // It can move to another thread and work there.
    let mut d = std::thread::spawn(move || d).join().unwrap();
    d.map("/x", |(): ()| ()).unwrap();
}

mod routing_agrees_with_brute_force {
    use osc_serde::address::is_pattern;
    use osc_serde::Pattern;
    use proptest::prelude::*;

    const POOL: &[&str] = &[
        "/a", "/b", "/a/b", "/a/a", "/b/a/b", "/ab/b", "/a/b/c", "/a/*", "//b", "/a//b", "/*/a/?",
        "/{a,b}/b", "/[ab]", "/*", "//*", "/a/b//c", "/?/{b,}",
    ];

    /// What `handlers_for_address` must return, by trying every mapping.
    fn expected(mapped: &[(usize, &str)], address: &str) -> Vec<usize> {
        mapped
            .iter()
            .filter(|(_, m)| {
                if is_pattern(address) {
                    !is_pattern(m) && Pattern::new(address).unwrap().matches(m)
                } else if is_pattern(m) {
                    Pattern::new(m).unwrap().matches(address)
                } else {
                    *m == address
                }
            })
            .map(|&(i, _)| i)
            .collect()
    }

    proptest! {
        #[test]
        fn same_handlers(
            mapping in prop::collection::vec(prop::sample::select(POOL), 0..12),
            removed in prop::collection::vec(any::<bool>(), 12),
            address in prop::sample::select(POOL),
        ) {
            let mut d = super::quiet();
            let ids: Vec<_> = mapping.iter().map(|p| d.map(p, |(): ()| ()).unwrap()).collect();
            let mut mapped = Vec::new();
            for (i, (p, id)) in mapping.iter().zip(&ids).enumerate() {
                if removed[i] {
                    prop_assert!(d.unmap(*id));
                } else {
                    mapped.push((i, *p));
                }
            }
            let got: Vec<usize> = d
                .handlers_for_address(address)
                .unwrap()
                .into_iter()
                .map(|id| ids.iter().position(|&x| x == id).unwrap())
                .collect();
            prop_assert_eq!(got, expected(&mapped, address));
        }
    }
}

mod never_panics {
    use osc_serde::{Bundle, Message, Origin, TimeTag, Value};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let mut d = super::quiet();
            d.map("/a", |_: Vec<Value>| ()).unwrap();
            d.map("/*", |_: (i32, String)| ()).unwrap();
            d.dispatch(&bytes, Origin::default(), &mut Vec::new());
        }

        #[test]
        fn on_corrupted_bundles(at in 0usize..64, byte in any::<u8>()) {
            let mut bytes = Bundle::new(TimeTag::IMMEDIATE)
                .message(Message::new("/a").arg(1).arg("xy"))
                .bundle(Bundle::new(TimeTag::new(1, 0)).message(Message::new("/b").arg(2.0f32)))
                .to_bytes()
                .unwrap();
            let at = at % bytes.len();
            bytes[at] = byte;
            let mut d = super::quiet();
            d.map("/a", |_: (i32, String)| ()).unwrap();
            d.map("//b", |_: f32| ()).unwrap();
            d.dispatch(&bytes, Origin::default(), &mut Vec::new());
            d.run_due(&mut Vec::new());
        }
    }
}

/// A borrowing handler and an owned one see the same values, and fail on
/// the same packets, whatever the bytes.
mod borrowed_agrees_with_owned {
    use std::sync::{Arc, Mutex};

    use osc_serde::{Dispatcher, Message, Origin, Value};
    use proptest::prelude::*;

    type Seen = Arc<Mutex<Vec<(i32, u32, String)>>>;

    /// Two dispatchers, one per way of mapping, logging what they saw.
    fn pair() -> [(Dispatcher, Seen); 2] {
        let borrowed = Seen::default();
        let mut b = super::quiet();
        let s = borrowed.clone();
        b.map_ref("/*", move |(n, x, s2): (i32, f32, &str)| {
            s.lock().unwrap().push((n, x.to_bits(), s2.to_owned()))
        })
        .unwrap();
        let owned = Seen::default();
        let mut o = super::quiet();
        let s = owned.clone();
        o.map("/*", move |(n, x, s2): (i32, f32, String)| {
            s.lock().unwrap().push((n, x.to_bits(), s2))
        })
        .unwrap();
        [(b, borrowed), (o, owned)]
    }

    fn run(bytes: &[u8]) {
        let [(mut b, borrowed), (mut o, owned)] = pair();
        b.dispatch(bytes, Origin::default(), &mut Vec::new());
        o.dispatch(bytes, Origin::default(), &mut Vec::new());
        assert_eq!(*borrowed.lock().unwrap(), *owned.lock().unwrap());
        assert_eq!(b.error_count(), o.error_count());
    }

    proptest! {
        #[test]
        fn on_well_formed_messages(n in any::<i32>(), x in any::<f32>(), s in "\\PC{0,12}") {
            let bytes = Message::new("/v").arg(n).arg(x).arg(s.as_str()).to_bytes().unwrap();
            let [(mut b, borrowed), _] = pair();
            b.dispatch(&bytes, Origin::default(), &mut Vec::new());
            prop_assert_eq!(&*borrowed.lock().unwrap(), &[(n, x.to_bits(), s)]);
            run(&bytes);
        }

        #[test]
        fn on_other_arguments(args in prop::collection::vec(
            prop_oneof![
                any::<i32>().prop_map(Value::Int),
                any::<f32>().prop_map(Value::Float),
                any::<f64>().prop_map(Value::Double),
                "[a-z]{0,5}".prop_map(Value::String),
                Just(Value::Nil),
            ],
            0..5,
        )) {
            run(&Message::with_args("/v", args).to_bytes().unwrap());
        }

        #[test]
        fn on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..48)) {
            run(&bytes);
        }
    }
}

//! A deliberately naive address-pattern matcher (recursive backtracking,
//! exponential in the worst case), to check the compiled `Pattern` against
//! on small inputs: used by tests/address.rs (property tests) and by the
//! `pattern` fuzz target (tests/fuzz/checks_server.rs). It expects a pattern that
//! `Pattern::new` accepted.

pub fn matches(pattern: &str, address: &str) -> bool {
    let (Some(p), Some(a)) = (pattern.strip_prefix('/'), address.strip_prefix('/')) else {
        return false;
    };
    let segments: Vec<Option<Vec<char>>> = p
        .split('/')
        .map(|s| (!s.is_empty()).then(|| s.chars().collect()))
        .collect();
    let parts: Vec<Vec<char>> = a.split('/').map(|s| s.chars().collect()).collect();
    levels(&segments, &parts)
}

fn levels(segments: &[Option<Vec<char>>], parts: &[Vec<char>]) -> bool {
    match segments.split_first() {
        None => parts.is_empty(),
        Some((None, rest)) => (0..=parts.len()).any(|k| levels(rest, &parts[k..])),
        Some((Some(p), rest)) => {
            !parts.is_empty() && part(p, &parts[0]) && levels(rest, &parts[1..])
        }
    }
}

fn part(p: &[char], s: &[char]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some('*') => (0..=s.len()).any(|k| part(&p[1..], &s[k..])),
        Some('?') => !s.is_empty() && part(&p[1..], &s[1..]),
        Some('[') => {
            let close = p.iter().position(|&c| c == ']').unwrap();
            let mut body = &p[1..close];
            let negated = body.first() == Some(&'!');
            if negated {
                body = &body[1..];
            }
            let Some(&c) = s.first() else { return false };
            let mut hit = false;
            let mut i = 0;
            while i < body.len() {
                if i + 2 < body.len() && body[i + 1] == '-' {
                    hit |= body[i] <= c && c <= body[i + 2];
                    i += 3;
                } else {
                    hit |= body[i] == c;
                    i += 1;
                }
            }
            hit != negated && part(&p[close + 1..], &s[1..])
        }
        Some('{') => {
            let close = p.iter().position(|&c| c == '}').unwrap();
            let body: String = p[1..close].iter().collect();
            body.split(',').any(|alt| {
                let alt: Vec<char> = alt.chars().collect();
                s.starts_with(&alt) && part(&p[close + 1..], &s[alt.len()..])
            })
        }
        Some(&c) => s.first() == Some(&c) && part(&p[1..], &s[1..]),
    }
}

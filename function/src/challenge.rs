//! The proof of work a browser adds to a post (`templates/assets/challenge.js`):
//! a stamp `1:<bits>:<unix seconds>:<salt>:<counter>` whose SHA-256 starts
//! with at least [`BITS`] zero bits, in the form field [`FIELD`]. Finding
//! one takes about 2^16 hashes: a fraction of a second in a browser,
//! unnoticed while a person types, and the same work again for every post
//! a script sends.
//!
//! Why this and not a challenge fetched from the server (ALTCHA's way):
//! the forms are static pages on S3, so a server challenge would need a
//! route of its own, an HMAC key shared by every Lambda instance and kept
//! through the origin secret's rotation, and a request before each form.
//! A stamp that carries its own time costs a bulk sender exactly as much
//! work per post, needs none of that, and is checked here alone; each is
//! taken once ([`settle`]: the store counts its hash), and only within
//! [`MAX_AGE_MINUTES`] of the time it names, so work done long before cannot be
//! saved up. No third party and no cookie: the stamp holds nothing about
//! the visitor.
//!
//! A post without a good stamp is not refused: the forms work without
//! JavaScript. It counts against a stricter limit ([`crate::limits`]).

use chrono::{DateTime, Duration, TimeZone, Utc};
use sha2::{Digest as _, Sha256};

use crate::handler::App;
use crate::ports::{Files, Mailer, Store, StoreError};

/// The zero bits a stamp's hash must start with. `challenge.js` has the
/// same number; `tests` below hold the two together.
pub const BITS: u32 = 16;

/// The form field that carries the stamp.
pub const FIELD: &str = "bewijs";

/// How long after the time it names a stamp is taken, in minutes: a form
/// filled in slowly still passes, work saved up for longer does not.
pub const MAX_AGE_MINUTES: i64 = 120;

/// How far ahead of our clock a stamp's time may be, in minutes (a
/// browser's clock that runs fast).
const SKEW_MINUTES: i64 = 5;

fn max_age() -> Duration {
    Duration::minutes(MAX_AGE_MINUTES)
}

fn skew() -> Duration {
    Duration::minutes(SKEW_MINUTES)
}

/// The longest stamp read at all.
const MAX_LEN: usize = 120;

/// Why a stamp does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsolved {
    /// None was posted (no JavaScript, or a script).
    Missing,
    /// Not of the stamp's shape.
    Malformed,
    /// Its hash has fewer zero bits than it must.
    TooEasy,
    /// Its time is too old, or too far ahead.
    OutOfTime,
    /// Taken before.
    Replayed,
}

/// A stamp that passed [`check`]: what the store must count to take it
/// once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solved {
    /// The hash, hex: the key of its single use.
    pub hash: String,
    /// The time it names.
    pub issued: DateTime<Utc>,
}

/// Whether `stamp` is a solved stamp at `now`, without the store.
pub fn check(stamp: Option<&str>, now: DateTime<Utc>) -> Result<Solved, Unsolved> {
    let stamp = stamp.map(str::trim).filter(|s| !s.is_empty());
    let stamp = stamp.ok_or(Unsolved::Missing)?;
    if stamp.len() > MAX_LEN || !stamp.is_ascii() {
        return Err(Unsolved::Malformed);
    }
    let parts: Vec<&str> = stamp.split(':').collect();
    let [version, bits, seconds, salt, counter] = parts.as_slice() else {
        return Err(Unsolved::Malformed);
    };
    let bits: u32 = bits.parse().map_err(|_| Unsolved::Malformed)?;
    let seconds: i64 = seconds.parse().map_err(|_| Unsolved::Malformed)?;
    let well_formed = *version == "1"
        && (8..=64).contains(&salt.len())
        && salt.bytes().all(|b| b.is_ascii_alphanumeric())
        && !counter.is_empty()
        && counter.len() <= 12
        && counter.bytes().all(|b| b.is_ascii_digit());
    if !well_formed {
        return Err(Unsolved::Malformed);
    }
    let issued = Utc
        .timestamp_opt(seconds, 0)
        .single()
        .ok_or(Unsolved::Malformed)?;
    if issued > now + skew() || issued + max_age() < now {
        return Err(Unsolved::OutOfTime);
    }
    let digest = Sha256::digest(stamp.as_bytes());
    if bits < BITS || leading_zero_bits(&digest) < bits {
        return Err(Unsolved::TooEasy);
    }
    Ok(Solved {
        hash: digest.iter().map(|b| format!("{b:02x}")).collect(),
        issued,
    })
}

fn leading_zero_bits(bytes: &[u8]) -> u32 {
    let mut zeros = 0;
    for b in bytes {
        zeros += b.leading_zeros();
        if *b != 0 {
            break;
        }
    }
    zeros
}

/// Whether the post's `stamp` is solved and taken for the first time: the
/// store counts its hash, so a stamp posted twice counts once.
pub(crate) async fn settle<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    stamp: Option<&str>,
) -> Result<Result<Solved, Unsolved>, StoreError> {
    let solved = match check(stamp, app.clock.now()) {
        Ok(s) => s,
        Err(why) => return Ok(Err(why)),
    };
    let uses = app
        .store
        .count_post(
            &format!("pow#{}", solved.hash),
            solved.issued,
            solved.issued + max_age() + skew(),
        )
        .await?;
    Ok(if uses == 1 {
        Ok(solved)
    } else {
        Err(Unsolved::Replayed)
    })
}

/// A stamp solved at `now` with `salt`: what the browser does, for tests
/// and for scripts that post on our own behalf (the benches).
pub fn solve(now: DateTime<Utc>, salt: &str) -> String {
    let prefix = format!("1:{BITS}:{}:{salt}:", now.timestamp());
    let mut counter: u64 = 0;
    loop {
        let stamp = format!("{prefix}{counter}");
        if leading_zero_bits(&Sha256::digest(stamp.as_bytes())) >= BITS {
            return stamp;
        }
        counter += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn a_solved_stamp_passes_and_names_its_hash() {
        let stamp = solve(now(), "a1b2c3d4e5f6");
        let solved = check(Some(&stamp), now()).expect("solved");
        assert!(solved.hash.starts_with("0000"), "{}", solved.hash);
        assert_eq!(solved.issued, now());
        // Later within MAX_AGE, and a clock a little fast, still pass.
        assert!(check(Some(&stamp), now() + max_age()).is_ok());
        assert!(check(
            Some(&solve(now() + Duration::minutes(4), "abcdefgh")),
            now()
        )
        .is_ok());
    }

    #[test]
    fn every_way_a_stamp_fails() {
        let good = solve(now(), "a1b2c3d4e5f6");
        assert_eq!(check(None, now()), Err(Unsolved::Missing));
        assert_eq!(check(Some("  "), now()), Err(Unsolved::Missing));
        assert_eq!(
            check(Some(&good), now() + max_age() + Duration::seconds(1)),
            Err(Unsolved::OutOfTime)
        );
        assert_eq!(
            check(
                Some(&solve(now() + Duration::minutes(6), "abcdefgh")),
                now()
            ),
            Err(Unsolved::OutOfTime)
        );
        // Another counter: almost surely no longer zeros enough.
        let (head, counter) = good.rsplit_once(':').expect("stamp");
        let other = (0..50)
            .map(|i| format!("{head}:{}", counter.parse::<u64>().expect("n") + 1 + i))
            .find(|s| check(Some(s), now()).is_err())
            .expect("a counter that fails");
        assert_eq!(check(Some(&other), now()), Err(Unsolved::TooEasy));
        // Claiming fewer bits than we ask for.
        let easy = format!("1:4:{}:abcdefgh:0", now().timestamp());
        assert_eq!(check(Some(&easy), now()), Err(Unsolved::TooEasy));
        for bad in [
            "2:16:1796032800:abcdefgh:1",
            "1:16:1796032800:abcdefgh",
            "1:16:1796032800:abcdefgh:1:2",
            "1:x:1796032800:abcdefgh:1",
            "1:16:later:abcdefgh:1",
            "1:16:1796032800:abc:1",
            "1:16:1796032800:abc-defgh:1",
            "1:16:1796032800:abcdefgh:",
            "1:16:1796032800:abcdefgh:-1",
            "1:16:1796032800:abcdefgh:1234567890123",
            "1:16:99999999999999999:abcdefgh:1",
            "1:16:1796032800:abcdéfgh:1",
        ] {
            assert_eq!(check(Some(bad), now()), Err(Unsolved::Malformed), "{bad}");
        }
        assert_eq!(
            check(Some(&"1".repeat(MAX_LEN + 1)), now()),
            Err(Unsolved::Malformed)
        );
    }

    #[test]
    fn leading_zeros_count_across_bytes() {
        assert_eq!(leading_zero_bits(&[0, 0, 0x80]), 16);
        assert_eq!(leading_zero_bits(&[0, 0x01]), 15);
        assert_eq!(leading_zero_bits(&[0xff]), 0);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }

    /// The browser's script asks for the same number of bits as we do, and
    /// names the same field.
    #[test]
    fn the_script_and_the_check_agree() {
        let script = include_str!("../../templates/assets/challenge.js");
        assert!(script.contains(&format!("var BITS = {BITS};")), "BITS");
        assert!(script.contains(&format!("var FIELD = '{FIELD}';")), "FIELD");
        assert!(script.contains("'1:' + BITS + ':' + Math.floor(Date.now() / 1000)"));
    }
}

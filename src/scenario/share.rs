//! Share links: a session (scenario, seed, actions, where it stopped) packed into a URL fragment, so a
//! trainer's link replays the identical run for every attendee without any server. The fragment is
//! `s1=` followed by the session's compact JSON, compressed with raw DEFLATE and written in unpadded
//! base64url (`base64`), which needs no escaping in a URL. Reading a link checks every step and says
//! which one failed; a link can never make the page hang (the unpacked text is bounded) or panic.
//!
//! The DEFLATE step is the platform's: natively `miniz_oxide` (the CLI reads links, the tests check
//! round trips), in the browser its own `CompressionStream("deflate-raw")` (see `ui::share`), which
//! keeps a compressor out of the wasm. Both write and read the same raw DEFLATE format, so a link made
//! by one opens in the other.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::model::Session;
use super::parse::{parse_session, ScenarioError};

/// The fragment's prefix: the link format's version.
pub const LINK_PREFIX: &str = "s1=";
/// A session larger than this unpacked is refused (the largest scenario file with a full timeline is
/// far below it).
pub const MAX_UNPACKED_BYTES: usize = 8 * 1024 * 1024;

fn link_error(message: String) -> Vec<ScenarioError> {
    vec![ScenarioError { path: "link".into(), message }]
}

/// The session's compact JSON: what gets compressed.
pub fn session_bytes(session: &Session) -> Vec<u8> {
    session.to_value().to_string().into_bytes()
}

/// The fragment (without `#`) for compressed session bytes.
pub fn fragment_from_packed(packed: &[u8]) -> String {
    format!("{LINK_PREFIX}{}", URL_SAFE_NO_PAD.encode(packed))
}

/// True when a URL fragment (with or without its `#`) looks like a share link, so the app should read
/// it (and report it when it cannot) rather than ignore it.
pub fn is_share_fragment(fragment: &str) -> bool {
    fragment.trim_start_matches('#').starts_with(LINK_PREFIX)
}

/// The fragment of a whole address (`https://host/#s1=…`), or the text itself when it has no `#`.
pub fn fragment_of(link: &str) -> &str {
    link.find('#').map_or(link, |i| &link[i + 1..])
}

/// The compressed bytes a fragment carries, or why it carries none. Errors on the link itself have the
/// path `link`.
pub fn packed_from_fragment(fragment: &str) -> Result<Vec<u8>, Vec<ScenarioError>> {
    let body = fragment.trim_start_matches('#');
    let Some(payload) = body.strip_prefix(LINK_PREFIX) else {
        return Err(link_error(format!(
            "not a Streamlab share link: the part after # must start with \"{LINK_PREFIX}\""
        )));
    };
    URL_SAFE_NO_PAD.decode(payload.trim()).map_err(|e| {
        link_error(format!("the link is damaged (its data is not base64url: {e}); copy the whole link again"))
    })
}

/// Why unpacking failed, in the words the app shows.
pub fn unpack_error(too_big: bool) -> Vec<ScenarioError> {
    let why = if too_big {
        format!("it unpacks to more than {} MB", MAX_UNPACKED_BYTES / (1024 * 1024))
    } else {
        "its data does not unpack".to_string()
    };
    link_error(format!("the link is damaged ({why}); copy the whole link again"))
}

/// The session in the unpacked bytes; errors in the session have their JSON paths.
pub fn session_from_unpacked(bytes: Vec<u8>) -> Result<Session, Vec<ScenarioError>> {
    session_and_text(bytes).map(|(s, _)| s)
}

/// The session in the unpacked bytes and its text (the app keeps the text of what it runs).
pub fn session_and_text(bytes: Vec<u8>) -> Result<(Session, String), Vec<ScenarioError>> {
    let text = String::from_utf8(bytes)
        .map_err(|_| link_error("the link is damaged (it unpacks to text that is not UTF-8)".into()))?;
    let session = parse_session(&text)?;
    Ok((session, text))
}

/// Native DEFLATE (miniz_oxide): the whole round trip in one call.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::*;

    /// DEFLATE level: the best ratio; sessions are small, so the time does not matter.
    const LEVEL: u8 = 9;

    /// The fragment (without `#`) that carries `session`.
    pub fn encode_fragment(session: &Session) -> String {
        fragment_from_packed(&miniz_oxide::deflate::compress_to_vec(&session_bytes(session), LEVEL))
    }

    /// The session a fragment carries, or why it carries none.
    pub fn decode_fragment(fragment: &str) -> Result<Session, Vec<ScenarioError>> {
        let packed = packed_from_fragment(fragment)?;
        let bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_UNPACKED_BYTES)
            .map_err(|e| unpack_error(matches!(e.status, miniz_oxide::inflate::TINFLStatus::HasMoreOutput)))?;
        session_from_unpacked(bytes)
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::{decode_fragment, encode_fragment};

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::scenario::builtin::BUILTIN;
    use crate::scenario::{AppliedAction, StopAt};

    fn session(stem: &str) -> Session {
        let (_, text) = BUILTIN.iter().find(|(s, _)| *s == stem).expect("builtin");
        let mut s = parse_session(text).expect("builtin parses");
        s.actions.push(AppliedAction {
            t_us: 3_000_000,
            after_events: 1234,
            action: crate::scenario::Action::CrashLeader { topic: "orders".into(), partition: 0 },
        });
        s.stop = Some(StopAt { t_us: 4_000_000, events: 5678 });
        s
    }

    #[test]
    fn a_link_round_trips_and_is_short() {
        let s = session("quickstart");
        let fragment = encode_fragment(&s);
        assert!(is_share_fragment(&fragment));
        assert!(fragment.len() < 2_000, "a link of {} characters", fragment.len());
        assert!(fragment[LINK_PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(decode_fragment(&format!("#{fragment}")).expect("decodes"), s);
        let link = format!("http://127.0.0.1:8080/#{fragment}");
        assert_eq!(decode_fragment(fragment_of(&link)).expect("decodes"), s);
    }

    #[test]
    fn damaged_links_say_what_is_wrong() {
        let fragment = encode_fragment(&session("quickstart"));
        let err = |f: &str| decode_fragment(f).unwrap_err()[0].to_string();
        assert_eq!(err("#x=abc"), "link: not a Streamlab share link: the part after # must start with \"s1=\"");
        assert!(err("#s1=ab$c").starts_with("link: the link is damaged (its data is not base64url"));
        let cut = &fragment[..fragment.len() / 2];
        assert!(err(cut).starts_with("link: the link is damaged"), "{}", err(cut));
        // A valid packing of something that is not a session: the session's own errors, with paths.
        let packed = miniz_oxide::deflate::compress_to_vec(br#"{"duration_ms": -1}"#, 6);
        let errors = decode_fragment(&fragment_from_packed(&packed)).unwrap_err();
        assert_eq!(errors[0].path, "$.duration_ms");
    }

    #[test]
    fn a_bomb_is_refused() {
        let big = vec![b' '; MAX_UNPACKED_BYTES + 10];
        let packed = miniz_oxide::deflate::compress_to_vec(&big, 9);
        let errors = decode_fragment(&fragment_from_packed(&packed)).unwrap_err();
        assert!(errors[0].message.contains("unpacks to more than 8 MB"), "{}", errors[0]);
    }
}

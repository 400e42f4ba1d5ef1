//! Who may change things: reads are public; the data keeper's endpoints (layer import and
//! reload, the check history) need `Authorization: Bearer <token>` with the token of the
//! server's settings (the guard is [`crate::guards::Keeper`]).
//!
//! - no token configured on the server → those endpoints are disabled (404 naming why);
//! - no or malformed `Authorization` → 401 with `WWW-Authenticate: Bearer`;
//! - a well-formed token that is not the server's → 403.
//!
//! Tokens are compared through their SHA-256 digests with a constant-time comparison, so the
//! time taken says nothing about how much of a guess was right, nor about the token's length.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// Shortest token accepted in the settings: a guessable one is worse than none.
pub const MIN_TOKEN_LEN: usize = 16;

/// The configured token, kept only as its digest.
#[derive(Clone)]
pub struct AdminToken([u8; 32]);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(…)")
    }
}

impl AdminToken {
    /// A token from the settings; refused when too short or not printable ASCII (it must
    /// travel in a header).
    pub fn new(token: &str) -> Result<AdminToken, String> {
        let token = token.trim();
        if token.len() < MIN_TOKEN_LEN {
            return Err(format!(
                "the admin token must be at least {MIN_TOKEN_LEN} characters (it has {})",
                token.chars().count()
            ));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("the admin token must be printable ASCII without spaces".into());
        }
        Ok(AdminToken(Sha256::digest(token.as_bytes()).into()))
    }

    /// Whether `given` is the token, in time independent of `given`.
    pub fn matches(&self, given: &str) -> bool {
        let d: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        bool::from(self.0.ct_eq(&d))
    }
}

/// Why a request was refused access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The server has no token: the endpoint is off.
    Disabled,
    /// No usable credentials were sent.
    Missing,
    /// Credentials were sent and are wrong.
    Wrong,
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Denied::Disabled => ApiError::not_found(
                "this endpoint is disabled: the server has no admin token \
                 (start it with PLANMAP_ADMIN_TOKEN or --admin-token-file)",
            )
            .with("reason", "disabled")
            .into_response(),
            Denied::Missing => {
                let mut r = ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "this endpoint needs the data keeper's token: send 'Authorization: Bearer <token>'",
                )
                .into_response();
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"planmap\""),
                );
                r
            }
            Denied::Wrong => ApiError::new(
                StatusCode::FORBIDDEN,
                "the token sent is not the data keeper's token",
            )
            .into_response(),
        }
    }
}

/// The decision for a request's `Authorization` header against the server's token.
pub fn decide(
    token: Option<&AdminToken>,
    authorization: Option<&HeaderValue>,
) -> Result<(), Denied> {
    let token = token.ok_or(Denied::Disabled)?;
    let value = authorization
        .and_then(|v| v.to_str().ok())
        .ok_or(Denied::Missing)?;
    let (scheme, given) = value.trim().split_once(' ').ok_or(Denied::Missing)?;
    let given = given.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || given.is_empty() {
        return Err(Denied::Missing);
    }
    if token.matches(given) {
        Ok(())
    } else {
        Err(Denied::Wrong)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hv(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    #[test]
    fn the_four_answers() {
        let t = AdminToken::new("s3cret-token-0123456789").unwrap();
        assert_eq!(decide(None, Some(&hv("Bearer x"))), Err(Denied::Disabled));
        assert_eq!(decide(Some(&t), None), Err(Denied::Missing));
        assert_eq!(
            decide(Some(&t), Some(&hv("Basic czNjcmV0"))),
            Err(Denied::Missing)
        );
        assert_eq!(decide(Some(&t), Some(&hv("Bearer"))), Err(Denied::Missing));
        assert_eq!(
            decide(Some(&t), Some(&hv("Bearer s3cret-token-012345678"))),
            Err(Denied::Wrong)
        );
        assert_eq!(
            decide(Some(&t), Some(&hv("Bearer s3cret-token-0123456789x"))),
            Err(Denied::Wrong)
        );
        assert_eq!(
            decide(Some(&t), Some(&hv("Bearer s3cret-token-0123456789"))),
            Ok(())
        );
        assert_eq!(
            decide(Some(&t), Some(&hv("bearer  s3cret-token-0123456789 "))),
            Ok(())
        );
    }

    #[test]
    fn short_or_spaced_tokens_are_refused_in_the_settings() {
        assert!(AdminToken::new("short")
            .unwrap_err()
            .contains("at least 16"));
        assert!(AdminToken::new("has a space in it, long enough").is_err());
        assert!(format!("{:?}", AdminToken::new("s3cret-token-0123456789").unwrap()).contains('…'));
    }
}

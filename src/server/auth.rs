//! The admin API's bearer tokens: full ones (`--admin-token`, several while
//! one is rolled over) and read-only ones (`--read-only-token`: `GET` only),
//! and the limit on failed logins per client address.

use super::AppState;
use super::domain::Actor;
use super::error::ApiError;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

/// What an admin token lets its holder do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Every admin operation.
    Full,
    /// The admin `GET`s only; anything else is `403 read_only_token`.
    ReadOnly,
}

/// Who called the admin API: in each admin request's extensions once its
/// token was accepted. Names the token by its fingerprint, never the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminCaller {
    /// `tok_` and the first 8 hex digits of the token's SHA-256.
    pub fingerprint: String,
    pub access: Access,
}

/// `tok_` and the first 8 hex digits of the SHA-256 of `token`: tells tokens
/// apart in logs and answers without revealing them.
pub fn fingerprint(token: &str) -> String {
    fingerprint_of(&Sha256::digest(token.as_bytes()).into())
}

fn fingerprint_of(digest: &[u8; 32]) -> String {
    use std::fmt::Write;
    digest[..4]
        .iter()
        .fold(String::from("tok_"), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
}

/// The configured tokens, kept as SHA-256 digests: a presented token is
/// hashed once and compared, in constant time, with every one of them — no
/// early exit, and the digests' equal lengths reveal nothing about theirs.
pub struct AdminTokens {
    full: Vec<[u8; 32]>,
    read_only: Vec<[u8; 32]>,
}

impl AdminTokens {
    /// Empty tokens are dropped; a token given as both kinds is refused.
    pub fn new(full: &[String], read_only: &[String]) -> anyhow::Result<AdminTokens> {
        let digests = |tokens: &[String]| -> Vec<[u8; 32]> {
            tokens
                .iter()
                .filter(|token| !token.is_empty())
                .map(|token| Sha256::digest(token.as_bytes()).into())
                .collect()
        };
        let tokens = AdminTokens {
            full: digests(full),
            read_only: digests(read_only),
        };
        if let Some(both) = tokens
            .full
            .iter()
            .find(|digest| tokens.read_only.contains(digest))
        {
            anyhow::bail!(
                "the token {} is given both as --admin-token and as --read-only-token: a token is one or the other",
                fingerprint_of(both)
            );
        }
        Ok(tokens)
    }

    /// No token at all: the admin API is off.
    pub fn is_off(&self) -> bool {
        self.full.is_empty() && self.read_only.is_empty()
    }

    /// Logs which tokens the admin API takes, by fingerprint, so a merchant
    /// rolling one over can see that every server has the new one.
    pub fn log(&self) {
        if self.is_off() {
            tracing::info!("no admin token: the admin API is off");
            return;
        }
        let of = |digests: &[[u8; 32]]| {
            digests
                .iter()
                .map(fingerprint_of)
                .collect::<Vec<_>>()
                .join(",")
        };
        tracing::info!(
            admin = %of(&self.full),
            read_only = %of(&self.read_only),
            "admin API on: tokens by fingerprint"
        );
    }

    /// The caller `presented` identifies, if it is one of the tokens.
    pub fn identify(&self, presented: &str) -> Option<AdminCaller> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let matches = |digests: &[[u8; 32]]| {
            digests.iter().fold(Choice::from(0), |found, token| {
                found | digest[..].ct_eq(&token[..])
            })
        };
        let (full, read_only) = (matches(&self.full), matches(&self.read_only));
        let access = if bool::from(full) {
            Access::Full
        } else if bool::from(read_only) {
            Access::ReadOnly
        } else {
            return None;
        };
        Some(AdminCaller {
            fingerprint: fingerprint_of(&digest),
            access,
        })
    }
}

/// Lets a request through only with `Authorization: Bearer <token>` of a
/// configured token — a read-only one for `GET` (and `HEAD`) only — and puts
/// its [`AdminCaller`] in the request's extensions, with the [`Actor`] the
/// audit log names: its fingerprint and the client's address (the one the
/// limits count against). Without any configured
/// token the admin API is off. A client address that sent too many wrong
/// tokens is refused (`429`) before its token is even compared; a request
/// without `Authorization` is `401`, neither limited nor counted.
pub async fn require_admin(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if state.admin_tokens.is_off() {
        return ApiError::admin_disabled().into_response();
    }
    let unauthorized = || {
        let mut response = ApiError::unauthorized().into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    };
    // No credentials at all guess nothing: neither limited nor counted.
    let Some(authorization) = request.headers().get(header::AUTHORIZATION) else {
        return unauthorized();
    };
    let client = state.failed_logins.client(&request);
    if let Err(seconds) = state.failed_logins.check(client) {
        return ApiError::too_many_failed_logins(seconds).into_response();
    }
    let caller = authorization
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| state.admin_tokens.identify(token));
    let Some(caller) = caller else {
        if let Err(seconds) = state.failed_logins.record_failure(client) {
            return ApiError::too_many_failed_logins(seconds).into_response();
        }
        return unauthorized();
    };
    if caller.access == Access::ReadOnly && !matches!(*request.method(), Method::GET | Method::HEAD)
    {
        return ApiError::read_only_token().into_response();
    }
    let actor = Actor::admin(&caller.fingerprint, client);
    request.extensions_mut().insert(caller);
    request.extensions_mut().insert(actor);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(full: &[&str], read_only: &[&str]) -> anyhow::Result<AdminTokens> {
        let owned = |tokens: &[&str]| tokens.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        AdminTokens::new(&owned(full), &owned(read_only))
    }

    #[test]
    fn a_fingerprint_is_tok_and_eight_hex_digits_of_the_sha256() {
        // SHA-256("abc") = ba7816bf 8f01cfea …
        assert_eq!(fingerprint("abc"), "tok_ba7816bf");
        assert_ne!(fingerprint("abd"), fingerprint("abc"));
    }

    #[test]
    fn every_token_is_recognised_with_its_access() {
        let tokens = tokens(
            &["old-admin-token", "new-admin-token"],
            &["dashboard-token"],
        )
        .unwrap();
        for token in ["old-admin-token", "new-admin-token"] {
            assert_eq!(
                tokens.identify(token),
                Some(AdminCaller {
                    fingerprint: fingerprint(token),
                    access: Access::Full
                })
            );
        }
        assert_eq!(
            tokens
                .identify("dashboard-token")
                .map(|caller| caller.access),
            Some(Access::ReadOnly)
        );
        for wrong in ["", "old-admin-toke", "old-admin-tokenX", "OLD-ADMIN-TOKEN"] {
            assert_eq!(tokens.identify(wrong), None, "{wrong:?}");
        }
    }

    #[test]
    fn empty_tokens_are_dropped_and_none_means_off() {
        assert!(tokens(&[""], &[""]).unwrap().is_off());
        let read_only = tokens(&[], &["dashboard-token"]).unwrap();
        assert!(
            !read_only.is_off(),
            "a read-only token alone turns reads on"
        );
        assert_eq!(read_only.identify(""), None);
    }

    #[test]
    fn a_token_both_full_and_read_only_is_refused_by_its_fingerprint() {
        let error = tokens(&["a-admin-token", "shared-token"], &["shared-token"])
            .err()
            .expect("refused")
            .to_string();
        assert!(error.contains(&fingerprint("shared-token")), "{error}");
        assert!(!error.contains("shared-token\""), "{error}");
        assert!(!error.contains(" shared-token"), "never the token: {error}");
    }
}

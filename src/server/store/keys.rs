//! A group commit's idempotency keys, looked up together. The widget sends a
//! key with every reservation, and each placement asks whether its key was
//! used before — with the product's row lock held. On PostgreSQL one question
//! per request was one round trip per request under that lock; the first
//! placement of a group to ask now asks for the keys of every request after
//! it too, in one statement, and the others find their answers here.

use crate::server::domain::IdempotencyKey;
use std::collections::HashMap;
use std::sync::Arc;

/// What an earlier placement with the key stored: the request's fingerprint
/// and the response it was given.
pub type StoredPlacement = (String, String);

/// The keys of the requests after the current one in its group.
pub type KeysAhead = Arc<dyn Fn() -> Vec<IdempotencyKey> + Send + Sync>;

#[derive(Clone, Default)]
pub struct KeyLookups {
    /// Keys looked up in this transaction, and what the database held then.
    known: HashMap<IdempotencyKey, Option<StoredPlacement>>,
    /// Set by a group commit before each of its requests; none outside one.
    ahead: Option<KeysAhead>,
}

impl std::fmt::Debug for KeyLookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLookups")
            .field("known", &self.known.len())
            .finish_non_exhaustive()
    }
}

impl KeyLookups {
    /// What the database held for `key` when it was looked up; `None`: not
    /// looked up (or inserted by this transaction since: ask again).
    pub fn known(&self, key: &IdempotencyKey) -> Option<Option<StoredPlacement>> {
        self.known.get(key).cloned()
    }

    /// `key`, and the keys ahead in the group not looked up yet.
    pub fn to_look_up(&self, key: &IdempotencyKey) -> Vec<IdempotencyKey> {
        let mut keys = vec![key.clone()];
        let ahead = self.ahead.as_ref().map(|ahead| ahead()).unwrap_or_default();
        for other in ahead {
            if !self.known.contains_key(&other) && !keys.contains(&other) {
                keys.push(other);
            }
        }
        keys
    }

    /// Notes what a lookup of `keys` found (a key not in `found` is unused).
    pub fn looked_up(
        &mut self,
        keys: Vec<IdempotencyKey>,
        mut found: HashMap<IdempotencyKey, StoredPlacement>,
    ) {
        for key in keys {
            let stored = found.remove(&key);
            self.known.insert(key, stored);
        }
    }

    /// This transaction inserted a row with `key`: what was looked up is
    /// stale (and a savepoint may still undo the row), so the next
    /// question goes to the database.
    pub fn inserted(&mut self, key: &IdempotencyKey) {
        self.known.remove(key);
    }

    pub fn set_ahead(&mut self, ahead: Option<KeysAhead>) {
        self.ahead = ahead;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> IdempotencyKey {
        IdempotencyKey::parse(text).unwrap()
    }

    #[test]
    fn the_keys_ahead_are_asked_for_once_with_the_first() {
        let mut lookups = KeyLookups::default();
        let ahead = vec![key("b"), key("a"), key("c"), key("b")];
        lookups.set_ahead(Some(Arc::new(move || ahead.clone())));
        let asked = lookups.to_look_up(&key("a"));
        assert_eq!(asked, vec![key("a"), key("b"), key("c")]);
        let found = HashMap::from([(key("c"), ("request".to_owned(), "response".to_owned()))]);
        lookups.looked_up(asked, found);
        assert_eq!(lookups.known(&key("b")), Some(None));
        assert_eq!(
            lookups.known(&key("c")),
            Some(Some(("request".to_owned(), "response".to_owned())))
        );
        assert_eq!(lookups.to_look_up(&key("d")), vec![key("d")]);
        lookups.inserted(&key("b"));
        assert_eq!(lookups.known(&key("b")), None);
    }
}

//! The one way this crate takes a lock.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, taking the data even if another thread panicked while
/// holding it: every lock here guards state that stays consistent between
/// statements (a connection between polls, a waker slot, a client table),
/// so a panic elsewhere is no reason to fail every later caller.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

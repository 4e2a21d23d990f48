//! The life of an allocator instance (SPEC section 3): `add_memory` calls,
//! then `setup`, then the allocator's calls, then `release_all` once.

use crate::{Error, Outcome};

/// Where an instance is in its life; `T` is what `setup` builds.
#[derive(Clone, Debug)]
pub(crate) enum Lifecycle<T> {
    /// Taking `add_memory` calls; nothing else works yet.
    Registering,
    /// `setup` succeeded.
    Ready(T),
    /// `release_all` ran: every call is `Retired`.
    Retired,
}

impl<T> Default for Lifecycle<T> {
    /// A new instance: registering.
    fn default() -> Lifecycle<T> {
        Lifecycle::Registering
    }
}

impl<T> Lifecycle<T> {
    /// `Ok` while registering; `Unsupported` once set up (what `setup`
    /// answers when repeated, and `add_memory` in a design that registers
    /// only before `setup`); `Retired` after `release_all`.
    pub(crate) fn check_registering(&self) -> Outcome<()> {
        match self {
            Lifecycle::Registering => Ok(()),
            Lifecycle::Ready(_) => Err(Error::Unsupported),
            Lifecycle::Retired => Err(Error::Retired),
        }
    }

    /// `setup`: when registering, runs `build` and, on success, becomes
    /// ready with what it built. A failure (`build`'s error, or
    /// [`Lifecycle::check_registering`]'s) changes nothing.
    pub(crate) fn set_up(&mut self, build: impl FnOnce() -> Outcome<T>) -> Outcome<()> {
        self.check_registering()?;
        *self = Lifecycle::Ready(build()?);
        Ok(())
    }

    /// True after `release_all`.
    pub(crate) fn is_retired(&self) -> bool {
        matches!(self, Lifecycle::Retired)
    }

    /// The set-up state, when there is one.
    pub(crate) fn ready(&self) -> Option<&T> {
        match self {
            Lifecycle::Ready(ready) => Some(ready),
            Lifecycle::Registering | Lifecycle::Retired => None,
        }
    }

    /// The set-up state, or `Unsupported` before `setup` and `Retired`
    /// after `release_all`.
    pub(crate) fn ready_mut(&mut self) -> Outcome<&mut T> {
        match self {
            Lifecycle::Registering => Err(Error::Unsupported),
            Lifecycle::Ready(ready) => Ok(ready),
            Lifecycle::Retired => Err(Error::Retired),
        }
    }

    /// `release_all`: retires the instance and hands back its set-up state;
    /// `Unsupported` before `setup` and `Retired` when already retired,
    /// with no change.
    pub(crate) fn retire(&mut self) -> Outcome<T> {
        self.ready_mut()?;
        match std::mem::replace(self, Lifecycle::Retired) {
            Lifecycle::Ready(ready) => Ok(ready),
            Lifecycle::Registering | Lifecycle::Retired => Err(Error::Unsupported),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registering_then_ready_then_retired() {
        let mut life: Lifecycle<u8> = Lifecycle::default();
        assert_eq!(life.check_registering(), Ok(()));
        assert_eq!(life.ready_mut(), Err(Error::Unsupported));
        assert_eq!(life.retire(), Err(Error::Unsupported));
        assert_eq!(life.set_up(|| Err(Error::NoMem)), Err(Error::NoMem));
        assert_eq!(
            life.check_registering(),
            Ok(()),
            "a failed setup changes nothing"
        );
        assert_eq!(life.set_up(|| Ok(7)), Ok(()));
        assert_eq!(life.set_up(|| Ok(8)), Err(Error::Unsupported));
        assert_eq!(life.ready(), Some(&7));
        assert_eq!(life.retire(), Ok(7));
        assert!(life.is_retired() && life.ready().is_none());
        assert_eq!(life.check_registering(), Err(Error::Retired));
        assert_eq!(life.retire(), Err(Error::Retired));
    }
}

//! [`Padded`]: a value alone on its cache lines.

use std::ops::{Deref, DerefMut};

/// A value aligned (and so sized) to 128 bytes, so that no other value shares its cache lines.
/// For what one core writes while another reads or writes its neighbours: a lock taken by every
/// request, or a worker's own shard. 128 rather than 64: some CPUs fetch lines in adjacent pairs.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Padded<T>(pub T);

impl<T> Deref for Padded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Padded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_values_never_share_a_line() {
        let pair = [Padded(1_u8), Padded(2_u8)];
        assert_eq!(std::mem::align_of::<Padded<u8>>(), 128);
        let first = std::ptr::from_ref(&pair[0]) as usize;
        let second = std::ptr::from_ref(&pair[1]) as usize;
        assert_eq!(first % 128, 0);
        assert_eq!(second - first, 128);
        assert_eq!(*pair[1], 2);
    }
}

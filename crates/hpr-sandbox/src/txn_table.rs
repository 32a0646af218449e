//! The table of live transactions: a vector of slots, each transaction found through the slot
//! number its own id carries.
//!
//! Why not a hash map: under load most of a step's time went to waiting for memory, and a hash
//! map lookup is two dependent waits (its control bytes, then the entry), a new entry two more
//! in a random place. Here a lookup is one wait (the slot), and a new transaction takes the most
//! recently freed slot, which is still in cache: a superseding OTP takes the slot of the one it
//! replaces. Table and ids are `State`'s: no caller sees a slot.
//!
//! An id is a random v4 UUID whose first 32 bits (`time_low`) are replaced by the slot number
//! XOR a mask drawn once per state, so ids do not count up visibly; the other 90 random bits
//! make a stale or made-up id for a reused slot a miss, never someone else's transaction.

use crate::state::TxnKey;

/// The most slots a table holds (a slot number is 32 bits).
pub(crate) const MAX_SLOTS: usize = u32::MAX as usize;

/// Live transactions by [`TxnKey`]; see the module docs.
#[derive(Debug)]
pub(crate) struct TxnTable<T> {
    slots: Vec<Option<(TxnKey, T)>>,
    /// Freed slots, the most recently freed last (reused first: its memory is the warmest).
    free: Vec<u32>,
    len: usize,
    /// XORed into the slot number an id carries.
    mask: u32,
}

impl<T> TxnTable<T> {
    pub fn new(mask: u32) -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            mask,
        }
    }

    /// Live transactions.
    pub fn len(&self) -> usize {
        self.len
    }

    fn slot_of(&self, key: &TxnKey) -> usize {
        (key.tag() ^ self.mask) as usize
    }

    pub fn get(&self, key: &TxnKey) -> Option<&T> {
        match self.slots.get(self.slot_of(key))? {
            Some((stored, value)) if stored == key => Some(value),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &TxnKey) -> Option<&mut T> {
        let slot = self.slot_of(key);
        match self.slots.get_mut(slot)? {
            Some((stored, value)) if stored == key => Some(value),
            _ => None,
        }
    }

    /// Takes the transaction out; its slot is free for the next [`TxnTable::insert`].
    pub fn remove(&mut self, key: &TxnKey) -> Option<T> {
        let slot = self.slot_of(key);
        let entry = self.slots.get_mut(slot)?;
        if entry.as_ref().is_none_or(|(stored, _)| stored != key) {
            return None;
        }
        let (_, value) = entry.take()?;
        // `slot` came from a key this table made: below `MAX_SLOTS`
        self.free.push(u32::try_from(slot).unwrap_or(u32::MAX));
        self.len -= 1;
        Some(value)
    }

    /// Stores `value` in the most recently freed slot (else a new one) under the key made of
    /// `random` (the bits of a v4 UUID) and that slot's number. The caller keeps the table
    /// below [`MAX_SLOTS`].
    pub fn insert(&mut self, random: u128, value: T) -> TxnKey {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        let key = TxnKey::from_u128(random).with_tag(slot ^ self.mask);
        if let Some(entry) = self.slots.get_mut(slot as usize) {
            *entry = Some((key, value));
            self.len += 1;
        }
        key
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_find_their_own_values_and_stale_keys_find_nothing() {
        let mut table = TxnTable::new(0xDEAD_BEEF);
        let a = table.insert(u128::MAX, "a");
        let b = table.insert(7, "b");
        assert_eq!(
            (table.get(&a), table.get(&b), table.len()),
            (Some(&"a"), Some(&"b"), 2)
        );
        // ids carry the masked slot number, so the first slots do not read 0, 1, ...
        assert_ne!(a.tag(), 0);
        assert_eq!(table.remove(&a), Some("a"));
        assert_eq!(table.get(&a), None);
        assert_eq!((table.remove(&a), table.len()), (None, 1));
        // the freed slot is reused under a new key; the old key still misses
        let c = table.insert(u128::MAX - 1, "c");
        assert_eq!(c.tag(), a.tag());
        assert_ne!(c, a);
        assert_eq!((table.get(&a), table.get(&c)), (None, Some(&"c")));
        *table.get_mut(&c).unwrap() = "c2";
        assert_eq!(table.get(&c), Some(&"c2"));
        assert!(table.get_mut(&a).is_none());
        // a key of a slot never made misses as well
        let stranger = TxnKey::from_u128(5).with_tag(12_345);
        assert_eq!(table.get(&stranger), None);
        assert_eq!(table.remove(&stranger), None);
        assert_eq!(table.len(), 2);
    }

    #[test]
    fn the_most_recently_freed_slot_is_reused_first() {
        let mut table = TxnTable::new(0);
        let keys: Vec<TxnKey> = (0..4).map(|n| table.insert(n, n)).collect();
        table.remove(&keys[1]);
        table.remove(&keys[3]);
        assert_eq!(table.insert(10, 10).tag(), keys[3].tag());
        assert_eq!(table.insert(11, 11).tag(), keys[1].tag());
        assert_eq!(table.insert(12, 12).tag(), 4);
        assert_eq!(table.len(), 5);
    }
}

//! The book's storage: resting orders in a slab, price levels in a slab,
//! one ordered map of price to level per side, and an id index.
//!
//! Each level keeps its orders in an intrusive doubly-linked FIFO list
//! (indices into the order slab), so appending, removing from the middle
//! (cancel) and moving an order to the back (iceberg replenishment) are all
//! O(1) once the order is found, and nothing is allocated once the slabs
//! have grown. This module owns the shape of the data only; the matching
//! rules live in `book.rs`.

use std::collections::BTreeMap;

use crate::types::{AccountId, OrderId, Qty, Side, StpMode, Ticks, TimeInForce};
use rustc_hash::FxHashMap;

pub(crate) const NIL: u32 = u32::MAX;

pub(crate) type IdMap<V> = FxHashMap<OrderId, V>;

/// A resting order in the slab.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    pub id: OrderId,
    pub account: AccountId,
    pub side: Side,
    pub price: Ticks,
    pub order_qty: Qty,
    pub leaves: Qty,
    pub visible: Qty,
    /// 0 when fully displayed.
    pub display: Qty,
    pub cum_qty: Qty,
    pub cum_notional: i128,
    pub tif: TimeInForce,
    /// The owner's self-trade prevention, applied again when a replace
    /// makes the order an aggressor.
    pub stp: Option<StpMode>,
    pub level: u32,
    pub prev: u32,
    pub next: u32,
}

/// One price level: FIFO list of orders plus aggregates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Level {
    pub price: Ticks,
    pub head: u32,
    pub tail: u32,
    /// Sum of displayed quantity.
    pub visible: Qty,
    /// Sum of leaves (displayed plus hidden).
    pub total: Qty,
    pub count: u32,
}

/// Storage for one book.
#[derive(Debug, Default, Clone)]
pub(crate) struct Levels {
    pub nodes: Vec<Node>,
    free_nodes: Vec<u32>,
    pub levels: Vec<Level>,
    free_levels: Vec<u32>,
    pub bids: BTreeMap<Ticks, u32>,
    pub asks: BTreeMap<Ticks, u32>,
    pub index: IdMap<u32>,
}

impl Levels {
    pub fn side_map(&self, side: Side) -> &BTreeMap<Ticks, u32> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell | Side::SellShort => &self.asks,
        }
    }

    /// Best level of a side: highest bid, lowest ask.
    #[inline]
    pub fn best(&self, side: Side) -> Option<u32> {
        match side {
            Side::Buy => self.bids.last_key_value().map(|(_, &l)| l),
            Side::Sell | Side::SellShort => self.asks.first_key_value().map(|(_, &l)| l),
        }
    }

    /// Appends a node at the back of its price level (creating the level).
    pub fn push_back(&mut self, mut node: Node) -> u32 {
        let map = match node.side {
            Side::Buy => &mut self.bids,
            Side::Sell | Side::SellShort => &mut self.asks,
        };
        let lvl = match map.get(&node.price) {
            Some(&l) => l,
            None => {
                let level = Level {
                    price: node.price,
                    head: NIL,
                    tail: NIL,
                    visible: 0,
                    total: 0,
                    count: 0,
                };
                let l = match self.free_levels.pop() {
                    Some(l) => {
                        self.levels[l as usize] = level;
                        l
                    }
                    None => {
                        self.levels.push(level);
                        (self.levels.len() - 1) as u32
                    }
                };
                map.insert(node.price, l);
                l
            }
        };
        node.level = lvl;
        node.next = NIL;
        node.prev = self.levels[lvl as usize].tail;
        let id = node.id;
        let (visible, leaves) = (node.visible, node.leaves);
        let slot = match self.free_nodes.pop() {
            Some(s) => {
                self.nodes[s as usize] = node;
                s
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        let level = &mut self.levels[lvl as usize];
        if level.tail == NIL {
            level.head = slot;
        } else {
            let tail = level.tail;
            self.nodes[tail as usize].next = slot;
        }
        let level = &mut self.levels[lvl as usize];
        level.tail = slot;
        level.visible += visible;
        level.total += leaves;
        level.count += 1;
        self.index.insert(id, slot);
        slot
    }

    /// Unlinks a node from its level's list without touching aggregates.
    fn unlink(&mut self, slot: u32) {
        let Node {
            prev, next, level, ..
        } = self.nodes[slot as usize];
        if prev == NIL {
            self.levels[level as usize].head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            self.levels[level as usize].tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
    }

    /// Removes a node from the book entirely and returns it. Removes its
    /// level when it was the last order there.
    pub fn remove(&mut self, slot: u32) -> Node {
        self.unlink(slot);
        let node = self.nodes[slot as usize];
        let lvl = node.level;
        let level = &mut self.levels[lvl as usize];
        level.visible -= node.visible;
        level.total -= node.leaves;
        level.count -= 1;
        if level.count == 0 {
            let price = level.price;
            match node.side {
                Side::Buy => self.bids.remove(&price),
                Side::Sell | Side::SellShort => self.asks.remove(&price),
            };
            self.free_levels.push(lvl);
        }
        self.index.remove(&node.id);
        self.free_nodes.push(slot);
        node
    }

    /// Moves a node to the back of its level (loses time priority).
    pub fn move_to_back(&mut self, slot: u32) {
        let lvl = self.nodes[slot as usize].level;
        if self.levels[lvl as usize].tail == slot {
            return;
        }
        self.unlink(slot);
        let tail = self.levels[lvl as usize].tail;
        let n = &mut self.nodes[slot as usize];
        n.prev = tail;
        n.next = NIL;
        // A level that held `slot` and another order has a non-NIL tail.
        self.nodes[tail as usize].next = slot;
        self.levels[lvl as usize].tail = slot;
        if self.levels[lvl as usize].head == NIL {
            self.levels[lvl as usize].head = slot;
        }
    }

    /// Reserves room for `n` more orders.
    pub fn reserve(&mut self, n: usize) {
        self.nodes.reserve(n);
        self.index.reserve(n);
    }

    /// Number of resting orders.
    pub fn len(&self) -> usize {
        self.index.len()
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    /// The id index and the venue's maps use `rustc-hash`; hashbrown picks
    /// buckets from the low bits, so sequential order ids and short
    /// sequential ClOrdIDs (`c1`, `c2`, ...) must spread over them (the
    /// hand-written FxHash this replaced needed a finalizer for that). A
    /// random function fills about 2,600 of 4,096 buckets; rustc-hash 2
    /// fills about 2,000 for sequential order ids (short probe runs inside
    /// one 16-slot group) and a degenerate hash a handful.
    #[test]
    fn low_bits_spread_for_sequential_keys() {
        let b = rustc_hash::FxBuildHasher;
        let used: std::collections::HashSet<u64> = (0..4096)
            .map(|i| b.hash_one(format!("c{i}")) & 4095)
            .collect();
        assert!(used.len() > 2400, "{}", used.len());
        let used: std::collections::HashSet<u64> = (0..4096u64)
            .map(|i| b.hash_one(super::OrderId::new(1, i)) & 4095)
            .collect();
        assert!(used.len() > 1800, "{}", used.len());
    }
}

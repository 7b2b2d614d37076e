//! Several venues in one process, addressed by CompID, ticked together.

use indexmap::IndexMap;

use super::Venue;
use crate::types::Timestamp;

/// Venues hosted by one process.
#[derive(Debug, Default)]
pub struct VenueHost {
    venues: IndexMap<String, Venue>,
}

/// Adding a venue whose CompID is already hosted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a venue with CompID {0:?} is already hosted")]
pub struct DuplicateCompId(pub String);

impl VenueHost {
    /// No venues.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a venue.
    pub fn add(&mut self, venue: Venue) -> Result<(), DuplicateCompId> {
        let id = venue.comp_id().to_string();
        if self.venues.contains_key(&id) {
            return Err(DuplicateCompId(id));
        }
        self.venues.insert(id, venue);
        Ok(())
    }

    /// The venue with this CompID (a FIX session's TargetCompID).
    pub fn get(&self, comp_id: &str) -> Option<&Venue> {
        self.venues.get(comp_id)
    }

    /// Mutable access by CompID.
    pub fn get_mut(&mut self, comp_id: &str) -> Option<&mut Venue> {
        self.venues.get_mut(comp_id)
    }

    /// All venues in the order they were added.
    pub fn venues(&self) -> impl Iterator<Item = &Venue> {
        self.venues.values()
    }

    /// All venues, mutably.
    pub fn venues_mut(&mut self) -> impl Iterator<Item = &mut Venue> {
        self.venues.values_mut()
    }

    /// Ticks every venue.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        for v in self.venues.values_mut() {
            v.handle_timeout(now);
        }
    }

    /// The earliest time any venue needs attention.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.venues.values().filter_map(Venue::poll_timeout).min()
    }
}

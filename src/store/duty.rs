//! Who is on duty at each counter: set by staff in staff mode, read for every new rating.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use rusqlite::params;

use super::{Store, StoreError};

/// The shift at one counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shift {
    /// This staff member is on duty.
    OnDuty(String),
    /// The last shift was ended: nobody is on duty.
    Ended,
}

impl Store {
    /// The recorded shifts per counter (counters without a record use the configuration).
    pub fn shifts(&self) -> Result<BTreeMap<String, Shift>, StoreError> {
        let mut stmt = self
            .connection()
            .prepare("SELECT counter_id, staff_id FROM duty")?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
        })?;
        let mut shifts = BTreeMap::new();
        for row in rows {
            let (counter, staff) = row?;
            let _ = shifts.insert(counter, staff.map_or(Shift::Ended, Shift::OnDuty));
        }
        Ok(shifts)
    }

    /// Starts `staff`'s shift at `counter` (or ends the shift with `None`), and logs it.
    pub fn set_shift(
        &mut self,
        counter: &str,
        staff: Option<&str>,
        at: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let tx = self.connection_mut().transaction()?;
        let _ = tx.execute(
            "INSERT INTO duty (counter_id, staff_id, since) VALUES (?1, ?2, ?3)
             ON CONFLICT (counter_id) DO UPDATE SET staff_id = excluded.staff_id,
                 since = excluded.since",
            params![counter, staff, at.to_rfc3339()],
        )?;
        let _ = tx.execute(
            "INSERT INTO duty_log (counter_id, staff_id, at) VALUES (?1, ?2, ?3)",
            params![counter, staff, at.to_rfc3339()],
        )?;
        tx.commit()?;
        Ok(())
    }
}

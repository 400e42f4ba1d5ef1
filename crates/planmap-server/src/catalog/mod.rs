//! The catalog: the plans a server serves, found in `--data DIR` (a plan folder, or a folder
//! of plan folders) or in the PostgreSQL store (`--db`, [`source`]). What `/api/plans` says of a plan — its manifest's names, its county
//! outline, its data version — is read when the catalog is built ([`plans`]); a plan's engine
//! is loaded on its first use and evicted least-recently-used under the memory budget
//! ([`slot`]). A catalog from the database follows its list of plans while serving
//! ([`live`]). [`extract`] gives a handler the plan its request addresses (`/plans/{plan}/…`,
//! or the default plan at the root).

pub mod extract;
pub mod live;
pub mod plans;
pub mod slot;
pub mod source;

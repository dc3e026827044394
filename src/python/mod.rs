//! What Python interpreters do, below any cache tree: the rules each one applies to a cache
//! (`interp`), the names it gives caches (`naming`), how it reads a source's stat and hash
//! (`source`, through the non-blocking `open`), where `PYTHONPYCACHEPREFIX` puts caches
//! (`mirror`), the optimisation level (`optimize`) and the environment that change its choices
//! (`environment`), and the real interpreters on this machine: finding them (`interpreters`)
//! and running them (`pythons`). It sees only `pyc/` below it.

pub mod environment;
pub mod interp;
pub mod interpreters;
pub mod mirror;
pub mod naming;
pub mod open;
pub mod optimize;
pub mod pythons;
pub mod source;

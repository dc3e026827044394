//! What Python interpreters do, below any cache tree: the rules each one applies to a cache
//! (`interp`), the names it gives caches (`naming`), how it reads a source's stat and hash
//! (`source`, through the non-blocking `open`), where `PYTHONPYCACHEPREFIX` puts caches
//! (`mirror`), the optimisation level (`optimize`) and the environment that change its choices
//! (`environment`), and the real interpreters on this machine: finding them (`interpreters`)
//! and running them (`pythons`). It sees only `pyc/` below it.

pub(crate) mod environment;
pub(crate) mod interp;
pub(crate) mod interpreters;
pub(crate) mod mirror;
pub(crate) mod naming;
pub(crate) mod open;
pub(crate) mod optimize;
pub(crate) mod pythons;
pub(crate) mod source;

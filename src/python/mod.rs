//! What Python interpreters do, below any cache tree: the rules each one applies to a cache
//! (`interp`), the names it gives caches (`naming`), how it reads a source's stat and hash
//! (`source`, through the non-blocking `open`), where `PYTHONPYCACHEPREFIX` puts caches
//! (`mirror`), the environment that changes its choices (`environment`), and the real
//! interpreters found on this machine (`pythons`). It sees only `pyc/` below it.

pub mod environment;
pub mod interp;
pub mod mirror;
pub mod naming;
pub mod open;
pub mod pythons;
pub mod source;

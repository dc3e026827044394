//! Finding the caches: walking the roots (`walk`, with the spellings of `--keep`/`--exclude`
//! in `spelling`), pairing each cache with its source and siblings in a directory (`survey`),
//! the plan of roots under a pycache prefix (`prefix`) and the caches a source has
//! (`source_caches`). walk → pair; what a pair means is the verdict's business.

pub(crate) mod prefix;
pub(crate) mod source_caches;
pub(crate) mod spelling;
pub(crate) mod survey;
pub(crate) mod walk;

//! The import's directory lookup over a whole audit: once the walk is done, each cache's
//! verdict is adjusted for what its readers' imports find first in the module's directory (a
//! package, an extension module; see `verdict::readers`), from the names the walk noted.

use rayon::prelude::*;

use crate::find::prefix::Plan;
use crate::find::survey::{DirFacts, Survey};
use crate::python::naming::{self, Layout};
use crate::verdict::keyed;
use crate::verdict::model::{Action, Kind, Record};
use crate::verdict::readers::{self, Setup};
use crate::verdict::resolution::{self, Neighbours};

/// Applies the directory lookup to every cache record the survey's directories hold.
/// `plan` gives the setup: the running interpreters and the level.
pub(crate) fn apply(records: &mut [Record], survey: &Survey, plan: &Plan) {
    let setup = Setup {
        running: &plan.running,
        optimize: plan.optimize,
    };
    let dirs: keyed::Map<&[u8], &DirFacts> = survey
        .dirs
        .iter()
        .map(|d| (key(d.path.as_os_str()), d))
        .collect();
    records.par_iter_mut().for_each(|rec| {
        if rec.kind != Kind::Cache || rec.python_action == Action::Skip {
            return;
        }
        if !matches!(
            rec.layout,
            Some(Layout::Pycache | Layout::Pytest | Layout::Legacy)
        ) {
            return;
        }
        let Some(name) = naming::parse(&rec.path) else {
            return;
        };
        let Some((dir, module)) = resolution::module_of(&name) else {
            return;
        };
        let package = dir.join(module);
        let around = Neighbours {
            package_inits: dirs.get(key(package.as_os_str())).map(|d| &d.inits[..]),
            extensions: dirs
                .get(key(dir.as_os_str()))
                .map_or(&[][..], |d| &d.extensions[..]),
        };
        readers::apply(rec, &name, around, setup);
    });
}

/// A directory as a hash key: its bytes without trailing slashes.
fn key(path: &std::ffi::OsStr) -> &[u8] {
    let bytes = path.as_encoded_bytes();
    let end = bytes.iter().rposition(|&b| b != b'/').map_or(1, |i| i + 1);
    &bytes[..end.min(bytes.len())]
}

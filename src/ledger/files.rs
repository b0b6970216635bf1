//! Files the library writes beside a ledger (witness state, tiles, verifier state):
//! through a temporary sibling and a rename, so a reader or a crash sees the old file or
//! the new one, never half of either.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` through `.<name>.tmp<pid>` and a rename, creating missing
/// parent directories; with `sync`, the bytes reach the disk before the rename.
pub fn write_atomically(path: &Path, bytes: &[u8], sync: bool) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let tmp = dir
        .unwrap_or(Path::new("."))
        .join(format!(".{name}.tmp{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if sync {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Whether `sync_filesystem` can make many files durable at once here (Linux syncfs(2));
/// elsewhere each file is synced as it is written.
pub const SYNCFS: bool = cfg!(target_os = "linux");

/// Flushes every written file of the filesystem holding `dir` to the disk (Linux; a no-op
/// where `SYNCFS` is false).
pub fn sync_filesystem(dir: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    rustix::fs::syncfs(std::fs::File::open(dir)?)?;
    let _ = dir;
    Ok(())
}

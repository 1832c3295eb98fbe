//! bench/RESULTS.md: the latest full run, with what it ran on.

use std::io;

use crate::machine;
use crate::servers::workspace_root;

/// Writes RESULTS.md from the tables of a run of `command`.
///
/// # Errors
/// When the file cannot be written.
pub fn write(command: &str, servers_table: &str, micro_table: &str) -> io::Result<()> {
    let text = format!(
        "# Benchmark results\n\n\
         The latest run of `{command}` (see bench/README.md for the method).\n\n\
         {}\n\
         ## Echo servers\n\n\
         Instructions per echoed message in the server's user space (cachegrind, two runs \
         with different message counts, the difference divided by the extra messages), \
         syscalls and context switches per message (perf stat on the server around the \
         messages), messages per second and server CPU per message (server on core 0, \
         load on core 1, rounds interleaved; noisy on this shared machine). Ratios are to \
         the best peer (any server but wsdriver-tokio) in the same run: below 1 is better \
         for instructions, above 1 is better for msg/s.\n\n\
         {servers_table}\n\
         ## Hot paths (criterion)\n\n\
         Median time of each path beside `memcpy` of the same size, in the same run.\n\n\
         {micro_table}",
        machine::describe(),
    );
    std::fs::write(workspace_root().join("bench/RESULTS.md"), text)
}

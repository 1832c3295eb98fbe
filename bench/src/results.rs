//! bench/RESULTS.md: the latest full run, with what it ran on.

use std::io;

use crate::machine;
use crate::servers::workspace_root;

/// What holds for every run, beside the table.
const READING: &str = "Reading it:\n\n\
- Instruction counts repeat within 1% for the Rust servers (wsdriver-tokio's 16 KiB \
  count within about 0.5%: bench/PROFILE.md shows where each goes).\n\
- Syscalls per message are the median of three runs: how many reads a 1 MiB message \
  takes depends on how far the server lags the sender, for every server. Since \
  2026-11-30 18:30 UTC they are counted with the server and the load pinned, as for \
  msg/s; unpinned, every server's 1 MiB count moved by up to 3x.\n\
- tokio-tungstenite-tuned is tokio-tungstenite with a 4 KiB read buffer and no write \
  buffering, as its documentation suggests for many connections; it counts as a peer.\n\
- Node's counts include V8's compiler at work and move by up to 30% from run to run \
  (20 B: 29,000-38,000); its unmasking is JavaScript (no `bufferutil`).\n\
- The deflate scenario runs only on the servers that offer permessage-deflate.\n\
- Messages per second: the closed loop of one core's load generator against one \
  core's server; on this shared machine the min-max spread shows the neighbours.\n";

/// Writes RESULTS.md from the tables of a run of `command`.
///
/// # Errors
/// When the file cannot be written.
pub fn write(
    command: &str,
    servers_table: &str,
    memory_table: &str,
    micro_table: &str,
) -> io::Result<()> {
    let text = format!(
        "# Benchmark results\n\n\
         The latest run of `{command}` (see bench/README.md for the method).\n\n\
         {}\n\
         ## Echo servers\n\n\
         Instructions per echoed message in the server's user space (cachegrind, two runs \
         with different message counts, the difference divided by the extra messages), \
         syscalls and context switches per message (perf stat on the server around the \
         messages, placed as for msg/s), messages per second and server CPU per message \
         (server on core 0, load on core 1, rounds interleaved; noisy on this shared \
         machine). Ratios are to \
         the best peer (any server but wsdriver-tokio) in the same run: below 1 is better \
         for instructions, above 1 is better for msg/s.\n\n\
         {servers_table}\n\
         {READING}\n\
         ## Memory per connection\n\n\
         Each server's resident set (VmRSS) with the connections open and idle, less its RSS \
         when it started listening, divided by the connections; then the same after one 16 KiB \
         binary echo on every connection, in turn, once the server is quiet again (do buffers \
         that grew with the traffic shrink back?). Kernel socket buffers are not in RSS. \
         Issue 14's target for wsdriver-tokio: at most 4 KiB idle. Ratios are to the best \
         (lowest) peer.\n\n\
         {memory_table}\n\
         ## Hot paths (criterion)\n\n\
         Median time of each path beside `memcpy` of the same size, in the same run.\n\n\
         {micro_table}",
        machine::describe(),
    );
    std::fs::write(workspace_root().join("bench/RESULTS.md"), text)
}

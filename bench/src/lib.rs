//! The side-by-side benchmark of issue 14: echo servers built alike, a
//! closed-loop load generator, and the measurements (instructions under
//! cachegrind, syscalls under perf, messages per second on pinned cores,
//! callgrind profiles, memory per connection) that the `bench` binary runs
//! and tabulates.

pub mod cli;
pub mod instructions;
pub mod load;
pub mod machine;
pub mod memory;
pub mod micro;
pub mod process;
pub mod profile;
pub mod rate;
pub mod report;
pub mod results;
pub mod scenario;
pub mod serve;
pub mod servers;
pub mod smoke;
pub mod soak;
pub mod syscalls;
pub mod table;
